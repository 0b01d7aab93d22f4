package io.fanout.app.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis keeps a finished job's summary for JOB_RETENTION_MS and then nothing of it; a purge does
 * the same at once. Redis is an instance of each test's own, so that a scan of it sees every key
 * Fanout left.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Finished jobs are forgotten after the retention time or when purged, leaving nothing in Redis")
class JobRetentionTest {
  private static final Logger LOG = LoggerFactory.getLogger(JobRetentionTest.class);
  private static final int JOBS = 1000;
  private static final int SUBMIT_BATCH = 50;
  /** Of the {@value #JOBS} jobs, these run to their end; the others are cancelled while they wait. */
  private static final int RUN = 200;
  private static final Pattern JOB_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  /** Keys that belong to no job and stay while Fanout runs: counters, the janitor's lock, node heartbeats. */
  private static final Pattern FANOUT_OWN = Pattern.compile(
      "\\{queue}:(arrivals|staged-bytes|topics:janitor)|\\{nodes}:.*");

  @Test
  @DisplayName("1,000 finished jobs (200 completed, 800 cancelled while queued), with retention shortened, leave no "
      + "key behind and answer 404")
  void thousandJobsLeaveNothing(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir)) {
      String redisUrl = ownRedis(nodes);
      List<String> ids = new ArrayList<>();
      // The jobs run to the end first, on a process whose workers then leave; a process that only
      // serves the API and dispatches (its janitor forgets jobs) then has retention shortened.
      try (FanoutUnderTest runner = FanoutUnderTest.onSharedBackends(new JsonObject()
          .put(Settings.REDIS_URL, redisUrl).put(Settings.MAX_ACTIVE_JOBS, 64))) {
        long memoryBefore;
        try (RedisProbe redis = probe(runner)) {
          memoryBefore = redis.usedMemory();
        }
        // One dataset job among them, so that a staging topic and the staging ledger go too.
        ids.add(runner.submit(new JsonObject().put("type", "sha256").put("items", new JsonArray().add("a").add("b"))));
        ids.addAll(submitAll(runner, 1, RUN, i -> new JsonObject().put("type", "compute")
            .put("payload", new JsonObject().put("input", "retained-" + i))));
        Await.until(() -> Future.succeededFuture(runner.get("/stats").bodyAsJsonObject()),
            stats -> stats.getLong("completed") == RUN, Duration.ofMinutes(4));
        try (RedisProbe redis = probe(runner)) {
          // The figure README quotes for a finished job's footprint: read it from this line of the output.
          LOG.info("Redis used_memory per finished one-task job, its topics still retained: {} B ({} jobs)",
              (redis.usedMemory() - memoryBefore) / RUN, RUN);
        }
        // The rest end cancelled while they wait to run: a job that never started must go as well,
        // and running all 1,000 would take minutes of topic creation for nothing more.
        List<String> waiting = submitAll(runner, RUN, JOBS, i -> new JsonObject().put("type", "compute")
            .put("delayMs", 3_600_000).put("payload", new JsonObject().put("input", "retained-" + i)));
        for (int from = 0; from < waiting.size(); from += SUBMIT_BATCH) {
          List<Future<HttpResponse<Buffer>>> cancels = waiting.subList(from, Math.min(waiting.size(), from + SUBMIT_BATCH))
              .stream().map(id -> runner.http().delete("/jobs/" + id).send()).toList();
          Await.result(Future.all(cancels));
          cancels.forEach(response -> assertThat(response.result().statusCode()).isEqualTo(200));
        }
        ids.addAll(waiting);
        assertThat(runner.get("/stats").bodyAsJsonObject().getLong("cancelled")).isEqualTo(JOBS - RUN);
      }
      try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
              .put(Settings.REDIS_URL, redisUrl).put(Settings.ROLES, "api,worker").put(Settings.WORKER_INSTANCES, 0)
              .put(Settings.JOB_RETENTION_MS, 1000).put(Settings.JANITOR_INTERVAL_MS, 200));
          RedisProbe redis = probe(fanout);
          KafkaProbe kafka = new KafkaProbe(fanout.app())) {
        Set<String> submitted = new HashSet<>(ids);
        List<String> left = Await.until(() -> Future.succeededFuture(redis.scan()),
            keys -> keys.stream().allMatch(key -> FANOUT_OWN.matcher(key).matches()), Duration.ofMinutes(3));
        assertThat(left).as("keys left in Redis").allMatch(key -> !mentionsAny(key, submitted));
        assertThat(redis.send(Command.GET, RedisKeys.STAGED_BYTES).toLong()).as("bytes staged").isZero();
        // Kafka deletes a topic in the background after accepting the request.
        Await.until(() -> kafka.admin().listTopics(), topics -> topics.stream()
            .noneMatch(topic -> mentionsAny(topic, submitted)), Duration.ofSeconds(30));
        assertGone(fanout, ids.get(0));
        List<Future<HttpResponse<Buffer>>> reads = ids.stream().map(id -> fanout.http().get("/jobs/" + id).send())
            .toList();
        Await.result(Future.all(reads), Duration.ofMinutes(1));
        assertThat(reads).allMatch(read -> read.result().statusCode() == 404);
      }
    }
  }

  @Test
  @DisplayName("a purge forgets a finished job and its topics at once, refuses a running one, and a full staging "
      + "budget refuses an upload with 507 and Retry-After, storing nothing")
  void purgeAndBudget(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir);
        FanoutUnderTest fanout = start(nodes, new JsonObject().put(Settings.STAGING_BUDGET_BYTES, 64));
        RedisProbe redis = probe(fanout);
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      JsonObject done = fanout.runToEnd(new JsonObject().put("type", "sha256")
          .put("items", new JsonArray().add("alpha").add("beta")), Duration.ofMinutes(1));
      String id = done.getString("id");
      assertThat(kafka.topicsOf(id)).as("a finished job's topics before the purge").isNotEmpty();

      // The staging budget of 64 bytes: a dataset of 100 bytes does not fit. Checked while no job
      // runs, so that every key but a refused upload's stays as it is.
      Set<String> keysBefore = jobKeys(redis);
      HttpResponse<Buffer> over = fanout.post("/jobs", new JsonObject().put("type", "sha256")
          .put("items", new JsonArray().add("x".repeat(98))));
      assertThat(over.statusCode()).isEqualTo(507);
      assertThat(over.getHeader("Retry-After")).isNotBlank();
      assertThat(over.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("staging_budget_exceeded");
      assertThat(jobKeys(redis)).as("keys after the refusal").isEqualTo(keysBefore);

      String running = fanout.submit(new JsonObject().put("type", "sleep").put("count", 100_000)
          .put("payload", new JsonObject().put("ms", 5)));
      Await.until(() -> Future.succeededFuture(fanout.get("/jobs/" + running).bodyAsJsonObject()),
          job -> "running".equals(job.getString("status")), Duration.ofMinutes(1));
      HttpResponse<Buffer> refused = fanout.delete("/jobs/" + running + "?purge=true");
      assertThat(refused.statusCode()).isEqualTo(409);
      assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("message"))
          .contains("running").contains("Cancel it first");

      assertThat(fanout.delete("/jobs/" + id + "?purge=true").statusCode()).isEqualTo(204);
      // Kafka deletes a topic in the background after accepting the request.
      Await.until(() -> Future.succeededFuture(kafka.topicsOf(id)), Set::isEmpty, Duration.ofSeconds(30));
      assertThat(redis.scan()).as("keys of the purged job").noneMatch(key -> key.contains(id));
      assertThat(redis.send(Command.ZSCORE, RedisKeys.ALL_JOBS, id)).isNull();
      assertGone(fanout, id);

      assertThat(fanout.delete("/jobs/" + running).statusCode()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("a cancelled job purged while the worker still runs its tasks in hand leaves the worker's commits "
      + "going: the next job ends long before a stuck Kafka transaction would give up (60 s)")
  void purgeWhileTasksInHand(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir);
        FanoutUnderTest fanout = start(nodes, new JsonObject());
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      // A big job (its own topics), fetched at once and run for seconds: 4000 tasks of 10 ms on 8 threads.
      String cancelled = fanout.submit(new JsonObject().put("type", "sleep").put("count", 4_000)
          .put("payload", new JsonObject().put("ms", 10)));
      Await.until(() -> Future.succeededFuture(fanout.get("/jobs/" + cancelled).bodyAsJsonObject()),
          job -> job.getLong("done") > 0, Duration.ofMinutes(1));
      assertThat(fanout.delete("/jobs/" + cancelled).statusCode()).isEqualTo(200);
      assertThat(fanout.delete("/jobs/" + cancelled + "?purge=true").statusCode()).isEqualTo(204);
      Await.until(() -> Future.succeededFuture(kafka.topicsOf(cancelled)), Set::isEmpty, Duration.ofSeconds(30));

      // The tasks of the cancelled job still in hand finish after its log is gone; none of their
      // outcomes may go into a transaction, which Kafka could then neither commit nor abort.
      // A big job too (more than SMALL_JOB_TASKS), so that it runs on the same consumer as the cancelled one.
      JsonObject next = fanout.runToEnd(new JsonObject().put("type", "count").put("count", 2_000),
          Duration.ofSeconds(30));
      assertThat(next.getString("status")).isEqualTo("completed");
    }
  }

  @Test
  @DisplayName("once a failed dataset job's topics are gone, its results answer 410 and retrying it is refused with "
      + "409 (its items went with them), while a failed count job still retries")
  void retryAfterTopicsGone(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir);
        FanoutUnderTest fanout = start(nodes, new JsonObject().put(Settings.TOPIC_RETENTION_MS, 300)
            .put(Settings.JANITOR_INTERVAL_MS, 200));
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      JsonObject alwaysFails = new JsonObject().put("type", "fail").put("maxAttempts", 1)
          .put("payload", new JsonObject().put("p", 1));
      JsonObject dataset = fanout.runToEnd(alwaysFails.copy().put("items", new JsonArray().add("a").add("b")),
          Duration.ofMinutes(1));
      JsonObject counted = fanout.runToEnd(alwaysFails.copy().put("count", 2), Duration.ofMinutes(1));
      for (JsonObject job : List.of(dataset, counted)) {
        assertThat(job.getString("status")).isEqualTo("failed");
        Await.until(() -> Future.succeededFuture(kafka.topicsOf(job.getString("id"))), Set::isEmpty,
            Duration.ofSeconds(30));
      }

      HttpResponse<Buffer> results = fanout.get("/jobs/" + dataset.getString("id") + "/results");
      assertThat(results.statusCode()).as("results once the log is gone").isEqualTo(410);
      assertThat(results.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("TOPIC_RETENTION_MS");

      HttpResponse<Buffer> refused = fanout.post("/jobs/" + dataset.getString("id") + "/retry-failed", new JsonObject());
      assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(409);
      assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("dataset_deleted");
      assertThat(fanout.get("/jobs/" + dataset.getString("id")).bodyAsJsonObject().getString("status"))
          .as("the refused job is left as it was").isEqualTo("failed");

      HttpResponse<Buffer> retried = fanout.post("/jobs/" + counted.getString("id") + "/retry-failed", new JsonObject());
      assertThat(retried.statusCode()).as(retried.bodyAsString()).isEqualTo(202);
      JsonObject again = fanout.awaitFinal(counted.getString("id"), Duration.ofMinutes(1));
      assertThat(again.getString("status")).isEqualTo("failed");
      assertThat(again.getLong("failed")).as("both tasks ran again, on topics made anew").isEqualTo(2);
    }
  }

  @Test
  @DisplayName("a job's resultsRetentionMs keeps its results past TOPIC_RETENTION_MS, and then they go; past "
      + "JOB_RETENTION_MS it is refused")
  void resultsKeptLonger(@TempDir Path dir) throws Exception {
    long keptMs = 10_000;
    try (RedisNodes nodes = new RedisNodes(dir);
        FanoutUnderTest fanout = start(nodes, new JsonObject().put(Settings.TOPIC_RETENTION_MS, 300)
            .put(Settings.JANITOR_INTERVAL_MS, 200));
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      JsonObject job = new JsonObject().put("type", "sha256").put("items", new JsonArray().add("kept"));
      String plain = fanout.runToEnd(job.copy(), Duration.ofMinutes(1)).getString("id");
      JsonObject kept = fanout.runToEnd(job.copy().put("resultsRetentionMs", keptMs), Duration.ofMinutes(1));
      String keptId = kept.getString("id");
      long finishedAt = java.time.Instant.parse(kept.getString("finishedAt")).toEpochMilli();

      Await.until(() -> Future.succeededFuture(kafka.topicsOf(plain)), Set::isEmpty, Duration.ofSeconds(30));
      assertThat(System.currentTimeMillis()).as("this check runs before the kept job's time is up")
          .isLessThan(finishedAt + keptMs);
      assertThat(kafka.topicsOf(keptId)).as("the kept job's topics once the other's are gone").isNotEmpty();
      HttpResponse<Buffer> results = fanout.get("/jobs/" + keptId + "/results");
      assertThat(results.statusCode()).isEqualTo(200);
      assertThat(results.bodyAsString().lines().count()).isEqualTo(1);

      Await.until(() -> Future.succeededFuture(kafka.topicsOf(keptId)), Set::isEmpty, Duration.ofSeconds(30));
      assertThat(System.currentTimeMillis()).as("its topics went once its own time was up")
          .isGreaterThanOrEqualTo(finishedAt + keptMs);

      HttpResponse<Buffer> refused = fanout.post("/jobs", job.copy().put("resultsRetentionMs",
          fanout.app().settings().longValue(Settings.JOB_RETENTION_MS) + 1));
      assertThat(refused.statusCode()).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("field")).isEqualTo("resultsRetentionMs");
    }
  }

  /** Submits jobs {@code from} to {@code to} (exclusive) a batch at a time; their ids, in order. */
  private static List<String> submitAll(FanoutUnderTest fanout, int from, int to, IntFunction<JsonObject> job) {
    List<String> ids = new ArrayList<>();
    for (int start = from; start < to; start += SUBMIT_BATCH) {
      List<Future<HttpResponse<Buffer>>> batch = IntStream.range(start, Math.min(to, start + SUBMIT_BATCH))
          .mapToObj(i -> fanout.http().post("/jobs").sendJsonObject(job.apply(i))).toList();
      Await.result(Future.all(batch));
      batch.forEach(response -> {
        assertThat(response.result().statusCode()).isEqualTo(202);
        ids.add(response.result().bodyAsJsonObject().getString("jobId"));
      });
    }
    return ids;
  }

  /** The keys but those Fanout keeps for itself (the janitor's lock comes and goes). */
  private static Set<String> jobKeys(RedisProbe redis) {
    Set<String> keys = new HashSet<>(redis.scan());
    keys.removeIf(key -> FANOUT_OWN.matcher(key).matches());
    return keys;
  }

  private static void assertGone(FanoutUnderTest fanout, String id) {
    HttpResponse<Buffer> gone = fanout.get("/jobs/" + id);
    assertThat(gone.statusCode()).isEqualTo(404);
    assertThat(gone.bodyAsJsonObject().getJsonObject("error").getString("message")).contains("retention");
  }

  private static FanoutUnderTest start(RedisNodes nodes, JsonObject settings) {
    return FanoutUnderTest.onSharedBackends(settings.put(Settings.REDIS_URL, ownRedis(nodes)));
  }

  private static String ownRedis(RedisNodes nodes) {
    int port = FanoutUnderTest.freePort();
    nodes.server("retention", port, List.of("port " + port, "appendonly no"));
    return "redis://127.0.0.1:" + port;
  }

  private static RedisProbe probe(FanoutUnderTest fanout) {
    return new RedisProbe(fanout.app().vertx(), fanout.app().settings().string(Settings.REDIS_URL));
  }

  private static boolean mentionsAny(String name, Set<String> ids) {
    Matcher id = JOB_ID.matcher(name);
    while (id.find()) {
      if (ids.contains(id.group())) {
        return true;
      }
    }
    return false;
  }
}
