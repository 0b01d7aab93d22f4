package io.fanout.worker;

import io.fanout.core.Task;
import io.vertx.core.json.JsonObject;

/**
 * A task type. Implementations are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/io.fanout.worker.TaskHandler} of any jar on the worker's classpath.
 * {@link #run} is called on a worker thread, never an event loop, so it may block or compute.
 */
public interface TaskHandler {

  /** The job type this handler runs, as given in {@code POST /jobs}. */
  String type();

  /** Runs one task and returns its result; throwing fails this attempt. */
  JsonObject run(Task task) throws Exception;

  /**
   * Whether a job of this type reduces its tasks' numeric {@code value} results by summing them
   * into the job's {@code result.value}. Each task counts once, like the job's counters.
   */
  default boolean sumsResults() {
    return false;
  }
}
