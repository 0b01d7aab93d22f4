package io.fanout.worker;

import io.fanout.core.Task;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What running one task came to: its result, or the error of its last attempt.
 *
 * @param addsToSum what the task adds to its job's reduced value, for types that sum; else null
 * @param finishedAt when the last attempt ended (epoch ms): the log record's {@code at}
 * @param retryAfterMs for a failure, the least wait before another attempt, or {@link TaskFailure#NEVER}
 */
record Outcome(ConsumerRecord<String, String> record, Task task, JsonObject result, String error, int attempts,
    Double addsToSum, long finishedAt, long retryAfterMs) {

  Outcome(ConsumerRecord<String, String> record, Task task, JsonObject result, String error, int attempts,
      Double addsToSum, long finishedAt) {
    this(record, task, result, error, attempts, addsToSum, finishedAt, 0);
  }

  /** What a record that is no task (not written by a dispatcher) comes to: nothing to count or log. */
  static Outcome notATask(ConsumerRecord<String, String> record) {
    return new Outcome(record, null, null, "not a task", 1, null, System.currentTimeMillis());
  }

  /**
   * What a fetched task of a job cancelled since comes to, instead of running: nothing to count or
   * log, and its offset may be committed (the job wants none of its tasks any more).
   */
  static Outcome cancelled(ConsumerRecord<String, String> record) {
    return new Outcome(record, null, null, "job cancelled", 1, null, System.currentTimeMillis());
  }

  boolean isTask() {
    return task != null;
  }

  boolean succeeded() {
    return error == null;
  }

  /** Whether this failed attempt may be followed by another: the task's attempts are not used up, nor refused. */
  boolean mayRetry() {
    return isTask() && !succeeded() && retryAfterMs != TaskFailure.NEVER && attempts < task.maxAttempts();
  }

  /** What the failure list and the dead-letter topic keep of a task that failed for good. */
  JsonObject failureRecord(String workerId) {
    return new JsonObject()
        .put("jobId", task.jobId())
        .put("index", task.index())
        .put("error", error)
        .put("attempts", attempts)
        .put("worker", workerId)
        .put("at", finishedAt)
        .put("task", task.toJson());
  }
}
