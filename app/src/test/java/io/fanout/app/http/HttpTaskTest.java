package io.fanout.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.fanout.core.http.HttpTaskOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The http task type against a real service that fails some requests. */
@ExtendWith(SharedBackends.class)
@DisplayName("http jobs POST each item to a service and keep its answer")
class HttpTaskTest {
  private static final Logger LOG = LoggerFactory.getLogger(HttpTaskTest.class);
  private static final int ITEMS = 50_000;
  private static final int RATE_REDIS_DB = 15;
  private static final int RATE = 200;
  private static final int RATE_ITEMS = 3_000;

  @Test
  @DisplayName("a 50,000-item http job completes with every answer as its result; 500s, 429s and timeouts are "
      + "retried, a 429's no sooner than its Retry-After")
  void everyItemAnswered() {
    try (FlakyEndpoint service = FlakyEndpoint.start();
        // A consumer group of its own: a member that another test class left behind would, when the
        // group drops it, move partitions and run tasks again, and a task run twice is no retry.
        FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
            .put(Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1").put(Settings.WORKER_GROUP, uniqueGroup()))) {
      JsonArray items = new JsonArray();
      LongStream.range(0, ITEMS).forEach(items::add);
      JsonObject job = fanout.runToEnd(new JsonObject().put("type", "http").put("items", items)
          .put("payload", new JsonObject().put("url", service.url()).put("concurrency", 512).put("timeoutMs", 5000)),
          Duration.ofMinutes(5));
      assertThat(job.getString("status")).as(job.encode()).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(ITEMS);
      assertThat(job.getLong("failed")).isZero();

      HttpResponse<Buffer> results = Await.result(fanout.http().get("/jobs/" + job.getString("id") + "/results").send(),
          Duration.ofMinutes(1));
      String[] lines = results.bodyAsString().split("\n");
      assertThat(lines).hasSize(ITEMS);
      long retried = 0;
      for (int n = 0; n < ITEMS; n++) {
        JsonObject line = new JsonObject(lines[n]);
        assertThat(line.getLong("index")).isEqualTo(n);
        assertThat(line.getString("status")).as("task " + n).isEqualTo("done");
        JsonObject result = line.getJsonObject("result");
        assertThat(result.getInteger("status")).isEqualTo(200);
        assertThat(result.getJsonObject("body").getLong("square")).as("answer to " + n).isEqualTo((long) n * n);
        boolean failedFirst = FlakyEndpoint.failsFirstAttempt(n);
        // A request can also time out when the machine is busy: an item may take more attempts, never fewer.
        assertThat(line.getInteger("attempts")).as("attempts at task " + n).isGreaterThanOrEqualTo(failedFirst ? 2 : 1);
        retried += line.getInteger("attempts") > 1 ? 1 : 0;
      }
      List<Long> failingFirst = LongStream.range(0, ITEMS).filter(FlakyEndpoint::failsFirstAttempt).boxed().toList();
      assertThat(retried).as("tasks tried more than once").isGreaterThanOrEqualTo(failingFirst.size());
      // The attempt number tells a retry from a task run twice: a retry says 2 or more.
      assertThat(service.requestsWithoutAttempt).as("requests without a Fanout-Attempt number").hasValue(0);
      assertThat(failingFirst).as("items whose first request failed with no request saying it was attempt 2 or later")
          .allMatch(n -> service.highestAttemptSent.get(n) >= 2);
      // A task can also run twice without a retry (a window the dispatcher sent again after its
      // lease lapsed on a busy machine): the service then sees a second request that waited for
      // nothing. So most 429s, not every one, must show the wait; an early retry of every 429 fails.
      List<Long> waits = LongStream.iterate(1, n -> n < ITEMS, n -> n + 103)
          .mapToObj(n -> service.secondAttemptAt.get(n) - service.firstAttemptAt.get(n)).toList();
      assertThat(waits.stream().filter(waited -> waited >= 1000).count())
          .as("429s (Retry-After: 1) whose retry came a second or more later, of " + waits.size() + ": " + waits)
          .isGreaterThanOrEqualTo(Math.round(waits.size() * 0.95));
    }
  }

  private static String uniqueGroup() {
    return "http-task-test-" + System.nanoTime();
  }

  @Test
  @DisplayName("ratePerSecond=200 holds across 2 worker processes: no whole second the service counts passes 200 by "
      + "more than 10%, the busiest reaches 200 within 10%, and both workers made requests")
  void rateHeldAcrossWorkers() throws Exception {
    Map<String, String> workerSettings = Map.of(Settings.REDIS_URL, SharedBackends.redisUrl(RATE_REDIS_DB),
        Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
        Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1", Settings.WORKER_GROUP, uniqueGroup());
    try (RateCountingService service = RateCountingService.start();
        FanoutUnderTest api = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.ROLES, "api")
            .put(Settings.REDIS_URL, SharedBackends.redisUrl(RATE_REDIS_DB))
            .put(Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1"));
        ChildFanout first = ChildFanout.start("http-rate-worker-1", List.of("-Xmx256m"), List.of("--roles", "worker"),
            workerSettings);
        ChildFanout second = ChildFanout.start("http-rate-worker-2", List.of("-Xmx256m"), List.of("--roles", "worker"),
            workerSettings)) {
      first.awaitLog("joined group", Duration.ofSeconds(60));
      second.awaitLog("joined group", Duration.ofSeconds(60));
      JsonArray items = new JsonArray();
      LongStream.range(0, RATE_ITEMS).forEach(items::add);
      String id = api.submit(new JsonObject().put("type", "http").put("items", items).put("payload",
          new JsonObject().put("url", service.url()).put("ratePerSecond", RATE).put("concurrency", 100)));
      JsonObject job = api.awaitFinal(id, Duration.ofMinutes(2));
      assertThat(job.getString("status")).as(job.encode()).isEqualTo("completed");

      RateCountingService.Counts counts = service.counts();
      String counted = "requests the service counted per second: " + counts.arrived() + "; of them on earlier "
          + "seconds' slots: " + counts.onEarlierSlots() + "; sent on each second's own slots: " + counts.slotsUsed();
      LOG.info("Job {} at ratePerSecond={} on 2 workers: {}", id, RATE, counted);
      assertThat(counts.slotsUsed().values().stream().mapToLong(Long::longValue).sum())
          .as("requests that say their slot's second (" + HttpTaskOptions.RATE_SECOND_HEADER + "), of all counted; "
              + counted).isEqualTo(counts.arrived().values().stream().mapToLong(Long::longValue).sum());
      assertThat(counts.slotsUsed().values()).as("requests sent on each second's slots, never more than the rate; "
          + counted).allMatch(sent -> sent <= RATE);
      // The first and last seconds are partial: the job starts and ends within them.
      TreeMap<Long, Long> perSecond = new TreeMap<>(counts.arrived());
      perSecond.pollFirstEntry();
      perSecond.pollLastEntry();
      assertThat(perSecond.size()).as("whole seconds the job took at 200 a second; " + counted)
          .isGreaterThanOrEqualTo(RATE_ITEMS / RATE - 2);
      List<String> overRate = perSecond.entrySet().stream().filter(whole -> whole.getValue() > RATE * 1.1)
          .map(whole -> counts.of(whole.getKey())).toList();
      assertThat(overRate).as("whole seconds more than 10% over the rate; " + counted).isEmpty();
      assertThat(Collections.max(perSecond.values())).as("the busiest second, which shows the job ran at the "
          + "rate; " + counted).isGreaterThanOrEqualTo(Math.round(RATE * 0.9));
      try (KafkaProbe kafka = new KafkaProbe(api.app())) {
        Set<String> workers = kafka.readAll(Topics.log(id)).stream()
            .map(record -> new JsonObject(record.value()).getString("worker")).filter(Objects::nonNull)
            .collect(Collectors.toSet());
        assertThat(workers).as("workers that ran the job's tasks").hasSize(2);
      }
    }
  }

  @Test
  @DisplayName("a header names a secret the worker holds and the job keeps only its name; a 4xx fails its task at "
      + "once with the status and the start of the body")
  void secretsAndClientErrors(@TempDir Path dir) throws Exception {
    Path secrets = dir.resolve("secrets.json");
    Files.writeString(secrets, new JsonObject().put("PARTNER_TOKEN", "Bearer s3cr3t-value").encode());
    try (FlakyEndpoint service = FlakyEndpoint.steady();
        FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
            .put(Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1")
            .put(Settings.HTTP_TASK_SECRETS, secrets.toString()))) {
      JsonObject job = fanout.runToEnd(new JsonObject().put("type", "http").put("maxAttempts", 5)
          .put("items", new JsonArray().add(7).add("not a number"))
          .put("payload", new JsonObject().put("url", service.url())
              .put("headers", new JsonObject().put("Authorization", new JsonObject().put("secret", "PARTNER_TOKEN")))),
          Duration.ofMinutes(1));
      assertThat(job.getLong("done")).isEqualTo(1);
      assertThat(job.getLong("failed")).isEqualTo(1);
      assertThat(job.encode()).as("the job as the API shows it").doesNotContain("s3cr3t");
      assertThat(service.authorizations).containsOnly("Bearer s3cr3t-value");

      String[] lines = fanout.get("/jobs/" + job.getString("id") + "/results").bodyAsString().split("\n");
      JsonObject refused = new JsonObject(lines[1]);
      assertThat(refused.getString("status")).isEqualTo("failed");
      assertThat(refused.getInteger("attempts")).as("a 422 is not tried again").isEqualTo(1);
      assertThat(refused.getString("error")).isEqualTo("HTTP 422: not a number: not a number");
      assertThat(String.join("\n", lines)).doesNotContain("s3cr3t");
    }
  }
}
