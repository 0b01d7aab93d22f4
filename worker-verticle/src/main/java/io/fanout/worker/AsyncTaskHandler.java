package io.fanout.worker;

import io.fanout.core.Task;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * A task type whose tasks wait on I/O rather than compute. {@link #start} is called on a pool
 * thread and returns at once; the thread goes on to the next task, and the task's outcome is
 * recorded when the future completes. Thousands of such tasks can be in flight on a small pool.
 * A future failed with {@link TaskFailure} says whether and when the task may be tried again.
 */
public interface AsyncTaskHandler extends TaskHandler {

  /**
   * Starts attempt number {@code attempt} (from 1) at the task; the future holds its result, or
   * fails the attempt.
   */
  Future<JsonObject> start(Task task, int attempt);

  @Override
  default JsonObject run(Task task) {
    throw new UnsupportedOperationException("an " + type() + " task is started, not run on a pool thread");
  }
}
