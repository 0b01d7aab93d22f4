package io.fanout.worker;

import io.fanout.core.Task;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

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

  /** The outcome of each record's task, in record order. */
  Future<List<Outcome>> run(List<KafkaConsumerRecord<String, String>> records) {
    int slices = Math.min(records.size(), poolSize);
    int sliceSize = (records.size() + slices - 1) / slices;
    List<Future<List<Outcome>>> running = new ArrayList<>(slices);
    for (int from = 0; from < records.size(); from += sliceSize) {
      List<KafkaConsumerRecord<String, String>> slice =
          records.subList(from, Math.min(records.size(), from + sliceSize));
      running.add(pool.executeBlocking(() -> slice.stream().map(record -> attempt(record, taskOf(record), 1)).toList(),
          false));
    }
    return Future.all(running).compose(all -> {
      List<Future<Outcome>> settled = new ArrayList<>(records.size());
      for (int i = 0; i < all.size(); i++) {
        List<Outcome> slice = all.resultAt(i);
        slice.forEach(outcome -> settled.add(retryIfAllowed(outcome)));
      }
      return Future.all(settled).map(done -> {
        List<Outcome> outcomes = new ArrayList<>(settled.size());
        settled.forEach(outcome -> outcomes.add(outcome.result()));
        return outcomes;
      });
    });
  }

  private Future<Outcome> retryIfAllowed(Outcome outcome) {
    if (outcome.succeeded() || outcome.attempts() >= outcome.task().maxAttempts()) {
      return Future.succeededFuture(outcome);
    }
    return vertx.timer(backoffMs(outcome.attempts()), TimeUnit.MILLISECONDS)
        .compose(waited -> pool.executeBlocking(() -> attempt(outcome.record(), outcome.task(), outcome.attempts() + 1),
            false))
        .compose(this::retryIfAllowed);
  }

  /** Exponential in the attempts made so far, capped, with "equal jitter" so retries spread out. */
  long backoffMs(int attemptsMade) {
    long exponential = Math.min(retryMaxMs, retryBaseMs << Math.min(20, attemptsMade - 1));
    return exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
  }

  private Outcome attempt(KafkaConsumerRecord<String, String> record, Task task, int attempt) {
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

  private static Outcome failed(KafkaConsumerRecord<String, String> record, Task task, String error, int attempt) {
    return new Outcome(record, task, null, error, attempt, null, System.currentTimeMillis());
  }

  private static Task taskOf(KafkaConsumerRecord<String, String> record) {
    try {
      return Task.fromJson(new JsonObject(record.value()));
    } catch (RuntimeException malformed) {
      return null;
    }
  }
}
