package io.fanout.app.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Job;
import io.fanout.core.JobQueue;
import io.fanout.core.JobQueue.Admission;
import io.fanout.core.JobState;
import io.fanout.core.JobTemplate;
import io.fanout.core.RedisKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A change of both a job and the queue is two steps (on Redis Cluster, on two shards). Each test
 * leaves a change half made, as a process killed between the steps would, and shows that the
 * queue's repair sweep or the next dispatcher finishes or undoes it.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The queue survives a process dying between the two steps of a change")
class QueueRepairTest {
  private static final int REDIS_DB = 5;
  private static final long GRACE_MS = 1000;
  private static final long LONG_AGO = 60_000;

  private static Vertx vertx;
  private static Redis client;
  private static RedisProbe redis;
  private static JobQueue queue;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    client = Redis.createClient(vertx, SharedBackends.redisUrl(REDIS_DB));
    redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB));
    queue = new JobQueue(client);
  }

  @AfterAll
  static void close() {
    redis.close();
    client.close();
    Await.result(vertx.close());
  }

  @BeforeEach
  void emptyRedis() {
    redis.flush();
  }

  @Test
  @DisplayName("a submission whose job was stored but never queued is deleted, with all it stored")
  void submissionNeverQueued() {
    String id = UUID.randomUUID().toString();
    long longAgo = System.currentTimeMillis() - LONG_AGO;
    redis.send(Command.ZADD, RedisKeys.INTAKE, longAgo, id);
    redis.send(Command.HSET, RedisKeys.job(id), "status", "queued", "version", 1, "total", 2);
    redis.send(Command.RPUSH, RedisKeys.failures(id), "{\"index\":0}");

    Await.result(queue.repair(GRACE_MS));

    assertThat(redis.keys("*")).as("nothing of the submission is left").isEmpty();
  }

  @Test
  @DisplayName("a submission still inside its grace time is left alone")
  void submissionUnderWay() {
    String id = UUID.randomUUID().toString();
    redis.send(Command.ZADD, RedisKeys.INTAKE, System.currentTimeMillis(), id);
    redis.send(Command.HSET, RedisKeys.job(id), "status", "queued", "version", 1);

    Await.result(queue.repair(GRACE_MS));

    assertThat(redis.send(Command.EXISTS, RedisKeys.job(id)).toLong()).isEqualTo(1);
    assertThat(redis.send(Command.ZSCORE, RedisKeys.INTAKE, id)).isNotNull();
  }

  @Test
  @DisplayName("a cancel made on the job but not taken into the queue is taken in: the job leaves the waiting set")
  void cancelNotTakenIn() {
    String id = enqueue();
    // The cancel's first two steps, as cancel.lua and JobQueue record them; the process dies before the third.
    redis.send(Command.ZADD, RedisKeys.UNSETTLED, System.currentTimeMillis() - LONG_AGO, id + ":lost");
    redis.send(Command.HSET, RedisKeys.job(id), "status", "cancelled", "finishedAt", System.currentTimeMillis());
    redis.send(Command.HINCRBY, RedisKeys.job(id), "version", 1);
    assertThat(redis.send(Command.ZSCORE, RedisKeys.WAITING, id)).isNotNull();

    Await.result(queue.repair(GRACE_MS));

    assertThat(redis.send(Command.ZSCORE, RedisKeys.WAITING, id)).isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.byStatus(JobState.QUEUED), id)).isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.byStatus(JobState.CANCELLED), id)).isNotNull();
    assertThat(redis.send(Command.ZCARD, RedisKeys.UNSETTLED).toLong()).isZero();
    assertThat(Await.result(queue.admit("dispatcher", 10, 10, 5000, 0))).as("nothing left to admit").isNull();
  }

  @Test
  @DisplayName("a job whose end was counted but not taken into the queue leaves the active set, and its topics may go")
  void endNotTakenIn() {
    String id = enqueue();
    Admission admission = Await.result(queue.admit("dispatcher", 10, 10, 5000, 0));
    assertThat(admission.jobId()).isEqualTo(id);
    // What complete.lua does to the job's hash when its last task is counted; the worker dies next.
    redis.send(Command.HSET, RedisKeys.job(id), "status", "completed", "finishedAt", System.currentTimeMillis());
    redis.send(Command.HINCRBY, RedisKeys.job(id), "version", 1);

    Await.result(queue.repair(GRACE_MS));

    assertThat(redis.send(Command.ZSCORE, RedisKeys.ACTIVE, id)).as("admission capacity given back").isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.LEASES, id)).isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.byStatus(JobState.RUNNING), id)).isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.byStatus(JobState.COMPLETED), id)).isNotNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.FINISHED_TOPICS, id)).as("its topics are due for deletion").isNotNull();
  }

  @Test
  @DisplayName("a job with a callbackUrl whose end was not taken into the queue gets its webhook due from the sweep, once")
  void endNotTakenInStillCallsBack() {
    String id = UUID.randomUUID().toString();
    Job.Spec spec = new Job.Spec("count", new JsonObject(), 10, false, 1, 0, 1, 0, null);
    Await.result(queue.enqueue(Job.accepted(id, spec, Instant.now(), null, 0),
        Map.of(JobTemplate.CALLBACK_URL, "https://hooks.example.com/fanout"), null, 60_000));
    Await.result(queue.admit("dispatcher", 10, 10, 5000, 0));
    assertThat(redis.send(Command.ZSCORE, RedisKeys.CALLBACKS_DUE, id)).as("due before the end").isNull();
    // The end as complete.lua makes it; the worker dies before taking it into the queue.
    redis.send(Command.HSET, RedisKeys.job(id), "status", "completed", "finishedAt", System.currentTimeMillis());
    redis.send(Command.HINCRBY, RedisKeys.job(id), "version", 1);

    Await.result(queue.repair(GRACE_MS));

    assertThat(redis.send(Command.ZSCORE, RedisKeys.CALLBACKS_DUE, id)).as("webhook due").isNotNull();
    // Delivered meanwhile (it leaves the outbox); a later projection of the same end adds nothing.
    redis.send(Command.ZREM, RedisKeys.CALLBACKS_DUE, id);
    redis.send(Command.ZADD, RedisKeys.ACTIVE, System.currentTimeMillis(), id);
    Await.result(queue.repair(GRACE_MS));
    assertThat(redis.send(Command.ZSCORE, RedisKeys.ACTIVE, id)).as("the end taken in again").isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.CALLBACKS_DUE, id)).as("webhook due a second time").isNull();
  }

  @Test
  @DisplayName("a job admitted by a dispatcher that died before the job's hash said 'running' is resumed by the next one")
  void admittedNeverStarted() {
    String id = enqueue();
    // The admission's queue step alone, with its lease already run out: as admit.lua leaves it.
    redis.send(Command.ZREM, RedisKeys.WAITING, id);
    redis.send(Command.ZADD, RedisKeys.ACTIVE, System.currentTimeMillis(), id);
    redis.send(Command.ZADD, RedisKeys.LEASES, System.currentTimeMillis() - LONG_AGO, id);
    redis.send(Command.HSET, RedisKeys.LEASE_OWNERS, id, "dead-dispatcher");
    redis.send(Command.HINCRBY, RedisKeys.VERSIONS, id, 1);

    Admission resumed = Await.result(queue.admit("next-dispatcher", 10, 10, 5000, 0));

    assertThat(resumed.jobId()).isEqualTo(id);
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.small()).isFalse();
    assertThat(resumed.job().status()).as("the job as it started").isEqualTo(JobState.RUNNING);
    assertThat(resumed.produced()).isZero();
    assertThat(redis.send(Command.HGET, RedisKeys.job(id), "status").toString()).isEqualTo("running");
    assertThat(redis.send(Command.HGET, RedisKeys.LEASE_OWNERS, id).toString()).isEqualTo("next-dispatcher");
  }

  @Test
  @DisplayName("a job cancelled between its admission and its start is not started, and the next job is admitted")
  void cancelledWhileAdmitted() {
    String first = enqueue();
    String second = enqueue();
    // A cancel that reaches the job's hash while the job is in the waiting set; its queue step is still to come.
    redis.send(Command.HSET, RedisKeys.job(first), "status", "cancelled");
    redis.send(Command.HINCRBY, RedisKeys.job(first), "version", 1);

    Admission admitted = Await.result(queue.admit("dispatcher", 10, 10, 5000, 0));

    assertThat(admitted.jobId()).isEqualTo(second);
    assertThat(admitted.resumed()).isFalse();
    assertThat(redis.send(Command.HGET, RedisKeys.job(first), "status").toString()).isEqualTo("cancelled");
    assertThat(redis.send(Command.ZSCORE, RedisKeys.ACTIVE, first)).isNull();
    assertThat(redis.send(Command.ZSCORE, RedisKeys.byStatus(JobState.CANCELLED), first)).isNotNull();
  }

  @Test
  @DisplayName("a small job's orphaned fan-out resumes where its checkpoint says, keeping the first start of its log")
  void smallJobResumed() {
    String id = enqueue(new Job.Spec("count", new JsonObject(), 3, false, 1, 0, 1, 0, null), 3);
    Admission first = Await.result(queue.admit("dispatcher", 10, 10, 5000, 40));
    assertThat(first.small()).isTrue();
    assertThat(first.job().logFrom()).as("where its records can start in the express log").isEqualTo(40);
    // The first dispatcher got two tasks into Kafka, checkpointed them and died; its lease ran out.
    Await.result(queue.checkpoint(id, "dispatcher", 5000, 2));
    redis.send(Command.ZADD, RedisKeys.LEASES, System.currentTimeMillis() - LONG_AGO, id);

    Admission resumed = Await.result(queue.admit("next-dispatcher", 10, 10, 5000, 75));

    assertThat(resumed.jobId()).isEqualTo(id);
    assertThat(resumed.resumed()).isTrue();
    assertThat(resumed.produced()).as("where the fan-out resumes").isEqualTo(2);
    assertThat(resumed.retries()).isZero();
    assertThat(resumed.job().logFrom()).as("the lower, first offset: records of the first fan-out lie above it")
        .isEqualTo(40);
  }

  private static String enqueue() {
    return enqueue(new Job.Spec("count", new JsonObject(), 10, false, 1, 0, 1, 0, null), 0);
  }

  private static String enqueue(Job.Spec spec, long smallJobTasks) {
    String id = UUID.randomUUID().toString();
    Await.result(queue.enqueue(Job.accepted(id, spec, Instant.now(), null, smallJobTasks), null, 60_000));
    return id;
  }
}
