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
import io.fanout.worker.DispatchVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("A dispatcher that dies mid-fan-out is replaced")
class DispatcherFailoverTest {
  private static final int REDIS_DB = 4;
  private static final long TOTAL = 100_000;
  private static final int ITEMS = 20_000;
  private static final int WINDOW = 100;
  private static final int PARTITIONS = 4;

  @Test
  @DisplayName("another dispatcher resumes the job from its last checkpoint once the lease expires, and every task runs")
  void orphanedFanOutResumes() {
    JsonObject finished = cutOffAndResume(new JsonObject().put("type", "count").put("count", TOTAL),
        (id, kafka) -> {
          assertThat(kafka.taskRecords(id, PARTITIONS))
              .as("every task is in Kafka, and at most the windows in flight twice")
              .isBetween(TOTAL, TOTAL + DispatchVerticle.WINDOWS_IN_FLIGHT * WINDOW);
          // One worker ran both copies of a task written twice: it counted and logged it once.
          assertThat(kafka.logRecords(id)).as("a record per task, and the job's end").isEqualTo(TOTAL + 1);
        });
    assertThat(finished.getLong("done")).isEqualTo(TOTAL);
  }

  @Test
  @DisplayName("a dataset job resumed by another dispatcher reads on in its staging topic: every item is hashed and "
      + "counted once, each under its own index")
  void orphanedDatasetFanOutResumes() {
    JsonArray items = new JsonArray();
    for (int i = 0; i < ITEMS; i++) {
      items.add("item-" + i);
    }
    JsonObject finished = cutOffAndResume(new JsonObject().put("type", "sha256").put("items", items),
        (id, kafka) -> {
          Map<Long, String> digests = new HashMap<>();
          for (KafkaConsumerRecord<String, String> record : kafka.readAll(Topics.log(id))) {
            JsonObject logged = new JsonObject(record.value());
            if (logged.containsKey("index")) {
              assertThat(digests.put(logged.getLong("index"), logged.getJsonObject("result").getString("value")))
                  .as("task %s logged once", logged.getLong("index")).isNull();
            }
          }
          assertThat(digests).hasSize(ITEMS);
          digests.forEach((index, digest) -> assertThat(digest).as("task %s", index)
              .isEqualTo(sha256(items.getString(index.intValue()))));
        });
    assertThat(finished.getLong("done")).isEqualTo(ITEMS);
    assertThat(finished.getLong("failed")).isZero();
  }

  /**
   * Submits the job to a process whose dispatcher is stopped once it has produced some of it, then
   * lets another process's dispatcher resume the orphaned fan-out; checks Kafka before returning
   * the finished job.
   */
  private static JsonObject cutOffAndResume(JsonObject job, BiConsumer<String, KafkaProbe> checkKafka) {
    JsonObject shared = new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.PRODUCE_WINDOW, WINDOW)
        .put(Settings.LEASE_MS, 2000);
    try (FanoutUnderTest api = FanoutUnderTest.onSharedBackends(shared.copy().put(Settings.ROLES, "api"));
        RedisProbe redis = new RedisProbe(api.app().vertx(), SharedBackends.redisUrl(REDIS_DB))) {
      redis.flush();
      FanoutUnderTest doomed = FanoutUnderTest.onSharedBackends(shared.copy()
          .put(Settings.ROLES, "worker").put(Settings.WORKER_INSTANCES, 0));
      String id = api.submit(job.copy().put("partitions", PARTITIONS));
      long total = job.containsKey("count") ? job.getLong("count") : job.getJsonArray("items").size();
      Await.until(() -> Future.succeededFuture(produced(redis, id)), produced -> produced > 0, Duration.ofSeconds(30));

      // Stopping the process stops its fan-out where it is; nothing releases the lease.
      doomed.close();
      long producedAtDeath = produced(redis, id);
      assertThat(producedAtDeath).as("the fan-out was cut off halfway").isBetween(1L, total - 1);
      assertThat(redis.send(Command.ZSCORE, RedisKeys.LEASES, id)).as("the orphaned lease").isNotNull();

      JsonObject finished;
      try (FanoutUnderTest successor = FanoutUnderTest.onSharedBackends(shared.copy().put(Settings.ROLES, "worker"))) {
        finished = api.awaitFinal(id, Duration.ofSeconds(120));
        try (KafkaProbe kafka = new KafkaProbe(successor.app())) {
          checkKafka.accept(id, kafka);
        }
      }
      assertThat(finished.getString("status")).isEqualTo("completed");
      assertThat(redis.send(Command.ZSCORE, RedisKeys.LEASES, id)).isNull();
      return finished;
    }
  }

  private static long produced(RedisProbe redis, String id) {
    Response produced = redis.send(Command.HGET, RedisKeys.job(id), "produced");
    return produced == null ? 0 : produced.toLong();
  }

  private static String sha256(String item) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(item.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
