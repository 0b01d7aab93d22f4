package io.fanout.worker.handlers;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;

/**
 * {@code sleep}: waits {@code payload.ms} milliseconds, like a task that calls a slow service.
 * It shows how Fanout scales I/O-bound work with pool threads and instances.
 */
public final class SleepHandler implements TaskHandler {
  static final long MAX_MS = 60_000;

  @Override
  public String type() {
    return "sleep";
  }

  @Override
  public JsonObject run(Task task) throws InterruptedException {
    long ms = Math.min(MAX_MS, Math.max(0, task.payload().getLong("ms", 10L)));
    Thread.sleep(ms);
    return new JsonObject().put("value", ms);
  }
}
