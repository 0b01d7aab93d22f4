package io.fanout.worker.handlers;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;

/** {@code sha256}: the hex SHA-256 of the task's item, or of {@code payload.input} and the index. */
public final class Sha256Handler implements TaskHandler {
  @Override
  public String type() {
    return "sha256";
  }

  @Override
  public JsonObject run(Task task) {
    String text = task.item() != null
        ? task.item().toString()
        : task.payload().getString("input", "") + task.index();
    return new JsonObject().put("value", Sha256.hex(text));
  }
}
