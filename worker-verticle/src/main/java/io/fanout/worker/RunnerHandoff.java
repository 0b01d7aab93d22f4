package io.fanout.worker;

import io.fanout.core.Topics;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hand-off between the consumer's thread and the {@link TaskRunner}. Polled records go out a
 * batch per partition, each marked started in its {@link PartitionWork} before it leaves, and run
 * once Redis says what their job is and that it still wants them; what the runner settles comes
 * back through one queue, which only the consumer's thread drains, so {@link PartitionWork} and
 * {@link HeldPartitions} stay single-threaded. A record comes back exactly once: with its outcome,
 * as not wanted (its job was cancelled), or unrun (its partition is being given up: it stays
 * unfinished for the next owner). What comes back for a partition given up since is dropped.
 */
final class RunnerHandoff {
  private static final Logger LOG = LoggerFactory.getLogger(RunnerHandoff.class);
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
  private final HeldPartitions held;
  private final BlockingQueue<Returned> returns = new LinkedBlockingQueue<>();
  private final AtomicLong tasksDone = new AtomicLong();
  private final AtomicLong tasksFailed = new AtomicLong();

  RunnerHandoff(Context context, String workerId, TaskRunner runner, LiveJobs liveJobs, HeldPartitions held) {
    this.context = context;
    this.workerId = workerId;
    this.runner = runner;
    this.liveJobs = liveJobs;
    this.held = held;
  }

  long tasksDone() {
    return tasksDone.get();
  }

  long tasksFailed() {
    return tasksFailed.get();
  }

  /**
   * Hands polled records to the runner, a batch per partition and job, each on the verticle's
   * context. A big job's partition holds its tasks only; the express lane's hold many small jobs',
   * each run (or not) as its own job says.
   */
  void hand(ConsumerRecords<String, String> polled) {
    for (TopicPartition partition : polled.partitions()) {
      PartitionWork work = held.get(partition);
      List<ConsumerRecord<String, String>> records = polled.records(partition);
      if (work == null || records.isEmpty()) {
        continue;
      }
      records.forEach(record -> work.started(record.offset()));
      if (!Topics.isExpress(partition.topic())) {
        String jobId = Topics.jobIdOfTasks(partition.topic());
        context.runOnContext(v -> runWhenKnown(jobId, records, work));
        continue;
      }
      Map<String, List<ConsumerRecord<String, String>>> byJob = new LinkedHashMap<>();
      for (ConsumerRecord<String, String> record : records) {
        String jobId = Topics.jobIdOfTask(record.topic(), record.key());
        if (jobId == null) {
          // A malformed record names no job: none wants it, and it is skipped.
          jobId = "";
        }
        byJob.computeIfAbsent(jobId, id -> new ArrayList<>()).add(record);
      }
      context.runOnContext(v -> byJob.forEach((jobId, ofJob) -> runWhenKnown(jobId, ofJob, work)));
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
  void takeReturns(long waitMs) {
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

  /** Takes back what the runner finishes until {@code done} holds or {@code timeoutMs} has passed. */
  void awaitReturns(BooleanSupplier done, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (!done.getAsBoolean() && System.currentTimeMillis() < deadline) {
      takeReturns(Math.min(50, Math.max(1, deadline - System.currentTimeMillis())));
    }
  }

  private void apply(Returned returned) {
    PartitionWork work = returned.work();
    if (!held.holds(work)) {
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
}
