package io.fanout.app.schedules;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
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
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A schedule firing every 2 s in a cluster of two API processes and two dispatcher processes,
 * one dispatcher killed with SIGKILL right as it fires: every firing is still exactly one job.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Each firing of a schedule is one job across the cluster, even with a dispatcher killed as it fires")
class ScheduleClusterTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final long PERIOD_MS = 2000;
  private static final int FIRINGS_AFTER_KILL = 4;

  @Test
  @DisplayName("2 API and 2 dispatcher processes, one dispatcher killed at a firing: one job per firing, each on the 2 s grid")
  void oneJobPerFiring(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir)) {
      String redisUrl = nodes.standalone("schedule-cluster");
      int childApiPort = FanoutUnderTest.freePort();
      ChildFanout childApi = child("schedule-api", "api", redisUrl, Map.of(Settings.HTTP_PORT, Integer.toString(childApiPort)));
      List<ChildFanout> dispatchers = List.of(child("schedule-dispatcher-1", "worker", redisUrl, Map.of()),
          child("schedule-dispatcher-2", "worker", redisUrl, Map.of()));
      try (FanoutUnderTest api = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.REDIS_URL, redisUrl)
              .put(Settings.ROLES, "api"));
          RedisProbe redis = new RedisProbe(api.app().vertx(), redisUrl)) {
        childApi.awaitLog("API listening", TIMEOUT);
        WebClient childClient = WebClient.create(api.app().vertx());
        HttpResponse<Buffer> created = Await.result(childClient.post(childApiPort, "127.0.0.1", "/schedules")
            .sendJsonObject(new JsonObject().put("cron", "*/2 * * * * *").put("template", new JsonObject()
                .put("type", "count").put("count", 1).put("delayMs", 3_600_000))));
        assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
        String id = created.bodyAsJsonObject().getString("id");

        // The dispatcher that fires first is killed right after it submitted a firing's job, before
        // or while it records the firing. Which one it is cannot be chosen: both poll every 200 ms,
        // and the one whose poll comes first after a slot tends to win every slot.
        ChildFanout doomed = Await.until(() -> Future.succeededFuture(dispatchers.stream()
            .filter(dispatcher -> fired(dispatcher, id)).findFirst().orElse(null)), Objects::nonNull, TIMEOUT);
        ChildFanout survivor = dispatchers.get(dispatchers.indexOf(doomed) == 0 ? 1 : 0);
        doomed.kill();
        int firingsAtKill = firings(api, id).size();
        Await.until(() -> api.http().get("/schedules/" + id).send()
            .map(r -> r.bodyAsJsonObject().getJsonArray("firings").size()),
            count -> count >= firingsAtKill + FIRINGS_AFTER_KILL, TIMEOUT);
        assertThat(Await.result(api.http().patch("/schedules/" + id).sendJsonObject(new JsonObject().put("paused", true)))
            .statusCode()).isEqualTo(200);
        // A firing claimed before the pause may still be recorded; then nothing more comes.
        Await.until(() -> Future.succeededFuture(jobCount(redis) == firings(api, id).size()), same -> same, TIMEOUT);

        JsonArray firings = firings(api, id);
        Set<Long> slots = new HashSet<>();
        Set<String> firedJobs = new HashSet<>();
        for (Object entry : firings) {
          JsonObject firing = (JsonObject) entry;
          long slot = Instant.parse(firing.getString("firedFor")).toEpochMilli();
          assertThat(slot % PERIOD_MS).as("firing on the 2 s grid: %s", firing).isZero();
          assertThat(slots.add(slot)).as("one record per firing: %s", firing).isTrue();
          assertThat(firedJobs.add(firing.getString("jobId"))).as("one firing per job: %s", firing).isTrue();
        }
        // The killed dispatcher may have died before its firing was recorded (none at the kill);
        // then the survivor records that firing, with the job already submitted for it.
        assertThat(firings.size()).as("firings: %d when the dispatcher was killed", firingsAtKill)
            .isGreaterThanOrEqualTo(firingsAtKill + FIRINGS_AFTER_KILL);
        Set<String> storedJobs = new HashSet<>();
        redis.send(Command.ZRANGE, RedisKeys.ALL_JOBS, 0, -1).forEach(job -> storedJobs.add(job.toString()));
        assertThat(storedJobs).as("the jobs in Redis: exactly the firings' jobs").isEqualTo(firedJobs);
        assertThat(fired(survivor, id)).as("the surviving dispatcher fired too").isTrue();
      } finally {
        for (ChildFanout dispatcher : dispatchers) {
          dispatcher.close();
        }
        childApi.close();
      }
    }
  }

  private static boolean fired(ChildFanout dispatcher, String scheduleId) {
    try {
      return Files.exists(dispatcher.log()) && Files.readString(dispatcher.log()).contains("Schedule " + scheduleId + " fired");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ChildFanout child(String name, String role, String redisUrl, Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>(extra);
    settings.put(Settings.REDIS_URL, redisUrl);
    settings.put(Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers());
    settings.put(Settings.WORKER_INSTANCES, "0");
    settings.put(Settings.SCHEDULE_POLL_MS, "200");
    return ChildFanout.start(name, List.of("-Xmx256m"), List.of("--roles", role), settings);
  }

  private static JsonArray firings(FanoutUnderTest api, String id) {
    return api.get("/schedules/" + id).bodyAsJsonObject().getJsonArray("firings");
  }

  private static long jobCount(RedisProbe redis) {
    return redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong();
  }
}
