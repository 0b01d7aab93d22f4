package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The worker engine on one process: exact counts, failures and retries, pausing, topic retention. */
@ExtendWith(SharedBackends.class)
@DisplayName("Workers count every task once, retry and dead-letter failures, pause, and clean up topics")
class WorkerEngineTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration RETENTION = Duration.ofSeconds(15);

  private static FanoutUnderTest fanout;
  private static KafkaProbe kafka;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(6))
        .put(Settings.RETRY_BASE_MS, 20)
        // Long enough that reading a finished job's 100,000 log records never races the janitor
        // on a busy machine; short enough for the retention test to wait for it.
        .put(Settings.TOPIC_RETENTION_MS, RETENTION.toMillis())
        .put(Settings.JANITOR_INTERVAL_MS, 300));
    kafka = new KafkaProbe(fanout.app());
  }

  @AfterAll
  static void stop() {
    kafka.close();
    fanout.close();
  }

  @Test
  @DisplayName("a 100,000-task job ends with done exactly 100,000 and exactly one log record per task")
  void exactCounts() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", 100_000), JOB_TIMEOUT);

    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).isEqualTo(100_000L);
    assertThat(job.getLong("failed")).isZero();
    long records = kafka.logRecords(job.getString("id"));
    assertThat(records).as("100,000 task records and one lifecycle record").isEqualTo(100_001L);
  }

  @Test
  @DisplayName("a summing type reduces its tasks' values into the job's result")
  void summedResult() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "primes").put("count", 10)
        .put("payload", new JsonObject().put("from", 0).put("to", 100_000)), JOB_TIMEOUT);

    assertThat(job.getJsonObject("result").getDouble("value")).as("primes below 100,000").isEqualTo(9592.0);
  }

  @Test
  @DisplayName("a task failing every attempt is retried up to maxAttempts, then listed as failed and dead-lettered")
  void failuresAreRetriedThenDeadLettered() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "fail").put("count", 12).put("maxAttempts", 3)
        .put("payload", new JsonObject().put("p", 1)), JOB_TIMEOUT);
    String id = job.getString("id");

    assertThat(job.getString("status")).isEqualTo("failed");
    assertThat(job.getLong("failed")).isEqualTo(12L);
    JsonArray failures = fanout.get("/jobs/" + id + "/failures?limit=100").bodyAsJsonObject().getJsonArray("failures");
    assertThat(failures).hasSize(12);
    Set<Long> indexes = new HashSet<>();
    failures.forEach(failure -> {
      JsonObject record = (JsonObject) failure;
      assertThat(record.getInteger("attempts")).isEqualTo(3);
      assertThat(record.getString("error")).contains("failed on purpose");
      indexes.add(record.getLong("index"));
    });
    assertThat(indexes).hasSize(12);
    assertThat(kafka.readAll(Topics.DEAD_LETTERS).stream().filter(record -> id.equals(record.key()))).hasSize(12);
  }

  @Test
  @DisplayName("retry-failed re-runs only the failed tasks until the job completes, counting each task once")
  void retryFailedCompletesTheJob() {
    int total = 40;
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "fail").put("count", total).put("maxAttempts", 1)
        .put("payload", new JsonObject().put("p", 0.5)), JOB_TIMEOUT);
    String id = job.getString("id");
    for (int round = 0; round < 30 && "failed".equals(job.getString("status")); round++) {
      long doneBefore = job.getLong("done");
      assertThat(fanout.post("/jobs/" + id + "/retry-failed", new JsonObject()).statusCode()).isEqualTo(202);
      job = fanout.awaitFinal(id, JOB_TIMEOUT);
      assertThat(job.getLong("done")).isGreaterThanOrEqualTo(doneBefore);
      assertThat(job.getLong("done") + job.getLong("failed")).isEqualTo(total);
    }
    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).isEqualTo(total);
  }

  @Test
  @DisplayName("paused workers stay in the group but run nothing, of a big job or a small one; resumed, they finish both")
  void pauseAndResume() {
    int partitions = fanout.app().settings().integer(Settings.TASK_PARTITIONS);
    long expressBefore = Await.result(kafka.records(Topics.EXPRESS_TASKS, partitions));
    assertThat(fanout.post("/workers/pause", new JsonObject()).statusCode()).isEqualTo(200);
    Await.until(() -> Future.succeededFuture(workerFigures()), figures -> figures.stream()
        .allMatch(worker -> ((JsonObject) worker).getBoolean("paused")), Duration.ofSeconds(10));
    String id = fanout.submit(new JsonObject().put("type", "count").put("count", 2000));
    String small = fanout.submit(new JsonObject().put("type", "count").put("count", 10));
    Await.until(() -> fanout.http().get("/jobs/" + id).send().map(r -> r.bodyAsJsonObject()),
        job -> "running".equals(job.getString("status")), JOB_TIMEOUT);
    // Their tasks are all in Kafka while every worker is paused: none of them may run.
    Await.until(() -> kafka.records(Topics.tasks(id), partitions), produced -> produced == 2000, Duration.ofSeconds(30));
    Await.until(() -> kafka.records(Topics.EXPRESS_TASKS, partitions), produced -> produced == expressBefore + 10,
        Duration.ofSeconds(30));
    assertThat(fanout.get("/jobs/" + id).bodyAsJsonObject().getLong("done")).isZero();
    assertThat(fanout.get("/jobs/" + small).bodyAsJsonObject().getLong("done")).isZero();

    assertThat(fanout.post("/workers/resume", new JsonObject()).statusCode()).isEqualTo(200);

    JsonObject finished = fanout.awaitFinal(id, JOB_TIMEOUT);
    assertThat(finished.getString("status")).isEqualTo("completed");
    assertThat(finished.getLong("done")).isEqualTo(2000L);
    JsonObject smallFinished = fanout.awaitFinal(small, JOB_TIMEOUT);
    assertThat(smallFinished.getString("lane")).isEqualTo("express");
    assertThat(smallFinished.getLong("done")).isEqualTo(10L);
  }

  @Test
  @DisplayName("a finished job's log is gone after the retention time, a big job's topics deleted and a small "
      + "job's part of the express log with them; its summary and last record stay")
  void topicsDeletedAfterRetention() {
    int smallJobTasks = fanout.app().settings().integer(Settings.SMALL_JOB_TASKS);
    for (long count : List.of(50L, smallJobTasks + 1L)) {
      JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", count), JOB_TIMEOUT);
      String id = job.getString("id");
      assertThat(job.getString("lane")).isEqualTo(count <= smallJobTasks ? "express" : "standard");

      Await.until(() -> fanout.http().get("/jobs/" + id + "/log").send().map(HttpResponse::statusCode),
          status -> status == 410, RETENTION.plusSeconds(30));

      assertThat(Await.result(kafka.admin().listTopics())).doesNotContain(Topics.tasks(id), Topics.log(id));
      assertThat(fanout.get("/jobs/" + id).bodyAsJsonObject()).isEqualTo(job);
      assertThat(fanout.get("/jobs/" + id + "/log/last").bodyAsJsonObject().getJsonObject("record")
          .getString("event")).isEqualTo("completed");
      assertThat(fanout.get("/jobs/" + id + "/results").statusCode()).isEqualTo(410);
    }
  }

  private static JsonArray workerFigures() {
    return new JsonArray(fanout.app().vertx().sharedData()
        .<String, JsonObject>getLocalMap(Addresses.WORKER_FIGURES_MAP).values().stream().toList());
  }
}
