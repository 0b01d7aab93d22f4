package io.fanout.worker;

import io.fanout.core.Job;
import io.fanout.core.Task;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks on the worker pool, a slice per thread, and retries a failed task after an
 * exponential backoff with jitter until it succeeds or has used its job's {@code maxAttempts}.
 * Waiting happens on a timer, not on a pool thread, so retries never hold up other tasks.
 */
final class TaskRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TaskRunner.class);
  private final Vertx vertx;
  private final WorkerExecutor pool;
  private final int poolSize;
  private final TaskHandlers handlers;
  private final String workerId;
  private final long retryBaseMs;
  private final long retryMaxMs;

  TaskRunner(Vertx vertx, WorkerExecutor pool, int poolSize, TaskHandlers handlers, String workerId,
      long retryBaseMs, long retryMaxMs) {
    this.vertx = vertx;
    this.pool = pool;
    this.poolSize = poolSize;
    this.handlers = handlers;
    this.workerId = workerId;
    this.retryBaseMs = retryBaseMs;
    this.retryMaxMs = retryMaxMs;
  }

  /** Told, once per record, what came of it: its outcome, or null when it was given up unrun. */
  interface Settled {
    void settled(List<ConsumerRecord<String, String>> records, List<Outcome> outcomes);
  }

  /**
   * Runs records of one partition, in slices on the pool's threads. Each slice is reported as
   * soon as it ends, and a task waiting for a retry later on its own. Once the partition is
   * given up ({@link PartitionWork#abandon()}), records past the last one started are not run.
   */
  void run(Job job, List<ConsumerRecord<String, String>> records, PartitionWork work, Settled settled) {
    int slices = Math.min(records.size(), poolSize);
    for (int first = 0; first < slices; first++) {
      // Slices take every slices-th record, not a run of them: the threads then move through the
      // partition's offsets side by side, and its committable prefix (hence counts and progress)
      // follows just behind them instead of waiting for the slowest run of records.
      List<ConsumerRecord<String, String>> slice = new ArrayList<>(records.size() / slices + 1);
      for (int i = first; i < records.size(); i += slices) {
        slice.add(records.get(i));
      }
      pool.<List<Outcome>>executeBlocking(() -> {
        List<ConsumerRecord<String, String>> reported = new ArrayList<>(slice.size());
        List<Outcome> outcomes = new ArrayList<>(slice.size());
        List<Outcome> toRetry = new ArrayList<>();
        for (ConsumerRecord<String, String> record : slice) {
          Outcome outcome = work.mayStart(record.offset()) ? attempt(record, taskOf(job, record), 1) : null;
          if (mayRetry(outcome)) {
            toRetry.add(outcome);
          } else {
            reported.add(record);
            outcomes.add(outcome);
          }
        }
        settled.settled(reported, outcomes);
        return toRetry;
      }, false)
          .onSuccess(toRetry -> toRetry.forEach(failed -> retryLater(failed, work, settled)))
          .onFailure(notRun -> settled.settled(slice, Collections.nCopies(slice.size(), null)));
    }
  }

  private void retryLater(Outcome failed, PartitionWork work, Settled settled) {
    vertx.timer(backoffMs(failed.attempts()), TimeUnit.MILLISECONDS)
        .compose(waited -> pool.<Outcome>executeBlocking(() -> {
          Outcome next = work.mayStart(failed.record().offset())
              ? attempt(failed.record(), failed.task(), failed.attempts() + 1)
              : null;
          if (mayRetry(next)) {
            return next;
          }
          settled.settled(List.of(failed.record()), Collections.singletonList(next));
          return null;
        }, false))
        .onSuccess(next -> {
          if (next != null) {
            retryLater(next, work, settled);
          }
        })
        .onFailure(notRun -> settled.settled(List.of(failed.record()), Collections.singletonList(null)));
  }

  private static boolean mayRetry(Outcome outcome) {
    return outcome != null && outcome.isTask() && !outcome.succeeded() && outcome.attempts() < outcome.task().maxAttempts();
  }

  /** Exponential in the attempts made so far, capped, with "equal jitter" so retries spread out. */
  long backoffMs(int attemptsMade) {
    long exponential = Math.min(retryMaxMs, retryBaseMs << Math.min(20, attemptsMade - 1));
    return exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
  }

  private Outcome attempt(ConsumerRecord<String, String> record, Task task, int attempt) {
    if (task == null) {
      LOG.warn("Record at offset {} of {} is not a task; skipped", record.offset(), record.topic());
      return Outcome.notATask(record);
    }
    TaskHandler handler = handlers.forType(task.type());
    if (handler == null) {
      return failed(record, task, "no handler for task type '" + task.type() + "' on " + workerId, attempt);
    }
    try {
      JsonObject result = handler.run(task);
      Double addsToSum = handler.sumsResults() && result != null ? result.getDouble("value") : null;
      return new Outcome(record, task, result, null, attempt, addsToSum, System.currentTimeMillis());
    } catch (Exception | StackOverflowError e) {
      // A handler's bug fails its task, never the worker.
      return failed(record, task, e.getClass().getSimpleName() + ": " + e.getMessage(), attempt);
    }
  }

  private static Outcome failed(ConsumerRecord<String, String> record, Task task, String error, int attempt) {
    return new Outcome(record, task, null, error, attempt, null, System.currentTimeMillis());
  }

  /** The record's task, or null if the record is not one (its key is not an index, its item not JSON). */
  private static Task taskOf(Job job, ConsumerRecord<String, String> record) {
    try {
      return Task.of(job, Long.parseLong(record.key()), record.value());
    } catch (RuntimeException malformed) {
      return null;
    }
  }

}
