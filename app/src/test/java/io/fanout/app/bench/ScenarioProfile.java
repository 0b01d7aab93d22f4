package io.fanout.app.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU went during one scenario, in this JVM (which holds the embedded Kafka broker,
 * every Fanout role and the benchmark's clients) and in the redis-server it started: CPU time per
 * thread group, measured, and a JFR recording whose execution samples are summed by top frame, by
 * thread and by the innermost Fanout frame. The .jfr file stays for {@code jfr print}.
 */
final class ScenarioProfile {
  private static final int TOP = 15;

  private final Path jfrFile;
  private final Recording recording;
  private final Map<Long, Long> threadCpuAtStart;
  private final long processCpuAtStart;
  private final long childrenCpuAtStart;
  private final long[] gcAtStart;
  private final long jitMillisAtStart;
  private final long startNanos = System.nanoTime();

  private ScenarioProfile(Path jfrFile, Recording recording) {
    this.jfrFile = jfrFile;
    this.recording = recording;
    this.threadCpuAtStart = threadCpu();
    this.processCpuAtStart = Machine.processCpuNanos();
    this.childrenCpuAtStart = Machine.childrenCpuNanos();
    this.gcAtStart = gcCountAndMillis();
    this.jitMillisAtStart = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
  }

  /**
   * Starts and stops an empty recording. The first recording in a JVM makes JFR instrument the
   * JDK's file and socket classes, which throws away the compiled code that inlined them (the
   * broker's and every Kafka client's network code): measured right after it, a run went at half
   * speed while the JIT compiled it all again. Done before a warm-up, that is over in time.
   */
  static void prime() throws IOException, ParseException {
    try (Recording recording = new Recording(Configuration.getConfiguration("profile"))) {
      recording.start();
      recording.stop();
    }
  }

  /** Starts a JFR recording with the JDK's "profile" settings (execution samples every 10 ms). */
  static ScenarioProfile start(Path jfrFile) throws IOException, ParseException {
    Recording recording = new Recording(Configuration.getConfiguration("profile"));
    recording.setName("fanout-bench");
    recording.start();
    return new ScenarioProfile(jfrFile, recording);
  }

  /** Stops the recording, writes it, and returns the summary as Markdown-friendly text. */
  String stop() throws IOException {
    double wallSeconds = (System.nanoTime() - startNanos) / 1e9;
    Map<Long, Long> threadCpuAtEnd = threadCpu();
    double processSeconds = (Machine.processCpuNanos() - processCpuAtStart) / 1e9;
    double childrenSeconds = (Machine.childrenCpuNanos() - childrenCpuAtStart) / 1e9;
    long[] gc = gcCountAndMillis();
    long jitMillis = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitMillisAtStart;
    recording.stop();
    recording.dump(jfrFile);
    recording.close();
    StringBuilder out = new StringBuilder();
    out.append(String.format("CPU over %.1f s of wall time (%d cores = %.1f core-seconds available): "
            + "this JVM %.1f s (Kafka broker + Fanout + bench clients), redis-server %.1f s%n%n",
        wallSeconds, Runtime.getRuntime().availableProcessors(),
        wallSeconds * Runtime.getRuntime().availableProcessors(), processSeconds, childrenSeconds));
    Map<String, Double> groups = cpuByGroup(threadCpuAtStart, threadCpuAtEnd);
    double attributed = groups.values().stream().mapToDouble(Double::doubleValue).sum();
    out.append(String.format("GC: %d collections, %.1f s in collections (wall time of pauses and concurrent "
            + "cycles)%n",
        gc[0] - gcAtStart[0], (gc[1] - gcAtStart[1]) / 1000.0));
    // A JIT still compiling competes with the work for the same two cores: the JVM was not warm yet.
    out.append(String.format("JIT: %.1f s spent compiling (compiler threads, not in the thread groups below)%n%n",
        jitMillis / 1000.0));
    out.append("CPU seconds by thread group (ThreadMXBean, threads alive at the end):\n\n");
    appendTop(out, groups, "%.1f s", TOP);
    out.append(String.format("    %.1f s  not attributed to a live Java thread (JIT compilers, GC, threads that "
            + "ended)%n",
        processSeconds - attributed));
    out.append("\nBusiest single threads:\n\n");
    appendTop(out, cpuByThread(threadCpuAtStart, threadCpuAtEnd), "%.1f s", 8);
    summarizeSamples(out);
    return out.toString();
  }

  private void summarizeSamples(StringBuilder out) throws IOException {
    Map<String, Double> byTopFrame = new HashMap<>();
    Map<String, Double> byThread = new HashMap<>();
    Map<String, Double> byFanoutFrame = new HashMap<>();
    long samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(jfrFile)) {
      if (!"jdk.ExecutionSample".equals(event.getEventType().getName())) {
        continue;
      }
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      samples++;
      List<RecordedFrame> frames = stack.getFrames();
      byTopFrame.merge(methodName(frames.get(0)), 1.0, Double::sum);
      byThread.merge(threadGroup(event.getThread("sampledThread").getJavaName()), 1.0, Double::sum);
      String fanoutFrame = frames.stream().map(ScenarioProfile::methodName)
          .filter(name -> name.startsWith("io.fanout.") && !name.startsWith("io.fanout.app.bench."))
          .findFirst().orElse("(no Fanout frame on the stack)");
      byFanoutFrame.merge(fanoutFrame, 1.0, Double::sum);
    }
    out.append(String.format("%nJFR jdk.ExecutionSample: %,d samples in %s%n%nTop frames (self):%n%n", samples,
        jfrFile.getFileName()));
    appendTop(out, percent(byTopFrame, samples), "%.1f %%", TOP);
    out.append("\nSamples by thread group:\n\n");
    appendTop(out, percent(byThread, samples), "%.1f %%", TOP);
    out.append("\nInnermost Fanout frame on the stack (what Fanout code led to the work):\n\n");
    appendTop(out, percent(byFanoutFrame, samples), "%.1f %%", TOP);
  }

  private static Map<String, Double> percent(Map<String, Double> counts, long total) {
    Map<String, Double> shares = new HashMap<>();
    counts.forEach((key, count) -> shares.put(key, 100.0 * count / Math.max(1, total)));
    return shares;
  }

  private static void appendTop(StringBuilder out, Map<String, Double> values, String format, int limit) {
    values.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .limit(limit)
        .forEach(entry -> out.append("    ").append(String.format(format, entry.getValue())).append("  ")
            .append(entry.getKey()).append('\n'));
  }

  private static String methodName(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  /** Thread names without their numbers and ids, so that a pool's threads add up. */
  static String threadGroup(String name) {
    if (name == null) {
      return "(unnamed)";
    }
    return name.replaceAll("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "*")
        .replaceAll("\\d+", "#");
  }

  private static long[] gcCountAndMillis() {
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, collector.getCollectionCount());
      millis += Math.max(0, collector.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  private static Map<Long, Long> threadCpu() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> cpu = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long nanos = threads.getThreadCpuTime(id);
      if (nanos >= 0) {
        cpu.put(id, nanos);
      }
    }
    return cpu;
  }

  private static Map<String, Double> cpuByThread(Map<Long, Long> start, Map<Long, Long> end) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Double> each = new HashMap<>();
    end.forEach((id, nanos) -> {
      ThreadInfo info = threads.getThreadInfo(id);
      if (info != null) {
        each.merge(info.getThreadName(), (nanos - start.getOrDefault(id, 0L)) / 1e9, Double::sum);
      }
    });
    return each;
  }

  private static Map<String, Double> cpuByGroup(Map<Long, Long> start, Map<Long, Long> end) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Double> groups = new LinkedHashMap<>();
    List<Long> ids = new ArrayList<>(end.keySet());
    for (long id : ids) {
      ThreadInfo info = threads.getThreadInfo(id);
      if (info == null) {
        continue;
      }
      // A thread born during the scenario counts from zero.
      double seconds = (end.get(id) - start.getOrDefault(id, 0L)) / 1e9;
      groups.merge(threadGroup(info.getThreadName()), seconds, Double::sum);
    }
    return groups;
  }
}
