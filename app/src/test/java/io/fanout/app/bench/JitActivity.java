package io.fanout.app.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The CPU time the JIT compiler spent since {@link #start}: how far this JVM still is from its
 * steady state. It holds Fanout's roles, the Kafka broker and the clients, some 30 MB of compiled
 * code; on 2 cores the compiler takes minutes of load to compile it, and until then it takes a
 * third of the CPU and more, which a run measured then charges to its jobs.
 *
 * <p>Read as the CPU time of the compiler threads from {@code /proc/self/task}, thread by thread:
 * the JVM's own compilation time is wall time, which on a loaded machine counts the compiler's
 * waits for a core too, and compiler threads come and go (a thread that ends takes its time with
 * it, so only each thread's growth since the start is summed). Where there is no {@code /proc}
 * (not Linux), it falls back to the JVM's compilation time.
 */
final class JitActivity {
  /** Linux's clock ticks per second for /proc's times (USER_HZ), 100 on every usual kernel. */
  private static final double TICKS_PER_SECOND = 100;
  private static final Path TASKS = Path.of("/proc/self/task");

  private Map<String, Long> ticksAtStart = Map.of();
  private long compileMsAtStart;

  JitActivity start() {
    ticksAtStart = compilerTicks();
    compileMsAtStart = compileMs();
    return this;
  }

  /** The compiler's CPU seconds since {@link #start}. */
  double cpuSeconds() {
    if (!Files.isDirectory(TASKS)) {
      return (compileMs() - compileMsAtStart) / 1000.0;
    }
    return compilerTicks().entrySet().stream()
        .mapToLong(thread -> thread.getValue() - ticksAtStart.getOrDefault(thread.getKey(), 0L))
        .sum() / TICKS_PER_SECOND;
  }

  private static long compileMs() {
    CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
    // None in an interpreted-only JVM.
    return compiler == null ? 0 : compiler.getTotalCompilationTime();
  }

  /** utime + stime of each of HotSpot's compiler threads alive now ("C1 CompilerThre", "C2 ...", "JVMCI CompilerT"), by thread id. */
  private static Map<String, Long> compilerTicks() {
    Map<String, Long> ticks = new HashMap<>();
    if (!Files.isDirectory(TASKS)) {
      return ticks;
    }
    try (Stream<Path> tasks = Files.list(TASKS)) {
      tasks.forEach(task -> {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (name.contains("CompilerT")) {
            // After the name: state is field 3, utime field 14 and stime field 15 (proc(5)).
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            ticks.put(task.getFileName().toString(), Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
          }
        } catch (IOException | RuntimeException gone) {
          // A thread that ended meanwhile.
        }
      });
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + TASKS, e);
    }
    return ticks;
  }
}
