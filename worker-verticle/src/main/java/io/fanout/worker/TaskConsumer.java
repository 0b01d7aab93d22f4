package io.fanout.worker;

import io.fanout.core.Topics;
import io.fanout.worker.OutcomeRecorder.Counted;
import io.fanout.worker.OutcomeRecorder.Prepared;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of the workers' consumer group, with a thread of its own that alone touches its
 * Kafka consumer and transactional producer. Polled tasks run on the worker pool; every
 * {@code commitIntervalMs} the outcomes below each partition's first unfinished record are
 * counted in Redis and then, in one Kafka transaction, logged together with the offsets that
 * move past them. A task is therefore logged exactly once: either its transaction committed and
 * it never runs again, or it did not and the task runs again, to be logged then.
 *
 * <p>Partitions are given up the same way: in a rebalance the tasks past the last one started are
 * left to the next owner, the ones before it are finished, and everything finished is committed
 * before the rebalance goes on; at shutdown all tasks in hand are finished first. Fetching pauses (while
 * polling goes on, so the group keeps the member) when too many tasks are in hand or an operator
 * paused the workers. Anything unexpected closes the consumer without committing and starts a
 * new one: the group hands its partitions out again from their committed offsets.
 */
final class TaskConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(TaskConsumer.class);
  private static final Duration BUSY_POLL = Duration.ofMillis(5);
  private static final Duration IDLE_POLL = Duration.ofMillis(100);
  private static final long CONTEXT_TIMEOUT_MS = 10_000;
  /** How long a round waits for Redis to count it: well within the 5 s its transaction may stay open. */
  private static final long COUNT_TIMEOUT_MS = 2_000;
  private static final long RESTART_DELAY_MS = 1_000;
  private static final long ASK_AGAIN_MS = 1_000;

  /**
   * Records of one partition back from the runner: with their outcomes (null for a record not
   * run), or not wanted, because their job was cancelled.
   */
  private record Returned(PartitionWork work, List<ConsumerRecord<String, String>> records, boolean wanted,
      List<Outcome> outcomes) {}

  private final Context context;
  private final String workerId;
  private final TaskRunner runner;
  private final LiveJobs liveJobs;
  private final OutcomeRecorder recorder;
  private final Supplier<KafkaConsumer<String, String>> newConsumer;
  private final Supplier<KafkaProducer<String, String>> newProducer;
  private final int maxInHand;
  private final long commitIntervalMs;
  private final long drainTimeoutMs;

  private final Map<TopicPartition, PartitionWork> works = new HashMap<>();
  private final BlockingQueue<Returned> returns = new LinkedBlockingQueue<>();
  private final AtomicBoolean lookForTopics = new AtomicBoolean();
  private final AtomicLong tasksDone = new AtomicLong();
  private final AtomicLong tasksFailed = new AtomicLong();
  private final Promise<Void> joined = Promise.promise();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean pausedByOperator;
  private volatile boolean stopping;
  private volatile int inHand;
  private KafkaConsumer<String, String> consumer;
  private KafkaProducer<String, String> producer;
  private boolean fetchPaused;
  private boolean hasJoined;
  private long lastRecordedAt;
  private CompletableFuture<?> announcing = CompletableFuture.completedFuture(null);

  TaskConsumer(Context context, String workerId, TaskRunner runner, LiveJobs liveJobs, OutcomeRecorder recorder,
      Supplier<KafkaConsumer<String, String>> newConsumer, Supplier<KafkaProducer<String, String>> newProducer,
      int maxInHand, long commitIntervalMs, long drainTimeoutMs) {
    this.context = context;
    this.workerId = workerId;
    this.runner = runner;
    this.liveJobs = liveJobs;
    this.recorder = recorder;
    this.newConsumer = newConsumer;
    this.newProducer = newProducer;
    this.maxInHand = maxInHand;
    this.commitIntervalMs = commitIntervalMs;
    this.drainTimeoutMs = drainTimeoutMs;
  }

  /** Starts the consumer's thread; resolves once it has joined the group's subscription. */
  Future<Void> start() {
    Thread thread = new Thread(this::run, "fanout-consumer-" + workerId);
    thread.start();
    return joined.future();
  }

  /** Finishes the tasks in hand, commits them and leaves the group; resolves when done. */
  Future<Void> stop() {
    stopping = true;
    return Future.fromCompletionStage(stopped, context);
  }

  /** Subscribing again makes the consumer fetch metadata at once and so find a new job's topic. */
  void lookForNewTopics() {
    lookForTopics.set(true);
  }

  void operatorPause(boolean paused) {
    pausedByOperator = paused;
  }

  long tasksDone() {
    return tasksDone.get();
  }

  long tasksFailed() {
    return tasksFailed.get();
  }

  /** Tasks fetched and not yet recorded. */
  int inHand() {
    return inHand;
  }

  private void run() {
    try {
      while (!stopping) {
        try {
          session();
        } catch (Exception | LinkageError unexpected) {
          closeWithoutCommitting();
          if (!hasJoined) {
            // Never got going (no broker?): the deployment fails, and this thread ends.
            stopping = true;
            context.runOnContext(v -> joined.tryFail(unexpected));
          } else {
            LOG.error("Worker {} restarts its consumer after: {}", workerId, unexpected.toString(), unexpected);
            sleepBeforeRestart();
          }
        }
      }
    } finally {
      stopped.complete(null);
    }
  }

  /** One consumer and producer, from joining the group to leaving it. */
  private void session() {
    producer = newProducer.get();
    producer.initTransactions();
    consumer = newConsumer.get();
    consumer.subscribe(Topics.TASKS_PATTERN, rebalanceListener());
    fetchPaused = false;
    hasJoined = true;
    context.runOnContext(v -> joined.tryComplete());
    while (!stopping) {
      if (lookForTopics.getAndSet(false)) {
        consumer.subscribe(Topics.TASKS_PATTERN, rebalanceListener());
      }
      applyBackpressure();
      ConsumerRecords<String, String> polled = consumer.poll(busy() ? BUSY_POLL : IDLE_POLL);
      hand(polled);
      takeReturns(0);
      if (System.currentTimeMillis() - lastRecordedAt >= commitIntervalMs) {
        recordAndCommit();
      }
    }
    awaitReturns(() -> works.values().stream().allMatch(work -> work.unfinished() == 0), drainTimeoutMs);
    leave(works.keySet(), true);
    awaitAnnounced();
    consumer.close();
    producer.close();
  }

  private ConsumerRebalanceListener rebalanceListener() {
    return new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
          LOG.info("Worker {} takes {}", workerId, partitions);
        }
        partitions.forEach(partition -> works.put(partition, new PartitionWork(partition)));
        if (fetchPaused) {
          consumer.pause(partitions);
        }
      }

      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        leave(partitions, true);
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> partitions) {
        leave(partitions, false);
      }
    };
  }

  /**
   * Gives partitions up: their tasks past the last one started are left to the next owner, and,
   * when they were revoked rather than lost, the others are finished and committed first.
   */
  private void leave(Collection<TopicPartition> partitions, boolean commitFirst) {
    List<PartitionWork> leaving = partitions.stream().map(works::get).filter(Objects::nonNull).toList();
    if (!leaving.isEmpty()) {
      LOG.info("Worker {} gives up {}{}", workerId, partitions, commitFirst ? "" : " (lost)");
    }
    leaving.forEach(PartitionWork::abandon);
    if (commitFirst && !leaving.isEmpty()) {
      awaitReturns(() -> leaving.stream().allMatch(PartitionWork::finishedUpToFence), drainTimeoutMs);
      recordAndCommit();
      // The next owner finds these tasks marked logged: a copy of one (a dispatcher that resumed
      // after a crash writes some twice) is not logged again there.
      awaitAnnounced();
    }
    List.copyOf(partitions).forEach(works::remove);
    leaving.forEach(PartitionWork::close);
  }

  private boolean busy() {
    for (PartitionWork work : works.values()) {
      if (work.unfinished() > 0 || work.heldOutcomes() > 0) {
        return true;
      }
    }
    return false;
  }

  /** Hands polled records to the runner, a batch per partition, each on the verticle's context. */
  private void hand(ConsumerRecords<String, String> polled) {
    for (TopicPartition partition : polled.partitions()) {
      PartitionWork work = works.get(partition);
      List<ConsumerRecord<String, String>> records = polled.records(partition);
      if (work == null || records.isEmpty()) {
        continue;
      }
      records.forEach(record -> work.started(record.offset()));
      String jobId = Topics.jobIdOfTasks(partition.topic());
      context.runOnContext(v -> runWhenKnown(jobId, records, work));
    }
  }

  /** On the context: runs the records once Redis says what their job is and that it wants them. */
  private void runWhenKnown(String jobId, List<ConsumerRecord<String, String>> records, PartitionWork work) {
    liveJobs.wanted(jobId).onComplete(wanted -> {
      if (wanted.succeeded() && wanted.result() != null) {
        runner.run(wanted.result(), records, work,
            (settled, outcomes) -> returns.add(new Returned(work, settled, true, outcomes)));
      } else if (wanted.succeeded()) {
        returns.add(new Returned(work, records, false, null));
      } else if (work.abandoned()) {
        returns.add(new Returned(work, records, true, Collections.nCopies(records.size(), null)));
      } else {
        LOG.debug("Worker {} waits to run tasks of job {}: {}", workerId, jobId, wanted.cause().toString());
        context.owner().setTimer(ASK_AGAIN_MS, tick -> runWhenKnown(jobId, records, work));
      }
    });
  }

  /** Takes back what the runner finished, waiting up to {@code waitMs} for the first of it. */
  private void takeReturns(long waitMs) {
    try {
      Returned returned = waitMs > 0 ? returns.poll(waitMs, TimeUnit.MILLISECONDS) : returns.poll();
      while (returned != null) {
        apply(returned);
        returned = returns.poll();
      }
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void apply(Returned returned) {
    PartitionWork work = returned.work();
    if (work != works.get(work.partition())) {
      return; // given up since: its next owner runs these tasks again
    }
    for (int i = 0; i < returned.records().size(); i++) {
      long offset = returned.records().get(i).offset();
      Outcome outcome = returned.wanted() ? returned.outcomes().get(i) : null;
      if (!returned.wanted() || outcome != null && !outcome.isTask()) {
        work.finished(offset, null); // the job was cancelled, or this is no task: nothing to record
      } else if (outcome != null) {
        work.finished(offset, outcome);
        (outcome.succeeded() ? tasksDone : tasksFailed).incrementAndGet();
      }
      // Otherwise the task was not run (its partition is being given up): it stays unfinished.
    }
  }

  private void awaitReturns(BooleanSupplier done, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) {
      takeReturns(Math.min(50, Math.max(1, deadline - System.currentTimeMillis())));
    }
  }

  /**
   * Counts the recordable outcomes in Redis and, in one transaction, logs them and commits the
   * offsets that move past them. The count must be in Redis before the transaction commits: an
   * outcome logged and committed but not counted would never run again to be counted. While
   * Redis counts, the log records already go into the transaction, on the guess that every outcome
   * is a first one; a round with repeats in it (a re-run) is aborted and sent again as counted.
   * If either step fails the outcomes wait for the next round: counting is idempotent, and what
   * was counted but not logged is logged then.
   */
  private void recordAndCommit() {
    lastRecordedAt = System.currentTimeMillis();
    Map<PartitionWork, List<Outcome>> taken = new HashMap<>();
    Map<String, List<Outcome>> byJob = new LinkedHashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (PartitionWork work : works.values()) {
      List<Outcome> recordable = work.takeRecordable();
      if (!recordable.isEmpty()) {
        taken.put(work, recordable);
        recordable.forEach(outcome -> byJob.computeIfAbsent(outcome.task().jobId(), id -> new ArrayList<>())
            .add(outcome));
      }
      long committable = work.committable();
      if (committable >= 0) {
        offsets.put(work.partition(), new OffsetAndMetadata(committable));
      }
    }
    updateInHand();
    if (offsets.isEmpty() && byJob.isEmpty()) {
      return;
    }
    List<Prepared> prepared = byJob.entrySet().stream()
        .map(job -> recorder.prepare(job.getKey(), job.getValue()))
        .toList();
    // The last round's tasks are marked logged before these are counted: a task written twice
    // (by a dispatcher that resumed after a crash) is then found logged when its copy comes.
    awaitAnnounced();
    CompletableFuture<List<Counted>> counting = onContext(() -> Future.all(prepared.stream()
        .map(recorder::count)
        .toList()).map(all -> all.<Counted>list()));
    List<Counted> counted;
    try {
      producer.beginTransaction();
      prepared.forEach(batch -> batch.allRecords().forEach(producer::send));
      counted = awaitCount(counting);
      if (counted == null || !counted.stream().allMatch(Counted::logsAll)) {
        producer.abortTransaction();
        if (counted == null) {
          taken.forEach(PartitionWork::putBack);
          return;
        }
        producer.beginTransaction();
        counted.forEach(batch -> batch.records().forEach(producer::send));
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
    offsets.forEach((partition, offset) -> works.get(partition).committed(offset.offset()));
    announce(counted);
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
    announcing = onContext(() -> Future.all(counted.stream().map(recorder::announce).toList()));
  }

  private void awaitAnnounced() {
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
    producer = newProducer.get();
    producer.initTransactions();
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

  /** Stops fetching while paused or with too many tasks in hand; polling goes on, so the group keeps us. */
  private void applyBackpressure() {
    updateInHand();
    boolean shouldPause = pausedByOperator || inHand >= maxInHand;
    boolean mayResume = !pausedByOperator && inHand <= maxInHand / 2;
    if (!fetchPaused && shouldPause) {
      fetchPaused = true;
      consumer.pause(consumer.assignment());
    } else if (fetchPaused && mayResume) {
      fetchPaused = false;
      consumer.resume(consumer.assignment());
    }
  }

  private void updateInHand() {
    int total = 0;
    for (PartitionWork work : works.values()) {
      total += work.unfinished() + work.heldOutcomes();
    }
    inHand = total;
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

  private void closeWithoutCommitting() {
    works.values().forEach(PartitionWork::close);
    works.clear();
    try {
      if (consumer != null) {
        consumer.close(Duration.ZERO);
      }
    } catch (RuntimeException ignored) {
      // Closing is best effort here: the group notices a silent member by its session timeout.
    }
    try {
      if (producer != null) {
        producer.close(Duration.ZERO);
      }
    } catch (RuntimeException ignored) {
      // As above: an open transaction is aborted by its timeout.
    }
  }

  private void sleepBeforeRestart() {
    try {
      Thread.sleep(RESTART_DELAY_MS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
  }
}
