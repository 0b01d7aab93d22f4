package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("A worker process killed mid-job loses nothing and counts nothing twice")
class WorkerCrashTest {
  private static final int REDIS_DB = 7;
  private static final long TOTAL = 100_000;

  @Test
  @DisplayName("with one of two workers killed by SIGKILL, the job ends with done exactly 100,000 and every task in its log")
  void killedWorkersTasksRunElsewhere() throws Exception {
    JsonObject shared = new JsonObject().put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB));
    try (FanoutUnderTest survivor = FanoutUnderTest.onSharedBackends(shared)) {
      ChildFanout doomed = ChildFanout.start("worker-crash-child", List.of("-Xmx256m"), List.of("--roles", "worker"),
          Map.of(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB),
              Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
              Settings.DISPATCH_INSTANCES, "0"));
      doomed.awaitLog("joined group", Duration.ofSeconds(60));
      String id = survivor.submit(new JsonObject().put("type", "sleep").put("count", TOTAL)
          .put("payload", new JsonObject().put("ms", 1)));
      Await.until(() -> survivor.http().get("/jobs/" + id).send().map(r -> r.bodyAsJsonObject()),
          job -> job.getLong("done") >= TOTAL / 5, Duration.ofSeconds(120));

      doomed.kill();

      JsonObject job = survivor.awaitFinal(id, Duration.ofSeconds(180));
      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(TOTAL);
      assertThat(job.getLong("failed")).isZero();
      // Every task's first outcome is in the log. A task re-run around the crash may appear twice
      // (its first run logged it, then died before marking it logged); readers key records by index.
      List<KafkaConsumerRecord<String, String>> records;
      try (KafkaProbe kafka = new KafkaProbe(survivor.app())) {
        records = kafka.readAll(Topics.log(id));
      }
      Set<String> indexes = records.stream().map(KafkaConsumerRecord::key).collect(Collectors.toSet());
      indexes.remove("lifecycle");
      assertThat(indexes).hasSize((int) TOTAL);
      assertThat(records.size() - TOTAL - 1).as("repeated records").isLessThan(TOTAL / 20);
    }
  }
}
