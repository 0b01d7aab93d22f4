package io.fanout.app.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schedules on one API process with no dispatcher running (nothing fires) until a test starts
 * one: refusals, and what happens to firings missed while no dispatcher ran. Redis is an
 * instance of this class's own.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Schedules: bad ones are refused, and firings missed while everything was down fire once on recovery")
class ScheduleFiringTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final long PERIOD_MS = 2000;
  /** Jobs of a schedule wait an hour, so that the firings, not Kafka, are what these tests exercise. */
  private static final JsonObject TEMPLATE = new JsonObject().put("type", "count").put("count", 1)
      .put("delayMs", 3_600_000);

  @TempDir
  static Path dir;
  private static RedisNodes nodes;
  private static String redisUrl;
  private static FanoutUnderTest api;
  private static RedisProbe redis;

  @BeforeAll
  static void start() {
    nodes = new RedisNodes(dir);
    redisUrl = nodes.standalone("schedules");
    api = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.REDIS_URL, redisUrl)
        .put(Settings.ROLES, "api"));
    redis = new RedisProbe(api.app().vertx(), redisUrl);
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (api != null) {
      api.close();
    }
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  @DisplayName("a bad cron, time zone or template gets 400 naming the field, and nothing is stored")
  void badSchedulesAreRefused() {
    long before = redis.send(Command.HLEN, RedisKeys.SCHEDULE_DEFINITIONS).toLong();
    assertRefused(new JsonObject().put("cron", "61 * * * *").put("template", TEMPLATE), "cron");
    assertRefused(new JsonObject().put("cron", "* * *").put("template", TEMPLATE), "cron");
    assertRefused(new JsonObject().put("cron", "every two seconds please").put("template", TEMPLATE), "cron");
    assertRefused(new JsonObject().put("cron", "*/2 * * * * *").put("timeZone", "Mars/Olympus_Mons")
        .put("template", TEMPLATE), "timeZone");
    assertRefused(new JsonObject().put("cron", "*/2 * * * * *"), "template");
    assertRefused(new JsonObject().put("cron", "*/2 * * * * *")
        .put("template", new JsonObject().put("type", "no-such-type").put("count", 1)), "template.type");
    assertRefused(new JsonObject().put("cron", "*/2 * * * * *")
        .put("template", new JsonObject().put("type", "sha256").put("items", new JsonArray().add("a"))), "template.items");
    assertRefused(new JsonObject().put("cron", "*/2 * * * * *").put("template", TEMPLATE).put("every", 2), "every");
    assertThat(redis.send(Command.HLEN, RedisKeys.SCHEDULE_DEFINITIONS).toLong()).as("schedules stored")
        .isEqualTo(before);
    assertThat(redis.send(Command.ZCARD, RedisKeys.SCHEDULES_DUE).toLong()).as("schedules due").isZero();
    assertThat(api.get("/schedules/no-such-schedule").statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("a schedule reads back as it was made, its template as POST /jobs takes it, and PATCH takes that template back")
  void readsBackAsMade() {
    JsonObject template = new JsonObject().put("type", "compute").put("payload", new JsonObject().put("input", "x"));
    HttpResponse<Buffer> created = api.post("/schedules", new JsonObject().put("cron", "0 3 * * *")
        .put("timeZone", "America/New_York").put("template", template).put("paused", true));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String path = "/schedules/" + created.bodyAsJsonObject().getString("id");
    JsonObject read = api.get(path).bodyAsJsonObject();
    assertThat(read.getString("cron")).isEqualTo("0 3 * * *");
    assertThat(read.getString("timeZone")).isEqualTo("America/New_York");
    assertThat(read.getBoolean("paused")).isTrue();
    assertThat(read.containsKey("nextFireAt")).as("a paused schedule's next firing").isFalse();
    assertThat(read.getJsonObject("template").getString("type")).isEqualTo("compute");
    assertThat(read.getJsonObject("template").containsKey("count")).isFalse();

    HttpResponse<Buffer> resumed = Await.result(api.http().patch(path).sendJsonObject(new JsonObject()
        .put("template", read.getJsonObject("template")).put("paused", false)));
    assertThat(resumed.statusCode()).as(resumed.bodyAsString()).isEqualTo(200);
    assertThat(Instant.parse(resumed.bodyAsJsonObject().getString("nextFireAt"))).isAfter(Instant.now());
    assertThat(api.delete(path).statusCode()).isEqualTo(204);
  }

  @Test
  @DisplayName("firings missed while no dispatcher ran give one job, for the latest of them, and then every 2 s one job each")
  void missedFiringsFireOnceOnRecovery() {
    HttpResponse<Buffer> created = api.post("/schedules", new JsonObject().put("cron", "*/2 * * * * *")
        .put("timeZone", "Europe/Paris").put("template", TEMPLATE));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String id = created.bodyAsJsonObject().getString("id");
    assertThat(created.bodyAsJsonObject().getString("nextFireAt")).isNotNull();
    // Everything was down for 20 s: the schedule is still due for a firing ten periods ago.
    long missedSince = (System.currentTimeMillis() / PERIOD_MS - 10) * PERIOD_MS;
    redis.send(Command.HSET, RedisKeys.SCHEDULE_SLOTS, id, missedSince);
    redis.send(Command.ZADD, RedisKeys.SCHEDULES_DUE, missedSince, id);

    long recoveredAt;
    try (FanoutUnderTest dispatcher = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.REDIS_URL, redisUrl)
        .put(Settings.ROLES, "worker").put(Settings.WORKER_INSTANCES, 0).put(Settings.SCHEDULE_POLL_MS, 100))) {
      recoveredAt = System.currentTimeMillis();
      Await.until(() -> api.http().get("/schedules/" + id).send().map(r -> r.bodyAsJsonObject().getJsonArray("firings")),
          firings -> firings.size() >= 3, TIMEOUT);
      JsonObject paused = Await.result(api.http().patch("/schedules/" + id)
          .sendJsonObject(new JsonObject().put("paused", true))).bodyAsJsonObject();
      assertThat(paused.getBoolean("paused")).isTrue();
      assertThat(paused.containsKey("nextFireAt")).as("a paused schedule's next firing").isFalse();
      // A firing claimed before the pause may still be recorded; then nothing more comes.
      Await.until(() -> io.vertx.core.Future.succeededFuture(jobCount() == firings(id).size()), same -> same, TIMEOUT);
    }

    List<Instant> firedFor = new ArrayList<>();
    firings(id).forEach(firing -> firedFor.add(Instant.parse(((JsonObject) firing).getString("firedFor"))));
    firedFor.sort(Comparator.naturalOrder());
    assertThat(firedFor.get(0).toEpochMilli()).as("the first firing after recovery: the latest missed one, not the oldest")
        .isGreaterThan(recoveredAt - 2 * PERIOD_MS);
    // Then one firing per slot; a dispatcher stalled past a whole slot would coalesce it too.
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < firedFor.size(); i++) {
      gaps.add(firedFor.get(i).toEpochMilli() - firedFor.get(i - 1).toEpochMilli());
    }
    assertThat(gaps).as("time between firings after recovery").allMatch(gap -> gap > 0 && gap % PERIOD_MS == 0)
        .contains(PERIOD_MS);
    assertThat(jobCount()).as("jobs: one per firing, none for the 9 older missed firings").isEqualTo(firedFor.size());

    assertThat(api.delete("/schedules/" + id).statusCode()).isEqualTo(204);
    assertThat(api.get("/schedules/" + id).statusCode()).isEqualTo(404);
    assertThat(redis.send(Command.ZSCORE, RedisKeys.SCHEDULES_DUE, id)).isNull();
  }

  private static JsonArray firings(String id) {
    return api.get("/schedules/" + id).bodyAsJsonObject().getJsonArray("firings");
  }

  private static long jobCount() {
    return redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong();
  }

  private static void assertRefused(JsonObject body, String field) {
    HttpResponse<Buffer> refused = api.post("/schedules", body);
    assertThat(refused.statusCode()).as("%s: %s", body, refused.bodyAsString()).isEqualTo(400);
    assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("field")).as(refused.bodyAsString())
        .isEqualTo(field);
  }
}
