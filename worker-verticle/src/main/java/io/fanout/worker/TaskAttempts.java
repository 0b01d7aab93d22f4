package io.fanout.worker;

import io.fanout.core.Job;
import io.fanout.core.Task;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at one task, by its type's {@link TaskHandler}, timed and metered. An attempt
 * always ends in an {@link Outcome}: a handler's exception, a missing handler or a result the job
 * cannot sum fails the task, never the worker (only a fatal VM error escapes). Called from any
 * pool thread at once.
 */
final class TaskAttempts {
  private static final Logger LOG = LoggerFactory.getLogger(TaskAttempts.class);

  /** A task type's handler (null if this worker has none) and its meters: one lookup per task finds both. */
  private record HandledType(TaskHandler handler, TaskMeters.OfType meters) {}

  private final Map<String, HandledType> handledTypes = new ConcurrentHashMap<>();
  private final TaskHandlers handlers;
  private final TaskMeters meters;
  private final String workerId;

  TaskAttempts(TaskHandlers handlers, TaskMeters meters, String workerId) {
    this.handlers = handlers;
    this.meters = meters;
    this.workerId = workerId;
  }

  /** The record's task, or null if the record is not one (its key is not an index, its item not JSON). */
  static Task taskOf(Job job, ConsumerRecord<String, String> record) {
    try {
      return Task.of(job, Topics.taskIndexOf(record.key()), record.value());
    } catch (RuntimeException malformed) {
      return null;
    }
  }

  /**
   * What a summing task's result adds to its job's value. Anything but a finite number fails the
   * attempt here: the counting script could not add it, and the job would never finish.
   */
  static Double addsToSum(JsonObject result) {
    Double value = result == null ? null : result.getDouble("value");
    if (value != null && !Double.isFinite(value)) {
      throw new IllegalArgumentException("result value " + value + " is not a finite number");
    }
    return value;
  }

  /** Runs attempt number {@code attempt} of the record's task ({@code task} null if it is no task). */
  Outcome attempt(ConsumerRecord<String, String> record, Task task, int attempt) {
    if (task == null) {
      LOG.warn("Record at offset {} of {} is not a task; skipped", record.offset(), record.topic());
      return Outcome.notATask(record);
    }
    HandledType handled = handled(task);
    long startedAt = System.nanoTime();
    if (handled.handler() == null) {
      return failed(record, task, "no handler for task type '" + task.type() + "' on " + workerId, attempt,
          handled.meters(), startedAt);
    }
    try {
      JsonObject result = handled.handler().run(task);
      Double addsToSum = handled.handler().sumsResults() ? addsToSum(result) : null;
      handled.meters().succeeded(System.nanoTime() - startedAt);
      return new Outcome(record, task, result, null, attempt, addsToSum, System.currentTimeMillis());
    } catch (VirtualMachineError e) {
      if (!(e instanceof StackOverflowError)) {
        throw e;
      }
      return failed(record, task, "StackOverflowError", attempt, handled.meters(), startedAt);
    } catch (Throwable e) {
      // A handler's bug (an exception, a missing class, a failed assertion) fails its task, never the worker.
      return failed(record, task, e.getClass().getSimpleName() + ": " + e.getMessage(), attempt, handled.meters(),
          startedAt);
    }
  }

  private HandledType handled(Task task) {
    HandledType handled = handledTypes.get(task.type());
    return handled != null ? handled : handledTypes.computeIfAbsent(task.type(),
        type -> new HandledType(handlers.forType(type), meters.forType(type)));
  }

  /** Whether the task's type waits on I/O: it is {@link #start}ed, not run on a pool thread. */
  boolean startsAsync(Task task) {
    return task != null && handled(task).handler() instanceof AsyncTaskHandler;
  }

  /**
   * Starts attempt number {@code attempt} of a task whose type {@link #startsAsync}; the future
   * always succeeds, with the attempt's outcome.
   */
  Future<Outcome> start(ConsumerRecord<String, String> record, Task task, int attempt) {
    HandledType handled = handled(task);
    long startedAt = System.nanoTime();
    Future<JsonObject> started;
    try {
      started = ((AsyncTaskHandler) handled.handler()).start(task, attempt);
    } catch (RuntimeException e) {
      started = Future.failedFuture(e);
    }
    return started.transform(done -> {
      if (done.failed() && done.cause() instanceof TaskFailure failure && failure.isJobCancelled()) {
        return Future.succeededFuture(Outcome.cancelled(record));
      }
      if (done.succeeded()) {
        handled.meters().succeeded(System.nanoTime() - startedAt);
        return Future.succeededFuture(
            new Outcome(record, task, done.result(), null, attempt, null, System.currentTimeMillis()));
      }
      Throwable cause = done.cause();
      long retryAfterMs = cause instanceof TaskFailure failure ? failure.retryAfterMs() : 0;
      String error = cause instanceof TaskFailure ? cause.getMessage()
          : cause.getClass().getSimpleName() + ": " + cause.getMessage();
      Outcome failed = failed(record, task, error, attempt, handled.meters(), startedAt);
      return Future.succeededFuture(new Outcome(record, task, null, failed.error(), attempt, null, failed.finishedAt(),
          retryAfterMs));
    });
  }

  private static Outcome failed(ConsumerRecord<String, String> record, Task task, String error, int attempt,
      TaskMeters.OfType meters, long startedAt) {
    // The same rule as TaskRunner's retries: an attempt short of maxAttempts is tried again.
    meters.failed(System.nanoTime() - startedAt, attempt < task.maxAttempts());
    return new Outcome(record, task, null, error, attempt, null, System.currentTimeMillis());
  }
}
