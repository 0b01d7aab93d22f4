package io.fanout.worker;

import io.fanout.core.Topics;
import io.fanout.worker.OutcomeRecorder.Counted;
import io.fanout.worker.OutcomeRecorder.Prepared;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The count-log-commit round, every {@code intervalMs}: the outcomes below each partition's first
 * unfinished record are counted in Redis and then, in one Kafka transaction, logged together with
 * the offsets that move past them. Invariants: the count is in Redis before the transaction
 * commits (an outcome logged and committed but not counted would never run again to be counted);
 * a task is logged exactly once (its transaction committed and it never runs again, or it did
 * not and it runs again, to be logged then); a round that fails puts its outcomes back for the
 * next one, which is safe because counting is idempotent. The consumer's thread alone runs rounds
 * and owns the transactional producer; Redis and the event bus are reached on the verticle's
 * context, and this thread waits for them.
 */
final class CommitRound {
  private static final Logger LOG = LoggerFactory.getLogger(CommitRound.class);
  private static final long CONTEXT_TIMEOUT_MS = 10_000;
  /** How long a round waits for Redis to count it: well within the 5 s its transaction may stay open. */
  private static final long COUNT_TIMEOUT_MS = 2_000;
  /**
   * Jobs a round takes at most (whole partitions, so an express partition may bring more): one
   * round for the thousands of small jobs a worker can hold after a rebalance would overflow the
   * Redis client's queue and the count's timeout, and fail again each time.
   */
  private static final int JOBS_PER_ROUND = 256;
  /** Redis calls of a round in flight at once: each job's count, then each job's marks. */
  private static final int CALLS_IN_FLIGHT = 32;

  private final Context context;
  private final String workerId;
  private final OutcomeRecorder recorder;
  private final LiveJobs liveJobs;
  private final Supplier<KafkaProducer<String, String>> newProducer;
  private final HeldPartitions held;
  private final FetchThrottle throttle;
  private final long intervalMs;
  private KafkaProducer<String, String> producer;
  private long lastRecordedAt;
  private long rounds;
  private CompletableFuture<?> announcing = CompletableFuture.completedFuture(null);

  CommitRound(Context context, String workerId, OutcomeRecorder recorder, LiveJobs liveJobs,
      Supplier<KafkaProducer<String, String>> newProducer, HeldPartitions held, FetchThrottle throttle,
      long intervalMs) {
    this.context = context;
    this.workerId = workerId;
    this.recorder = recorder;
    this.liveJobs = liveJobs;
    this.newProducer = newProducer;
    this.held = held;
    this.throttle = throttle;
    this.intervalMs = intervalMs;
  }

  /** A session's producer; its initTransactions aborts whatever a predecessor left open. */
  void openProducer() {
    producer = newProducer.get();
    producer.initTransactions();
  }

  void closeProducer() {
    producer.close();
  }

  /** Drops the producer without waiting: an open transaction is aborted by its timeout. */
  void closeProducerNow() {
    try {
      if (producer != null) {
        producer.close(Duration.ZERO);
      }
    } catch (RuntimeException ignored) {
      // Closing is best effort here.
    }
  }

  boolean due() {
    return System.currentTimeMillis() - lastRecordedAt >= intervalMs;
  }

  /**
   * Counts the recordable outcomes in Redis and, in one transaction, logs them and commits the
   * offsets that move past them. While Redis counts, the log records already go into the
   * transaction, on the guess that every outcome is a first one; a round with repeats in it (a
   * re-run) is aborted and sent again as counted. A big job known to have ended is no guess: its
   * topics may be deleted by now, so its records go only once Redis says they are to be logged, and
   * its offsets not at all. If either step fails the outcomes wait for the next round: what was
   * counted but not logged is logged then. So do, uncounted, the outcomes that would end a job
   * while tasks of it counted elsewhere are not yet logged: a job ends only after all its records.
   */
  void run(KafkaConsumer<String, String> consumer) {
    lastRecordedAt = System.currentTimeMillis();
    Map<PartitionWork, List<Outcome>> taken = new HashMap<>();
    Map<String, List<Outcome>> byJob = new LinkedHashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    List<PartitionWork> works = new ArrayList<>(held.all());
    // Each round starts one partition further on: a round cut short leaves none behind for good.
    Collections.rotate(works, -(int) (rounds++ % Math.max(1, works.size())));
    for (PartitionWork work : works) {
      if (byJob.size() >= JOBS_PER_ROUND) {
        break; // the other partitions' outcomes and offsets wait for the next round, a moment later
      }
      List<Outcome> recordable = work.takeRecordable();
      if (!recordable.isEmpty()) {
        taken.put(work, recordable);
        recordable.forEach(outcome -> byJob.computeIfAbsent(outcome.task().jobId(), id -> new ArrayList<>())
            .add(outcome));
      }
      long committable = work.committable();
      if (committable >= 0 && !ofEndedJob(work.partition())) {
        offsets.put(work.partition(), new OffsetAndMetadata(committable));
      }
    }
    throttle.countInHand();
    if (offsets.isEmpty() && byJob.isEmpty()) {
      return;
    }
    List<Prepared> prepared = byJob.entrySet().stream()
        .map(job -> recorder.prepare(job.getKey(), job.getValue()))
        .toList();
    // The last round's tasks are marked logged before these are counted: a task written twice
    // (by a dispatcher that resumed after a crash) is then found logged when its copy comes.
    awaitAnnounced();
    CompletableFuture<List<Counted>> counting = onContext(() -> GroupedCalls.of(prepared, CALLS_IN_FLIGHT, recorder::count));
    List<Counted> counted;
    try {
      producer.beginTransaction();
      prepared.stream().filter(Prepared::ahead).forEach(batch -> batch.allRecords().forEach(producer::send));
      counted = awaitCount(counting);
      if (counted != null) {
        holdBackWaiting(counted, taken, offsets);
      }
      if (counted == null || !counted.stream().allMatch(Counted::sentAheadAsCounted)) {
        producer.abortTransaction();
        if (counted == null) {
          taken.forEach(PartitionWork::putBack);
          return;
        }
        producer.beginTransaction();
        counted.forEach(batch -> batch.records().forEach(producer::send));
      } else {
        // The jobs known to have ended were left out of the guess: what of theirs Redis says to log goes now.
        counted.stream().filter(batch -> !batch.prepared().ahead())
            .forEach(batch -> batch.records().forEach(producer::send));
      }
      counted.stream().map(Counted::finishRecord).filter(Objects::nonNull).forEach(producer::send);
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      }
      producer.commitTransaction();
    } catch (KafkaException failed) {
      if (failed instanceof TimeoutException) {
        // The commit may yet complete: what was committed is known only to Kafka, so a new
        // session starts from the offsets Kafka has.
        throw failed;
      }
      if (!aborted()) {
        // The producer is fenced: the coordinator refused this transaction, typically because it
        // timed out there while a partition's leader moved (a broker died) and so was aborted
        // and the producer's epoch bumped. Refused means not committed. A new producer under the
        // same transactional id takes over; the consumer keeps its partitions, so the group
        // does not rebalance and no task runs again.
        renewProducer();
      }
      // Otherwise typically a rebalance moved the group to a new generation under this
      // transaction. Either way it is aborted, so nothing of it is visible; the outcomes wait for
      // the next round, where Redis answers that they are counted but not logged.
      LOG.warn("Worker {} will record its finished tasks again: {}", workerId, failed.toString());
      taken.forEach(PartitionWork::putBack);
      return;
    }
    offsets.forEach((partition, offset) -> held.get(partition).committed(offset.offset()));
    announce(counted);
  }

  /**
   * The outcomes of a job whose end waits for tasks counted elsewhere to be logged were not
   * counted: they go back for the next round, and their partitions' offsets stop before them (an
   * express partition's other small jobs still move on).
   */
  private static void holdBackWaiting(List<Counted> counted, Map<PartitionWork, List<Outcome>> taken,
      Map<TopicPartition, OffsetAndMetadata> offsets) {
    Set<String> waiting = counted.stream().filter(batch -> batch.completion().waitsForLog())
        .map(batch -> batch.prepared().jobId()).collect(Collectors.toSet());
    if (waiting.isEmpty()) {
      return;
    }
    taken.forEach((work, outcomes) -> {
      List<Outcome> held = outcomes.stream().filter(outcome -> waiting.contains(outcome.task().jobId())).toList();
      if (!held.isEmpty()) {
        outcomes.removeIf(outcome -> waiting.contains(outcome.task().jobId()));
        work.putBack(held);
        long heldFrom = held.stream().mapToLong(outcome -> outcome.record().offset()).min().orElseThrow();
        long upTo = work.committableBefore(heldFrom);
        offsets.computeIfPresent(work.partition(), (partition, offset) -> upTo < 0 ? null : new OffsetAndMetadata(upTo));
      }
    });
  }

  /**
   * Whether the partition is a big job's whose end this worker knows of: its offsets stay out of
   * the transaction, as its topics may be gone (a purge, the janitor), and a transaction naming a
   * deleted partition can neither commit nor abort. They are worth nothing by then: what of the
   * job is still in Kafka never runs (cancelled) or was counted already (finished).
   */
  private boolean ofEndedJob(TopicPartition partition) {
    return !Topics.isExpress(partition.topic()) && liveJobs.hasEnded(Topics.jobIdOfTasks(partition.topic()));
  }

  /** The round's counts, or null if Redis did not give them in time; the transaction stays open meanwhile. */
  private List<Counted> awaitCount(CompletableFuture<List<Counted>> counting) {
    try {
      return counting.get(COUNT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | java.util.concurrent.TimeoutException redisAway) {
      LOG.warn("Worker {} will count its finished tasks again: {}", workerId, redisAway.toString());
      return null;
    }
  }

  /** Marks what the transaction logged and tells the job's watchers, while the next round is polled. */
  private void announce(List<Counted> counted) {
    announcing = onContext(() -> GroupedCalls.of(counted, CALLS_IN_FLIGHT, recorder::announce));
  }

  /** Waits for the last round's marks and notices, so that the next count finds its tasks logged. */
  void awaitAnnounced() {
    try {
      announcing.get(CONTEXT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException interrupted) {
      // Kept for the loop to see: the Kafka calls that follow throw, and the session ends.
      Thread.currentThread().interrupt();
    } catch (ExecutionException | java.util.concurrent.TimeoutException notTold) {
      // Counted and logged; only the marks and notices are missing, and a progress update follows.
      LOG.warn("Worker {} could not announce recorded tasks: {}", workerId, notTold.toString());
    }
    announcing = CompletableFuture.completedFuture(null);
  }

  /**
   * Replaces a fenced producer. Its successor's initTransactions completes the abort of anything
   * the old one left open; if that fails too (no coordinator in time), the session restarts.
   */
  private void renewProducer() {
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException ignored) {
      // A fenced producer may refuse even to close cleanly; its successor fences it anyway.
    }
    openProducer();
    LOG.info("Worker {} renewed its transactional producer", workerId);
  }

  private boolean aborted() {
    try {
      producer.abortTransaction();
      return true;
    } catch (KafkaException fatal) {
      return false;
    }
  }

  /** Runs Vert.x work (Redis, the event bus) on the verticle's context; this thread may wait for it. */
  private <T> CompletableFuture<T> onContext(Supplier<Future<T>> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> work.get().onComplete(done -> {
      if (done.succeeded()) {
        result.complete(done.result());
      } else {
        result.completeExceptionally(done.cause());
      }
    }));
    return result;
  }
}
