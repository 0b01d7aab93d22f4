package io.fanout.app.bench;

import io.fanout.app.testing.RedisProbe;
import io.fanout.core.JobState;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario 7: a dataset job as a user submits one, an ndjson file streamed to {@code POST /jobs},
 * hashed item by item, while Redis's {@code used_memory} is sampled throughout. The items live in
 * the job's staging topic, so Redis should grow by the job's metadata and bitmaps only.
 */
final class DatasetJob {
  private static final long SAMPLE_MS = 100;

  /**
   * @param uploadSeconds from the first byte sent to the 202
   * @param runSeconds from the job's startedAt to its finishedAt
   * @param redisPeakGrowth most {@code used_memory} above its value before the upload, during upload and job
   */
  record Result(long items, long bytes, double uploadSeconds, double runSeconds, String status, long done,
      long redisPeakGrowth) {
    double rate() {
      return done / runSeconds;
    }
  }

  private final Vertx vertx;
  private final int port;
  private final String redisUrl;

  DatasetJob(Vertx vertx, int port, String redisUrl) {
    this.vertx = vertx;
    this.port = port;
    this.redisUrl = redisUrl;
  }

  Result run(int items, Path dir, Duration timeout) throws Exception {
    Path dataset = write(dir.resolve("dataset.ndjson"), items);
    try (RedisProbe redis = new RedisProbe(vertx, redisUrl); FanoutHttp http = new FanoutHttp(vertx, port, 2)) {
      long start = redis.usedMemory();
      AtomicLong peak = new AtomicLong(start);
      long sampler = vertx.setPeriodic(SAMPLE_MS, tick -> vertx.executeBlocking(redis::usedMemory)
          .onSuccess(used -> peak.accumulateAndGet(used, Math::max)));
      try {
        long uploadStart = System.nanoTime();
        HttpResponse<String> accepted = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs"))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofFile(dataset)).build(),
            HttpResponse.BodyHandlers.ofString());
        double uploadSeconds = (System.nanoTime() - uploadStart) / 1e9;
        if (accepted.statusCode() != 202) {
          throw new IllegalStateException("the upload was answered " + accepted.statusCode() + " " + accepted.body());
        }
        String id = new JsonObject(accepted.body()).getString("jobId");
        JsonObject job = http.awaitFinal(id, timeout, 500);
        if (job == null) {
          http.cancel(id);
          throw new IllegalStateException("the dataset job did not end within " + timeout);
        }
        return new Result(items, Files.size(dataset), uploadSeconds,
            FanoutHttp.millisBetween(job, "startedAt", "finishedAt") / 1000.0, job.getString("status"),
            job.getLong("done"), peak.get() - start);
      } finally {
        vertx.cancelTimer(sampler);
        Files.deleteIfExists(dataset);
      }
    }
  }

  static boolean completed(Result result) {
    return JobState.fromWire(result.status()) == JobState.COMPLETED && result.done() == result.items();
  }

  /** The job line, then one JSON item of about 100 bytes per line. */
  private static Path write(Path file, int items) throws IOException {
    String filler = "x".repeat(64);
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write("{\"type\":\"sha256\"}\n");
      for (int index = 0; index < items; index++) {
        out.write("{\"record\":" + index + ",\"text\":\"" + filler + "\"}\n");
      }
    }
    return file;
  }
}
