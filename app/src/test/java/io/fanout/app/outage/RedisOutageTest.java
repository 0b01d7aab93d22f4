package io.fanout.app.outage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.embedded.EmbeddedRedis;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single Redis of a small deployment (the embedded one: append-only file, fsync every second)
 * dies with kill -9 mid-job and comes back on its port and data. Fanout rides it out: the job ends
 * with exact counts, /health says DOWN meanwhile and UP after, and nothing in Fanout stops.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The only Redis killed with kill -9 mid-job and restarted")
class RedisOutageTest {
  private static final long TASKS = 30_000;
  private static final long KILL_AT = 5_000;

  @TempDir
  static Path dir;

  @Test
  @DisplayName("the job ends with done exactly 30,000 and every task counted once; /health is 503 while Redis is away and 200 after")
  void redisKilledAndRestarted() throws Exception {
    int port = FanoutUnderTest.freePort();
    Path data = dir.resolve("redis");
    EmbeddedRedis redis = EmbeddedRedis.start(data, port);
    JsonObject settings = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers())
        .put(Settings.REDIS_URL, redis.url())
        .put(Settings.TASK_TYPES, "tally");
    try (FanoutUnderTest fanout = FanoutUnderTest.start(settings)) {
      JobProgress job = JobProgress.submitTally(fanout, TASKS);
      job.awaitDone(KILL_AT);

      // kill -9 by the pid Redis wrote; the object's own shutdown must not reach the next server.
      ProcessHandle server = ProcessHandle.of(Long.parseLong(Files.readString(data.resolve("redis.pid")).trim()))
          .orElseThrow();
      redis.leaveShutdownToOwner();
      server.destroyForcibly();
      server.onExit().join();
      job.awaitHealth(503);

      redis = EmbeddedRedis.start(data, port);
      job.awaitRecovered(TASKS, Duration.ofSeconds(180), redis.url());
    } finally {
      redis.close();
    }
  }
}
