package io.fanout.app.outage;

import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The only Kafka broker dies with kill -9 mid-job and comes back on its port and data. The broker
 * is the one-command default's embedded KRaft broker, run alone in a child JVM (the launcher's
 * role {@code backends}) so that it can be killed without killing the test; Fanout runs in the
 * test's JVM on the shared Redis.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The only Kafka broker killed with kill -9 mid-job and restarted")
class KafkaOutageTest {
  private static final long TASKS = 30_000;
  private static final long KILL_AT = 5_000;
  /** A child JVM starting a broker: 2 to 25 s here, far longer when the machine is crowded. */
  private static final Duration BROKER_UP = Duration.ofSeconds(180);

  @TempDir
  static Path dir;

  @Test
  @DisplayName("the job ends with done exactly 30,000 and every task counted once; /health is 503 while the broker is away and 200 after")
  void brokerKilledAndRestarted() throws Exception {
    int port = FanoutUnderTest.freePort();
    Map<String, String> broker = Map.of(
        Settings.EMBEDDED_KAFKA_PORT, String.valueOf(port),
        Settings.DATA_DIR, dir.toString(),
        // Set, so that the child starts no Redis of its own; it only lists itself there.
        Settings.REDIS_URL, SharedBackends.redisUrl());
    ChildFanout backends = startBroker(broker);
    JsonObject settings = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, "127.0.0.1:" + port)
        .put(Settings.REDIS_URL, SharedBackends.redisUrl())
        .put(Settings.TASK_TYPES, "tally");
    try (FanoutUnderTest fanout = FanoutUnderTest.start(settings)) {
      JobProgress job = JobProgress.submitTally(fanout, TASKS);
      job.awaitDone(KILL_AT);

      backends.kill();
      job.awaitHealth(503);

      backends = startBroker(broker);
      job.awaitRecovered(TASKS, Duration.ofSeconds(240), SharedBackends.redisUrl());
    } finally {
      backends.close();
    }
  }

  private static ChildFanout startBroker(Map<String, String> settings) {
    ChildFanout backends = ChildFanout.start("kafka-outage-broker", List.of("-Xmx512m"), List.of("--roles", "backends"),
        settings);
    backends.awaitLog("Fanout node", BROKER_UP);
    return backends;
  }
}
