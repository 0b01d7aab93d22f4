package io.fanout.app.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * How busy the JIT compiler was over a stretch of time, as a share of one core: how far this JVM
 * still is from its steady state. It holds Fanout's roles, the Kafka broker and the clients, some
 * 30 MB of compiled code; on 2 cores the compiler takes minutes of load to compile it, and until
 * then it takes a third of the CPU and more, which a run measured then charges to its jobs.
 *
 * <p>Read as the CPU time of the compiler threads from {@code /proc/self/task}: the JVM's own
 * compilation time is wall time, which on a loaded machine counts the compiler's waits for a core
 * too. Where there is no {@code /proc} (not Linux), it falls back to that.
 */
final class JitActivity {
  /** Linux's clock ticks per second for /proc's times (USER_HZ), 100 on every usual kernel. */
  private static final double TICKS_PER_SECOND = 100;
  private static final Path TASKS = Path.of("/proc/self/task");

  private double compilerSeconds;
  private long startNanos;

  JitActivity start() {
    compilerSeconds = compilerCpuSeconds();
    startNanos = System.nanoTime();
    return this;
  }

  /** The compiler's time since {@link #start}, per unit of wall time (1.0: one core the whole time). */
  double share() {
    double wallSeconds = (System.nanoTime() - startNanos) / 1e9;
    return wallSeconds <= 0 ? 0 : (compilerCpuSeconds() - compilerSeconds) / wallSeconds;
  }

  /** The compiler threads' CPU time so far, in seconds. */
  static double compilerCpuSeconds() {
    if (!Files.isDirectory(TASKS)) {
      return ManagementFactory.getCompilationMXBean().getTotalCompilationTime() / 1000.0;
    }
    try (Stream<Path> tasks = Files.list(TASKS)) {
      return tasks.mapToLong(JitActivity::compilerTicks).sum() / TICKS_PER_SECOND;
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + TASKS, e);
    }
  }

  /** utime + stime of a thread if it is one of HotSpot's compiler threads ("C1 CompilerThre", "C2 ..."). */
  private static long compilerTicks(Path task) {
    try {
      String stat = Files.readString(task.resolve("stat"));
      String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!name.contains("CompilerThre")) {
        return 0;
      }
      // After the name: state is field 3, utime field 14 and stime field 15 (proc(5)).
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException | RuntimeException gone) {
      // A thread that ended meanwhile: its time is no longer counted anywhere.
      return 0;
    }
  }
}
