package io.fanout.app.bench;

import io.fanout.app.Fanout;
import io.fanout.app.testing.Await;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scenario 6: one huge count job in a Fanout process of its own (a child JVM, every role, on the
 * benchmark's broker and Redis) whose heap is capped with -Xmx. The heap it needed is read from
 * its GC log: the most it held after a collection (live data) and before one (high-water mark).
 * The job runs to its end or to a time limit, then is cancelled and the process stopped, by PID.
 */
final class BigJobHeap {
  private static final Logger LOG = LoggerFactory.getLogger(BigJobHeap.class);
  private static final Pattern GC_LINE = Pattern.compile("Pause.*?(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  /**
   * @param done tasks counted when the run ended
   * @param dispatched task records in Kafka when the run ended
   * @param peakAfterGcMb most heap in use right after a collection
   * @param peakBeforeGcMb most heap in use before a collection (bounded by the cap)
   * @param outOfMemory whether the child logged an OutOfMemoryError or died
   * @param liveMb live objects after a full collection near the end (class histogram); NaN if not taken
   */
  record Result(long total, long done, long dispatched, double seconds, boolean finished, long peakAfterGcMb,
      long peakBeforeGcMb, long heapCapMb, int collections, boolean outOfMemory, double liveMb) {
    double rate() {
      return done / seconds;
    }
  }

  private final String bootstrapServers;
  private final String redisUrl;
  private final Path dir;

  BigJobHeap(String bootstrapServers, String redisUrl, Path dir) {
    this.bootstrapServers = bootstrapServers;
    this.redisUrl = redisUrl;
    this.dir = dir;
  }

  Result run(long tasks, String maxHeap, Duration limit, io.vertx.core.Vertx clientVertx) throws Exception {
    Path gcLog = dir.resolve("heap-child-gc.log");
    Path output = dir.resolve("heap-child.log");
    int port = Ports.free();
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog));
    String logback = System.getProperty("logback.configurationFile");
    if (logback != null) {
      command.add("-Dlogback.configurationFile=" + logback);
    }
    command.addAll(List.of("-DFANOUT_LOG_LEVEL=WARN", "-cp", System.getProperty("java.class.path"),
        Fanout.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
    builder.environment().putAll(Map.of(
        Settings.HTTP_PORT, Integer.toString(port),
        Settings.PROGRESS_PORT, Integer.toString(Ports.free()),
        Settings.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers,
        Settings.REDIS_URL, redisUrl,
        Settings.DATA_DIR, dir.resolve("heap-child-data").toString(),
        Settings.WORKER_GROUP, "bench-heap-workers"));
    Process child = builder.start();
    LOG.info("Heap child started, pid {}, -Xmx{}, log {}", child.pid(), maxHeap, output);
    // Ctrl-C on the benchmark must not leave the child running: it is stopped by its PID.
    Thread stopChild = new Thread(child::destroyForcibly, "bench-heap-child-stop");
    Runtime.getRuntime().addShutdownHook(stopChild);
    try (FanoutHttp http = new FanoutHttp(clientVertx, port, 2)) {
      awaitHealthy(http, child, output);
      long start = System.nanoTime();
      String id = http.submit(new JsonObject().put("type", "count").put("count", tasks));
      JsonObject job = null;
      long deadline = start + limit.toNanos();
      while (child.isAlive() && System.nanoTime() < deadline) {
        job = http.job(id);
        if ("completed".equals(job.getString("status")) || "failed".equals(job.getString("status"))) {
          break;
        }
        FanoutHttp.pause(1000);
      }
      boolean finished = job != null && "completed".equals(job.getString("status"));
      if (child.isAlive()) {
        writeHistogram(child, dir.resolve("heap-child-histogram.txt"));
      }
      double seconds;
      long done;
      if (finished) {
        seconds = FanoutHttp.millisBetween(job, "createdAt", "finishedAt") / 1000.0;
        done = job.getLong("done");
      } else {
        seconds = (System.nanoTime() - start) / 1e9;
        done = child.isAlive() ? http.job(id).getLong("done", 0L) : (job == null ? 0 : job.getLong("done", 0L));
        if (child.isAlive()) {
          http.cancel(id);
        }
      }
      long dispatched = recordsIn(Topics.tasks(id));
      boolean died = !child.isAlive();
      stop(child);
      return gcFigures(gcLog, output, tasks, done, dispatched, seconds, finished, died,
          liveMegabytes(dir.resolve("heap-child-histogram.txt")));
    } finally {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
      Runtime.getRuntime().removeShutdownHook(stopChild);
    }
  }

  private static void awaitHealthy(FanoutHttp http, Process child, Path output) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!child.isAlive()) {
        throw new IllegalStateException("the heap child died at start; see " + output);
      }
      try {
        if (Await.result(http.web().get("/health").send(), Duration.ofSeconds(5)).statusCode() == 200) {
          return;
        }
      } catch (AssertionError notYet) {
        // Not listening yet: Await reports a refused connection as an AssertionError.
      }
      FanoutHttp.pause(250);
    }
    throw new IllegalStateException("the heap child was not healthy within 90 s; see " + output);
  }

  /**
   * What holds the child's heap while the job is still in it: {@code jcmd GC.class_histogram}
   * (after a full collection, so live objects only), the top of it kept for the report.
   */
  private static void writeHistogram(Process child, Path file) throws InterruptedException, IOException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process histogram = new ProcessBuilder(jcmd.toString(), Long.toString(child.pid()), "GC.class_histogram")
        .redirectErrorStream(true).redirectOutput(file.toFile()).start();
    if (!histogram.waitFor(60, TimeUnit.SECONDS)) {
      histogram.destroyForcibly();
      LOG.warn("jcmd GC.class_histogram of the heap child did not answer within 60 s");
    }
  }

  /** The histogram's "Total ... bytes" line in MB; NaN when there is no histogram. */
  private static double liveMegabytes(Path histogram) throws IOException {
    if (!Files.exists(histogram)) {
      return Double.NaN;
    }
    return Files.readAllLines(histogram).stream()
        .filter(line -> line.startsWith("Total"))
        .map(line -> line.trim().split("\\s+"))
        .mapToDouble(fields -> Long.parseLong(fields[fields.length - 1]) / (1024.0 * 1024.0))
        .findFirst().orElse(Double.NaN);
  }

  /** SIGTERM, so its workers drain and it closes what it opened; SIGKILL if it does not end in 30 s. */
  private static void stop(Process child) throws InterruptedException {
    child.destroy();
    if (!child.waitFor(30, TimeUnit.SECONDS)) {
      LOG.warn("Heap child {} did not stop within 30 s; killing it", child.pid());
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private long recordsIn(String topic) {
    try (TopicOffsets offsets = new TopicOffsets(bootstrapServers)) {
      return offsets.records(topic);
    }
  }

  private static Result gcFigures(Path gcLog, Path output, long total, long done, long dispatched, double seconds,
      boolean finished, boolean died, double liveMb) throws IOException {
    long peakBefore = 0;
    long peakAfter = 0;
    long cap = 0;
    int collections = 0;
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = GC_LINE.matcher(line);
      if (m.find()) {
        collections++;
        peakBefore = Math.max(peakBefore, Long.parseLong(m.group(1)));
        peakAfter = Math.max(peakAfter, Long.parseLong(m.group(2)));
        cap = Math.max(cap, Long.parseLong(m.group(3)));
      }
    }
    boolean outOfMemory = died || Files.readString(output).contains("OutOfMemoryError");
    return new Result(total, done, dispatched, seconds, finished, peakAfter, peakBefore, cap, collections, outOfMemory,
        liveMb);
  }
}
