package io.fanout.worker.handlers;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;

/** {@code count}: no work but the iteration itself; its result is the iteration number. */
public final class CountHandler implements TaskHandler {
  @Override
  public String type() {
    return "count";
  }

  @Override
  public JsonObject run(Task task) {
    return new JsonObject().put("value", task.index());
  }
}
