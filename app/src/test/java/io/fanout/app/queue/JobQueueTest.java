package io.fanout.app.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Redis queue between the API and the dispatchers. An API-only process queues jobs; each
 * test starts the worker process (dispatchers and workers) when it wants the queue to move, on a
 * Redis database of this class's own so that counts of what is queued mean something.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The job queue: priorities, delays, idempotency, cancellation, admission")
class JobQueueTest {
  private static final int REDIS_DB = 3;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);
  /** Jobs of at most this many tasks are small (the express lane); the API decides, so it is set there. */
  private static final int SMALL_JOB_TASKS = 100;

  private static FanoutUnderTest api;
  private static RedisProbe redis;
  private static KafkaProbe kafka;
  private FanoutUnderTest workers;

  @BeforeAll
  static void startApi() {
    api = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.ROLES, "api")
        .put(Settings.SMALL_JOB_TASKS, SMALL_JOB_TASKS)
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB)));
    redis = new RedisProbe(api.app().vertx(), SharedBackends.redisUrl(REDIS_DB));
    kafka = new KafkaProbe(api.app());
  }

  @AfterAll
  static void stopApi() {
    kafka.close();
    redis.close();
    api.close();
  }

  @BeforeEach
  void emptyQueue() {
    redis.flush();
  }

  @AfterEach
  void stopWorkers() {
    if (workers != null) {
      workers.close();
      workers = null;
    }
  }

  @Test
  @DisplayName("jobs start by priority, highest first, and in arrival order within a priority, in either lane")
  void priorityThenArrival() {
    priorityThenArrivalOf(10, new JsonObject().put(Settings.MAX_ACTIVE_SMALL_JOBS, 1));
    stopWorkers();
    priorityThenArrivalOf(SMALL_JOB_TASKS + 10, new JsonObject().put(Settings.MAX_ACTIVE_JOBS, 1));
  }

  private void priorityThenArrivalOf(int tasks, JsonObject oneAtATime) {
    String low = api.submit(count(tasks).put("priority", 1));
    String high = api.submit(count(tasks).put("priority", 10));
    String mid = api.submit(count(tasks).put("priority", 5));
    String firstPlain = api.submit(count(tasks));
    String secondPlain = api.submit(count(tasks));

    startWorkers(oneAtATime);

    List<JsonObject> inExpectedOrder = new ArrayList<>();
    for (String id : List.of(high, mid, low, firstPlain, secondPlain)) {
      inExpectedOrder.add(api.awaitFinal(id, JOB_TIMEOUT));
    }
    for (int i = 0; i + 1 < inExpectedOrder.size(); i++) {
      JsonObject earlier = inExpectedOrder.get(i);
      JsonObject later = inExpectedOrder.get(i + 1);
      // One job at a time: each must have ended before the next one started.
      assertThat(instant(earlier, "finishedAt")).as("%s ends before %s starts", earlier.getInteger("priority"),
          later.getInteger("priority")).isBeforeOrEqualTo(instant(later, "startedAt"));
    }
  }

  @Test
  @DisplayName("a delayed job waits in the delayed set and starts no earlier than its time")
  void delayedJob() {
    startWorkers(new JsonObject());
    String id = api.submit(count(5).put("delayMs", 1500));

    JsonObject queued = api.get("/jobs/" + id).bodyAsJsonObject();
    assertThat(queued.getString("status")).isEqualTo("queued");
    assertThat(redis.send(Command.ZSCORE, RedisKeys.DELAYED, id)).isNotNull();

    JsonObject finished = api.awaitFinal(id, JOB_TIMEOUT);
    assertThat(finished.getString("status")).isEqualTo("completed");
    assertThat(instant(finished, "startedAt")).isAfterOrEqualTo(instant(queued, "runAt"));
    assertThat(instant(queued, "runAt")).isEqualTo(instant(queued, "createdAt").plusMillis(1500));
  }

  @Test
  @DisplayName("the same idempotency key gives the same job, and no second one is stored")
  void idempotencyKey() {
    JsonObject body = new JsonObject().put("type", "sha256").put("items", new JsonArray().add("a").add("b"))
        .put("idempotencyKey", "order-42");

    HttpResponse<Buffer> first = api.post("/jobs", body);
    HttpResponse<Buffer> again = api.post("/jobs", body);
    HttpResponse<Buffer> other = api.post("/jobs", body.copy().put("idempotencyKey", "order-43"));

    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getBoolean("duplicate")).isTrue();
    assertThat(again.bodyAsJsonObject().getString("jobId")).isEqualTo(first.bodyAsJsonObject().getString("jobId"));
    assertThat(other.bodyAsJsonObject().getString("jobId")).isNotEqualTo(first.bodyAsJsonObject().getString("jobId"));
    assertThat(redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong()).isEqualTo(2);
    assertThat(redis.send(Command.ZCARD, RedisKeys.WAITING_EXPRESS).toLong()).as("small jobs, in their lane")
        .isEqualTo(2);
    assertThat(redis.keys("upload:*")).as("the duplicate's staged items are dropped").isEmpty();
  }

  @Test
  @DisplayName("a job cancelled while queued never runs, and the queue moves on past it")
  void cancelBeforeRun() {
    String cancelled = api.submit(count(50));
    HttpResponse<Buffer> cancel = api.delete("/jobs/" + cancelled);
    assertThat(cancel.statusCode()).isEqualTo(200);
    assertThat(cancel.bodyAsJsonObject().getString("status")).isEqualTo("cancelled");

    startWorkers(new JsonObject());
    String next = api.submit(count(50));
    assertThat(api.awaitFinal(next, JOB_TIMEOUT).getString("status")).isEqualTo("completed");

    JsonObject job = api.get("/jobs/" + cancelled).bodyAsJsonObject();
    assertThat(job.getString("status")).isEqualTo("cancelled");
    assertThat(job.containsKey("startedAt")).isFalse();
    assertThat(Await.result(kafka.admin().listTopics())).doesNotContain(Topics.tasks(cancelled));
    assertThat(api.get("/jobs/" + cancelled + "/log/last").bodyAsJsonObject().getJsonObject("record")
        .getString("event")).isEqualTo("cancelled");
  }

  @Test
  @DisplayName("a job cancelled while running stops counting at once and stops being fanned out")
  void cancelDuringRun() {
    startWorkers(new JsonObject().put(Settings.PRODUCE_WINDOW, 1000));
    long total = 3_000_000;
    String id = api.submit(count(total));
    Await.until(() -> jobFuture(id), job -> job.getLong("done") > 0, JOB_TIMEOUT);

    JsonObject atCancel = api.delete("/jobs/" + id).bodyAsJsonObject();

    assertThat(atCancel.getString("status")).isEqualTo("cancelled");
    String next = api.submit(count(20));
    assertThat(api.awaitFinal(next, JOB_TIMEOUT).getString("status")).isEqualTo("completed");
    JsonObject later = api.get("/jobs/" + id).bodyAsJsonObject();
    assertThat(later.getLong("done")).as("no task counted after the cancel").isEqualTo(atCancel.getLong("done"));
    assertThat(later.getString("status")).isEqualTo("cancelled");
    assertThat(redis.send(Command.ZSCORE, RedisKeys.ACTIVE, id)).isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.LEASES, id)).isNull();
    assertThat(kafka.taskRecords(id)).as("the dispatcher stopped producing").isLessThan(total);
  }

  @Test
  @DisplayName("a small job cancelled while running stops counting at once; its tasks still in the express lane are skipped")
  void cancelSmallDuringRun() {
    startWorkers(new JsonObject());
    String id = api.submit(new JsonObject().put("type", "sleep").put("count", SMALL_JOB_TASKS)
        .put("payload", new JsonObject().put("ms", 200)));
    Await.until(() -> jobFuture(id), job -> job.getLong("done") > 0, JOB_TIMEOUT);

    JsonObject atCancel = api.delete("/jobs/" + id).bodyAsJsonObject();

    assertThat(atCancel.getString("status")).isEqualTo("cancelled");
    assertThat(atCancel.getString("lane")).isEqualTo("express");
    assertThat(atCancel.getLong("done")).as("cancelled while running").isLessThan(SMALL_JOB_TASKS);
    // Tasks of it still running or waiting in the express topic are not counted: workers skip a
    // cancelled job's records, and the counting script refuses it. A later small job is done
    // once the workers have moved on.
    String next = api.submit(count(20));
    assertThat(api.awaitFinal(next, JOB_TIMEOUT).getString("status")).isEqualTo("completed");
    JsonObject later = api.get("/jobs/" + id).bodyAsJsonObject();
    assertThat(later.getLong("done")).as("no task counted after the cancel").isEqualTo(atCancel.getLong("done"));
    assertThat(redis.send(Command.ZSCORE, RedisKeys.ACTIVE_EXPRESS, id)).isNull();
  }

  @Test
  @DisplayName("never more big jobs run at once than MAX_ACTIVE_JOBS, nor small ones than MAX_ACTIVE_SMALL_JOBS, "
      + "under concurrent submissions from several clients")
  void admissionLimit() {
    int maxActive = 2;
    int maxActiveSmall = 3;
    startWorkers(new JsonObject().put(Settings.MAX_ACTIVE_JOBS, maxActive)
        .put(Settings.MAX_ACTIVE_SMALL_JOBS, maxActiveSmall).put(Settings.DISPATCH_INSTANCES, 3));
    List<Future<HttpResponse<Buffer>>> submissions = new ArrayList<>();
    for (int client = 0; client < 3; client++) {
      WebClient http = WebClient.create(api.app().vertx(), new WebClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(api.app().settings().integer(Settings.HTTP_PORT)));
      for (int job = 0; job < 6; job++) {
        submissions.add(http.post("/jobs").sendJsonObject(count(job % 2 == 0 ? 300 : SMALL_JOB_TASKS)));
      }
    }
    List<String> ids = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> submission : submissions) {
      ids.add(Await.result(submission).bodyAsJsonObject().getString("jobId"));
    }

    List<JsonObject> finished = ids.stream().map(id -> api.awaitFinal(id, JOB_TIMEOUT)).toList();

    assertThat(finished).allSatisfy(job -> assertThat(job.getString("status")).isEqualTo("completed"));
    List<JsonObject> big = finished.stream().filter(job -> job.getString("lane").equals("standard")).toList();
    List<JsonObject> small = finished.stream().filter(job -> job.getString("lane").equals("express")).toList();
    assertThat(big).as("jobs of more than SMALL_JOB_TASKS tasks").hasSize(9);
    assertThat(small).as("jobs of at most SMALL_JOB_TASKS tasks").hasSize(9);
    assertThat(mostAtOnce(big)).isLessThanOrEqualTo(maxActive);
    assertThat(mostAtOnce(small)).isLessThanOrEqualTo(maxActiveSmall);
    assertThat(redis.send(Command.ZCARD, RedisKeys.ACTIVE).toLong()).isZero();
    assertThat(redis.send(Command.ZCARD, RedisKeys.ACTIVE_EXPRESS).toLong()).isZero();
  }

  /** The most jobs running at one instant, from their [startedAt, finishedAt) intervals. */
  private static int mostAtOnce(List<JsonObject> jobs) {
    TreeMap<Instant, Integer> changes = new TreeMap<>();
    for (JsonObject job : jobs) {
      changes.merge(instant(job, "startedAt"), 1, Integer::sum);
      // Ends sort with their instant; a start in the same millisecond came after the end in Redis.
      changes.merge(instant(job, "finishedAt"), -1, Integer::sum);
    }
    int running = 0;
    int most = 0;
    for (int change : changes.values()) {
      running += change;
      most = Math.max(most, running);
    }
    return most;
  }

  private void startWorkers(JsonObject overrides) {
    workers = FanoutUnderTest.onSharedBackends(overrides.copy()
        .put(Settings.ROLES, "worker")
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB)));
  }

  private static Future<JsonObject> jobFuture(String id) {
    return api.http().get("/jobs/" + id).send().map(HttpResponse::bodyAsJsonObject);
  }

  private static JsonObject count(long n) {
    return new JsonObject().put("type", "count").put("count", n);
  }

  private static Instant instant(JsonObject job, String field) {
    return Instant.parse(job.getString(field));
  }
}
