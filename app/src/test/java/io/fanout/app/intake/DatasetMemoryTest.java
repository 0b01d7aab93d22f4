package io.fanout.app.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset far bigger than the API's heap goes through Kafka, not Redis: streamed as ndjson to an
 * API process whose heap is capped at 256 MB (a child JVM, so the cap is real and its own), run to
 * the end by a worker, and freed. Redis is an instance of the test's own, so that its
 * {@code used_memory} is this job's alone.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("A 200 MB dataset runs through an API with a 256 MB heap while Redis holds only metadata")
class DatasetMemoryTest {
  private static final Logger LOG = LoggerFactory.getLogger(DatasetMemoryTest.class);
  private static final int ITEMS = 200_000;
  /** Each item is about this long: 200,000 of them make about 200 MB. */
  private static final int ITEM_CHARS = 1000;
  private static final long MB = 1024 * 1024;
  /** The job's done and logged bitmaps (failed stays empty): one bit per task each. */
  private static final long BITMAPS = 2L * ITEMS / 8;
  private static final long SAMPLE_MS = 50;

  @Test
  @DisplayName("200,000 items (200 MB) complete with exact counts; Redis stays under 10 MB plus the bitmaps, and "
      + "returns to within 1 MB of its start once the job's data is freed")
  void bigDatasetSmallRedis(@TempDir Path dir) throws Exception {
    Path dataset = writeDataset(dir);
    assertThat(Files.size(dataset)).as("about 200 MB").isBetween(190_000_000L, 220_000_000L);
    int redisPort = FanoutUnderTest.freePort();
    int apiPort = FanoutUnderTest.freePort();
    Vertx vertx = Vertx.vertx();
    try (RedisNodes nodes = new RedisNodes(dir.resolve("redis"))) {
      nodes.server("metadata", redisPort, List.of("port " + redisPort, "appendonly no"));
      String redisUrl = "redis://127.0.0.1:" + redisPort;
      RedisProbe redis = new RedisProbe(vertx, redisUrl);
      ChildFanout api = ChildFanout.start("dataset-memory-api", List.of("-Xmx256m"), List.of("--roles", "api"),
          Map.of(Settings.HTTP_PORT, Integer.toString(apiPort), Settings.REDIS_URL, redisUrl,
              Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers()));
      try (FanoutUnderTest worker = FanoutUnderTest.onSharedBackends(new JsonObject()
          .put(Settings.ROLES, "worker").put(Settings.REDIS_URL, redisUrl)
          .put(Settings.TOPIC_RETENTION_MS, 500).put(Settings.JANITOR_INTERVAL_MS, 200));
          KafkaProbe kafka = new KafkaProbe(worker.app())) {
        api.awaitLog("API listening", Duration.ofSeconds(60));
        long start = redis.usedMemory();
        AtomicLong peak = new AtomicLong(start);
        long sampler = vertx.setPeriodic(SAMPLE_MS, tick -> vertx.executeBlocking(redis::usedMemory)
            .onSuccess(used -> peak.accumulateAndGet(used, Math::max)));

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/jobs"))
            .header("Content-Type", "application/x-ndjson")
            .POST(HttpRequest.BodyPublishers.ofFile(dataset)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        long peakDuringUpload = peak.get();
        String jobId = new JsonObject(response.body()).getString("jobId");
        assertThat(kafka.records("job." + jobId + ".items", 1).toCompletionStage().toCompletableFuture().get())
            .as("every item is in the staging topic").isEqualTo(ITEMS);

        JsonObject job = Await.until(() -> Future.succeededFuture(get(http, apiPort, jobId)),
            found -> "completed".equals(found.getString("status")) || "failed".equals(found.getString("status")),
            Duration.ofMinutes(5));
        long peakOverall = peak.get();
        assertThat(job.getString("status")).isEqualTo("completed");
        assertThat(job.getLong("done")).isEqualTo(ITEMS);
        assertThat(job.getLong("failed")).isZero();
        assertThat(api.process().isAlive()).as("the API survived the upload").isTrue();
        assertThat(peakDuringUpload - start).as("Redis growth during the upload").isLessThan(10 * MB);
        assertThat(peakOverall - start).as("Redis growth during the job").isLessThan(10 * MB + BITMAPS);

        // The topics go after TOPIC_RETENTION_MS, and with them the bitmaps; the summary stays.
        Await.until(() -> Future.succeededFuture(kafka.topicsOf(jobId)), java.util.Set::isEmpty, Duration.ofSeconds(60));
        long freed = Await.until(() -> Future.succeededFuture(redis.usedMemory()), used -> used - start < MB,
            Duration.ofSeconds(30));
        vertx.cancelTimer(sampler);
        long summary = redis.send(Command.MEMORY, "USAGE", RedisKeys.job(jobId)).toLong();
        // The figures README quotes ("Redis memory"): read them from this line of the test's output.
        LOG.info("Redis used_memory for a {}-item, {}-byte dataset job: start {} B, peak during upload +{} B, peak "
            + "during the job +{} B, after its data is freed +{} B; its summary (MEMORY USAGE of the job hash) {} B",
            ITEMS, Files.size(dataset), start, peakDuringUpload - start, peakOverall - start, freed - start, summary);
        assertThat(get(http, apiPort, jobId).getLong("done")).as("the summary outlives the job's data").isEqualTo(ITEMS);
      } finally {
        api.close();
      }
    } finally {
      Await.result(vertx.close());
    }
  }

  private static JsonObject get(HttpClient http, int port, String jobId) {
    try {
      return new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs/" + jobId))
          .build(), HttpResponse.BodyHandlers.ofString()).body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The job line, then one JSON item per line of about {@value #ITEM_CHARS} characters. */
  private static Path writeDataset(Path dir) throws IOException {
    Path file = dir.resolve("dataset.ndjson");
    String filler = "x".repeat(ITEM_CHARS - 40);
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write("{\"type\":\"sha256\",\"partitions\":4}\n");
      for (int index = 0; index < ITEMS; index++) {
        out.write("{\"record\":" + index + ",\"text\":\"" + filler + "\"}\n");
      }
    }
    return file;
  }
}
