package io.fanout.app.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Completion;
import io.fanout.core.JobStore.Failure;
import io.fanout.core.JobStore.Success;
import io.fanout.core.RedisKeys;
import io.fanout.core.ReplicaAck;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The script that counts finished tasks ({@code complete.lua}), called as workers call it (each
 * task at most once per call), on the shared Redis: what it counts, what it says to log, and when
 * it ends a job. The engine tests show the same end to end; these pin down each rule on its own.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Counting outcomes: each task once, each log record once, each job's end once")
class OutcomeCountTest {
  private static final int REDIS_DB = 13;

  private static Vertx vertx;
  private static Redis client;
  private static JobStore store;
  private static RedisProbe redis;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    client = Redis.createClient(vertx, SharedBackends.redisUrl(REDIS_DB));
    store = new JobStore(client);
    redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB));
  }

  @AfterAll
  static void disconnect() {
    redis.close();
    client.close();
    Await.result(vertx.close());
  }

  @Test
  @DisplayName("a repeat already logged is neither counted nor logged again")
  void repeatsCountOnce() {
    String job = runningJob(10);
    Completion first = count(job, successes(0, 1, 2), List.of());
    assertThat(first.countedNow()).isEqualTo(3);
    assertThat(first.done()).isEqualTo(3);
    assertThat(first.notToLog()).isEmpty();
    Await.result(store.markLogged(job, List.of(0L, 1L, 2L), null));

    Completion second = count(job, successes(1, 3), List.of());
    assertThat(second.countedNow()).isEqualTo(1);
    assertThat(second.done()).isEqualTo(4);
    assertThat(second.notToLog()).containsExactly(1L);
    assertThat(second.logs(3)).isTrue();
    assertThat(second.finishedNow()).isFalse();
  }

  @Test
  @DisplayName("a task counted but never logged (its worker died) is logged when it comes again")
  void unloggedRepeatsAreLogged() {
    String job = runningJob(10);
    assertThat(count(job, successes(5), List.of()).countedNow()).isEqualTo(1);

    Completion again = count(job, successes(5), List.of());
    assertThat(again.countedNow()).isZero();
    assertThat(again.done()).isEqualTo(1);
    assertThat(again.logs(5)).isTrue();

    Await.result(store.markLogged(job, List.of(5L), null));
    assertThat(count(job, successes(5), List.of()).logs(5)).isFalse();
  }

  @Test
  @DisplayName("a task that failed for good stays failed when it later succeeds; the job fails once")
  void failedForGoodStaysFailed() {
    String job = runningJob(3);
    Completion first = count(job, successes(1), List.of(failure(0)));
    assertThat(first.done()).isEqualTo(1);
    assertThat(first.failed()).isEqualTo(1);
    assertThat(first.notToLog()).isEmpty();
    assertThat(redis.send(Command.LLEN, RedisKeys.failures(job)).toLong()).isEqualTo(1);
    Await.result(store.markLogged(job, List.of(0L, 1L), null));

    Completion last = count(job, successes(0, 2), List.of());
    assertThat(last.countedNow()).as("only 2: 0 failed for good").isEqualTo(1);
    assertThat(last.done()).isEqualTo(2);
    assertThat(last.failed()).isEqualTo(1);
    assertThat(last.status()).isEqualTo(JobState.FAILED);
    assertThat(last.finishedNow()).isTrue();
    assertThat(last.notToLog()).containsExactly(0L);
    assertThat(redis.send(Command.GETBIT, RedisKeys.doneBits(job), 0).toLong()).isZero();
  }

  @Test
  @DisplayName("the job's end is told again while the task that ended it is not logged, and then no more")
  void lostEndIsToldAgain() {
    String job = runningJob(2);
    Completion ending = count(job, successes(0, 1), List.of());
    assertThat(ending.status()).isEqualTo(JobState.COMPLETED);
    assertThat(ending.finishedNow()).isTrue();

    Completion rerun = count(job, successes(1, 0), List.of());
    assertThat(rerun.countedNow()).isZero();
    assertThat(rerun.finishedNow()).as("the task that ended the job came back unlogged").isTrue();
    assertThat(rerun.notToLog()).isEmpty();

    Await.result(store.markLogged(job, List.of(0L, 1L), null));
    Completion logged = count(job, successes(0, 1), List.of());
    assertThat(logged.finishedNow()).isFalse();
    assertThat(logged.notToLog()).containsExactlyInAnyOrder(0L, 1L);
  }

  @Test
  @DisplayName("a job ended by a failure is told again the same way")
  void lostEndByAFailureIsToldAgain() {
    String job = runningJob(1);
    assertThat(count(job, List.of(), List.of(failure(0))).finishedNow()).isTrue();
    assertThat(count(job, List.of(), List.of(failure(0))).finishedNow()).isTrue();
    Await.result(store.markLogged(job, List.of(0L), null));
    Completion logged = count(job, List.of(), List.of(failure(0)));
    assertThat(logged.finishedNow()).isFalse();
    assertThat(logged.logs(0)).isFalse();
    assertThat(redis.send(Command.LLEN, RedisKeys.failures(job)).toLong()).isEqualTo(1);
  }

  @Test
  @DisplayName("values of a summing job are added once per task, and the sum is the job's result")
  void sumsCountOnce() {
    String job = runningJob(3);
    count(job, List.of(new Success(0, 1.5), new Success(1, 2.5)), List.of());
    Await.result(store.markLogged(job, List.of(0L, 1L), null));
    Completion last = count(job, List.of(new Success(1, 2.5), new Success(2, 4.0)), List.of());
    assertThat(last.status()).isEqualTo(JobState.COMPLETED);
    assertThat(new JsonObject(redis.send(Command.HGET, RedisKeys.job(job), "result").toString()).getDouble("value"))
        .isEqualTo(8.0);
  }

  @Test
  @DisplayName("batches of thousands set the bits SETBIT and GETBIT see, and mark them logged")
  void largeBatchesUseTheSameBits() {
    String job = runningJob(5000);
    List<Success> odd = LongStream.range(0, 5000).filter(i -> i % 2 == 1).mapToObj(i -> new Success(i, null)).toList();
    Completion counted = count(job, odd, List.of());
    assertThat(counted.countedNow()).isEqualTo(2500);
    assertThat(counted.notToLog()).isEmpty();
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(job)).toLong()).isEqualTo(2500);
    assertThat(redis.send(Command.GETBIT, RedisKeys.doneBits(job), 4999).toLong()).isEqualTo(1);
    assertThat(redis.send(Command.GETBIT, RedisKeys.doneBits(job), 4998).toLong()).isZero();

    Await.result(store.markLogged(job, odd.stream().map(Success::index).toList(), null));
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.loggedBits(job)).toLong()).isEqualTo(2500);
    assertThat(redis.send(Command.GETBIT, RedisKeys.loggedBits(job), 1).toLong()).isEqualTo(1);
    assertThat(count(job, odd, List.of()).notToLog()).hasSize(2500);
  }

  @Test
  @DisplayName("rounds of different partitions share the bitmap's bytes and keep each other's bits")
  void interleavedRoundsKeepEachOthersBits() {
    String job = runningJob(40);
    List<Success> even = LongStream.range(0, 40).filter(i -> i % 2 == 0).mapToObj(i -> new Success(i, null)).toList();
    List<Success> odd = LongStream.range(0, 40).filter(i -> i % 2 == 1).mapToObj(i -> new Success(i, null)).toList();
    assertThat(count(job, even, List.of()).countedNow()).isEqualTo(20);
    Await.result(store.markLogged(job, even.stream().map(Success::index).toList(), null));
    Completion last = count(job, odd, List.of());
    assertThat(last.countedNow()).isEqualTo(20);
    assertThat(last.status()).isEqualTo(JobState.COMPLETED);
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(job)).toLong()).isEqualTo(40);
    Await.result(store.markLogged(job, odd.stream().map(Success::index).toList(), null));
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.loggedBits(job)).toLong()).isEqualTo(40);
    assertThat(redis.keys(RedisKeys.job(job) + ":scratch*")).as("scratch keys left behind").isEmpty();
  }

  @Test
  @DisplayName("scratch bitmaps left by a call that failed halfway change nothing")
  void leftoverScratchIsIgnored() {
    String job = runningJob(64);
    String junk = "\u00ff".repeat(8);
    RedisKeys.scratchBits(job, 3).forEach(key -> redis.send(Command.SET, key, junk));
    Completion counted = count(job, successes(0, 1), List.of());
    assertThat(counted.countedNow()).isEqualTo(2);
    assertThat(counted.done()).isEqualTo(2);
    Await.result(store.markLogged(job, List.of(0L, 1L), null));
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(job)).toLong()).isEqualTo(2);
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.loggedBits(job)).toLong()).isEqualTo(2);
  }

  @Test
  @DisplayName("indexes far apart are counted where they are, and nothing between them")
  void sparseIndexes() {
    String job = runningJob(10_000_000);
    long[] indexes = {3, 80, 100_000, 100_007, 9_999_999};
    assertThat(count(job, successes(indexes), List.of()).countedNow()).isEqualTo(5);
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(job)).toLong()).isEqualTo(5);
    for (long index : indexes) {
      assertThat(redis.send(Command.GETBIT, RedisKeys.doneBits(job), index).toLong()).as("bit %d", index).isEqualTo(1);
    }
    assertThat(count(job, successes(4, 80, 9_999_998), List.of()).countedNow()).isEqualTo(2);
  }

  @Test
  @DisplayName("outcomes of a cancelled job change nothing and are not logged")
  void cancelledJobsCountNothing() {
    String job = runningJob(10);
    redis.send(Command.HSET, RedisKeys.job(job), "status", "cancelled");
    Completion late = count(job, successes(0, 1), List.of(failure(2)));
    assertThat(late.status()).isEqualTo(JobState.CANCELLED);
    assertThat(late.countedNow()).isZero();
    assertThat(late.done()).isZero();
    assertThat(late.logs(0)).isFalse();
    assertThat(late.logs(2)).isFalse();
    assertThat(redis.send(Command.EXISTS, RedisKeys.doneBits(job)).toLong()).isZero();
  }

  @Test
  @DisplayName("the count that would end a job waits while tasks counted in another round are not logged: it counts nothing, and ends the job once they are")
  void endWaitsForTheLog() {
    String job = runningJob(4);
    count(job, successes(0, 1), List.of()); // another worker's round, its transaction not yet committed
    Completion early = count(job, successes(2, 3), List.of());
    assertThat(early.waitsForLog()).isTrue();
    assertThat(early.unloggedElsewhere()).isEqualTo(2);
    assertThat(early.status()).isEqualTo(JobState.RUNNING);
    assertThat(early.done()).as("nothing counted").isEqualTo(2);
    assertThat(early.countedNow()).isZero();
    assertThat(early.finishedNow()).isFalse();
    assertThat(early.logs(2)).as("nothing of a waiting round is logged").isFalse();
    assertThat(redis.send(Command.GETBIT, RedisKeys.doneBits(job), 2).toLong()).isZero();

    Await.result(store.markLogged(job, List.of(0L, 1L), null));
    Completion ended = count(job, successes(2, 3), List.of());
    assertThat(ended.waitsForLog()).isFalse();
    assertThat(ended.finishedNow()).isTrue();
    assertThat(ended.status()).isEqualTo(JobState.COMPLETED);
    assertThat(ended.done()).isEqualTo(4);
    assertThat(ended.logs(2)).isTrue();
  }

  @Test
  @DisplayName("tasks counted by a worker that died before logging them end the job when they come again with its last ones")
  void deadWorkersTasksEndTheJobWhenLogged() {
    String job = runningJob(4);
    count(job, successes(0), List.of(new Failure(1, new JsonObject().put("index", 1)))); // its transaction died
    assertThat(count(job, successes(2, 3), List.of()).waitsForLog()).isTrue();

    // The partition's next owner runs 0 and 1 again; the waiting outcomes come in the same round.
    Completion ended = count(job, successes(0, 2, 3), List.of(new Failure(1, new JsonObject().put("index", 1))));
    assertThat(ended.waitsForLog()).isFalse();
    assertThat(ended.finishedNow()).isTrue();
    assertThat(ended.status()).isEqualTo(JobState.FAILED);
    assertThat(List.of(0L, 1L, 2L, 3L)).as("every task is logged in the round that ends the job")
        .allMatch(ended::logs);
  }

  @Test
  @DisplayName("a job whose bitmaps went with its retired topics, its failed task retried, ends when that task is counted: "
      + "the counts its hash kept are not taken for tasks waiting to be logged")
  void retriedAfterItsTopicsWentEnds() {
    String job = runningJob(4);
    Completion failed = count(job, successes(0, 1, 2), List.of(new Failure(3, new JsonObject().put("index", 3))));
    assertThat(failed.status()).isEqualTo(JobState.FAILED);
    Await.result(store.topicsDeleted(job));
    // What retry-failed and the next start leave of it: running again, its failed count reset.
    redis.send(Command.HSET, RedisKeys.job(job), "status", "running", "failed", 0);

    Completion ended = count(job, successes(3), List.of());
    assertThat(ended.waitsForLog()).isFalse();
    assertThat(ended.finishedNow()).isTrue();
    assertThat(ended.status()).isEqualTo(JobState.COMPLETED);
    assertThat(ended.done()).isEqualTo(4);
  }

  @Test
  @DisplayName("a worker that has waited long enough ends the job though tasks counted before are not logged (a lost mark)")
  void endRegardlessOfTheLog() {
    String job = runningJob(4);
    count(job, successes(0, 1), List.of());
    Completion ended = Await.result(store.recordOutcomes(job, successes(2, 3), List.of(), null, "{}", false));
    assertThat(ended.finishedNow()).isTrue();
    assertThat(ended.status()).isEqualTo(JobState.COMPLETED);
    assertThat(ended.unloggedElsewhere()).isZero();
  }

  @Test
  @DisplayName("a count no replica acknowledges (REDIS_MIN_REPLICAS_ACK, here with no replica at all) fails after REDIS_ACK_TIMEOUT_MS, naming the setting; counted again, no task counts twice")
  void unacknowledgedCountFails() {
    String job = runningJob(10);
    long started = System.nanoTime();
    Throwable refused = Await.result(new JobStore(client, new ReplicaAck(1, 200))
        .recordOutcomes(job, successes(0, 1), List.of(), null, "{}", true)
        .map(counted -> (Throwable) null)
        .otherwise(failure -> failure));
    assertThat(refused).isInstanceOf(ReplicaAck.NotAcknowledged.class)
        .hasMessageContaining("0 of the 1 replicas").hasMessageContaining("REDIS_MIN_REPLICAS_ACK");
    assertThat((System.nanoTime() - started) / 1_000_000).as("ms waited for a replica").isGreaterThanOrEqualTo(200);

    // The worker does not commit the round, puts it back and counts it again: Redis kept the bits.
    Completion again = count(job, successes(0, 1), List.of());
    assertThat(again.countedNow()).isZero();
    assertThat(again.done()).isEqualTo(2);
    assertThat(again.logs(0)).as("still to be logged: its round was never committed").isTrue();
  }

  @Test
  @DisplayName("the job's end record is kept as its last log record with the marks of its last tasks, and never brings a forgotten job back")
  void endRecordKeptWithTheMarks() {
    String job = runningJob(2);
    Completion end = count(job, successes(0, 1), List.of());
    assertThat(end.finishedNow()).isTrue();
    JsonObject endRecord = new JsonObject().put("jobId", job).put("event", "completed").put("done", 2);

    Await.result(store.markLogged(job, List.of(0L, 1L), endRecord));

    assertThat(Await.result(store.lastLog(job))).isEqualTo(endRecord);
    assertThat(count(job, successes(0, 1), List.of()).notToLog()).as("both marked logged").containsExactlyInAnyOrder(0L, 1L);

    String forgotten = UUID.randomUUID().toString();
    Await.result(store.markLogged(forgotten, List.of(0L), endRecord));
    assertThat(redis.send(Command.EXISTS, RedisKeys.job(forgotten)).toLong()).as("no hash made for a late mark").isZero();
    assertThat(redis.send(Command.EXISTS, RedisKeys.loggedBits(forgotten)).toLong()).isZero();
  }

  /** The fields of a running job's hash that counting reads. */
  private static String runningJob(long total) {
    String id = UUID.randomUUID().toString();
    redis.send(Command.HSET, RedisKeys.job(id), "status", "running", "total", total, "done", 0, "failed", 0,
        "arrival", System.currentTimeMillis());
    return id;
  }

  /** As a worker counts: the job ends only once the tasks counted before are logged. */
  private static Completion count(String job, List<Success> successes, List<Failure> failures) {
    return Await.result(store.recordOutcomes(job, successes, failures, null, "{}", true));
  }

  private static List<Success> successes(long... indexes) {
    return LongStream.of(indexes).mapToObj(index -> new Success(index, null)).toList();
  }

  private static Failure failure(long index) {
    return new Failure(index, new JsonObject().put("index", index).put("error", "boom"));
  }
}
