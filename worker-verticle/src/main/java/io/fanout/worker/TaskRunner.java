package io.fanout.worker;

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

/**
 * Runs tasks on the worker pool, a slice per thread, and retries a failed task after an
 * exponential backoff with jitter until it succeeds or has used its job's {@code maxAttempts}.
 * Waiting happens on a timer, not on a pool thread, so retries never hold up other tasks.
 */
final class TaskRunner {
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
   * soon as it ends, and a task waiting for a retry later on its own, so a partition being given
   * up ({@link PartitionWork#abandon()}) waits only for the tasks running at that moment: the
   * others are not started.
   */
  void run(List<ConsumerRecord<String, String>> records, PartitionWork work, Settled settled) {
    int slices = Math.min(records.size(), poolSize);
    int sliceSize = (records.size() + slices - 1) / slices;
    for (int from = 0; from < records.size(); from += sliceSize) {
      List<ConsumerRecord<String, String>> slice = records.subList(from, Math.min(records.size(), from + sliceSize));
      pool.<List<Outcome>>executeBlocking(() -> {
        work.sliceStarted();
        try {
          List<ConsumerRecord<String, String>> reported = new ArrayList<>(slice.size());
          List<Outcome> outcomes = new ArrayList<>(slice.size());
          List<Outcome> toRetry = new ArrayList<>();
          for (ConsumerRecord<String, String> record : slice) {
            Outcome outcome = work.abandoned() ? null : attempt(record, taskOf(record), 1);
            if (mayRetry(outcome)) {
              toRetry.add(outcome);
            } else {
              reported.add(record);
              outcomes.add(outcome);
            }
          }
          settled.settled(reported, outcomes);
          return toRetry;
        } finally {
          work.sliceEnded();
        }
      }, false)
          .onSuccess(toRetry -> toRetry.forEach(failed -> retryLater(failed, work, settled)))
          .onFailure(notRun -> settled.settled(slice, Collections.nCopies(slice.size(), null)));
    }
  }

  private void retryLater(Outcome failed, PartitionWork work, Settled settled) {
    vertx.timer(backoffMs(failed.attempts()), TimeUnit.MILLISECONDS)
        .compose(waited -> pool.<Outcome>executeBlocking(() -> {
          work.sliceStarted();
          try {
            Outcome next = work.abandoned() ? null : attempt(failed.record(), failed.task(), failed.attempts() + 1);
            if (mayRetry(next)) {
              return next;
            }
            settled.settled(List.of(failed.record()), Collections.singletonList(next));
            return null;
          } finally {
            work.sliceEnded();
          }
        }, false))
        .onSuccess(next -> {
          if (next != null) {
            retryLater(next, work, settled);
          }
        })
        .onFailure(notRun -> settled.settled(List.of(failed.record()), Collections.singletonList(null)));
  }

  private static boolean mayRetry(Outcome outcome) {
    return outcome != null && !outcome.succeeded() && outcome.attempts() < outcome.task().maxAttempts();
  }

  /** Exponential in the attempts made so far, capped, with "equal jitter" so retries spread out. */
  long backoffMs(int attemptsMade) {
    long exponential = Math.min(retryMaxMs, retryBaseMs << Math.min(20, attemptsMade - 1));
    return exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
  }

  private Outcome attempt(ConsumerRecord<String, String> record, Task task, int attempt) {
    if (task == null) {
      return failed(record, new Task("", record.offset(), 0, "", 1, new JsonObject(), null),
          "record at offset " + record.offset() + " is not a task", attempt);
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

  private static Task taskOf(ConsumerRecord<String, String> record) {
    try {
      return Task.fromJson(new JsonObject(record.value()));
    } catch (RuntimeException malformed) {
      return null;
    }
  }
}
