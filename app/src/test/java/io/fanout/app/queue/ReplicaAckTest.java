package io.fanout.app.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Completion;
import io.fanout.core.JobStore.Success;
import io.fanout.core.RedisKeys;
import io.fanout.core.ReplicaAck;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A count made while no replica acknowledges it must not look done to the worker (which would then
 * commit the Kafka offsets past its tasks); counted again later, it is counted once. The suite's
 * Redis has no replica, which is exactly the case of a master whose replica is gone.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Counts wait for REDIS_MIN_REPLICAS_ACK replicas")
class ReplicaAckTest {
  private static final int REDIS_DB = 15;

  private static Vertx vertx;
  private static Redis client;
  private static RedisProbe redis;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    client = Redis.createClient(vertx, SharedBackends.redisUrl(REDIS_DB));
    redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB));
  }

  @AfterAll
  static void disconnect() {
    redis.close();
    client.close();
    Await.result(vertx.close());
  }

  @Test
  @DisplayName("without a replica the count fails after REDIS_ACK_TIMEOUT_MS, naming the setting; counted again without the wait, no task counts twice")
  void unacknowledgedCountFails() {
    String job = UUID.randomUUID().toString();
    redis.send(Command.HSET, RedisKeys.job(job), "status", "running", "total", 10, "done", 0, "failed", 0,
        "arrival", System.currentTimeMillis());
    List<Success> successes = List.of(new Success(0, null), new Success(1, null));

    long started = System.nanoTime();
    Throwable refused = Await.result(new JobStore(client, new ReplicaAck(1, 200))
        .recordOutcomes(job, successes, List.of(), null, "{}")
        .map(counted -> (Throwable) null)
        .otherwise(failure -> failure));
    assertThat(refused).isInstanceOf(ReplicaAck.NotAcknowledged.class)
        .hasMessageContaining("0 of the 1 replicas").hasMessageContaining("REDIS_MIN_REPLICAS_ACK");
    assertThat((System.nanoTime() - started) / 1_000_000).as("ms waited for the replica").isGreaterThanOrEqualTo(200);

    // The worker puts the round back and counts it again: the bits Redis kept count nothing twice.
    Completion again = Await.result(new JobStore(client).recordOutcomes(job, successes, List.of(), null, "{}"));
    assertThat(again.countedNow()).isZero();
    assertThat(again.done()).isEqualTo(2);
    assertThat(again.logs(0)).as("still to be logged: its round was never committed").isTrue();
  }
}
