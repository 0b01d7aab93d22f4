package io.fanout.worker.handlers;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;

/** {@code compute}: the hex SHA-256 of {@code payload.input}; the simple one-task job. */
public final class ComputeHandler implements TaskHandler {
  @Override
  public String type() {
    return "compute";
  }

  @Override
  public JsonObject run(Task task) {
    String input = task.payload().getString("input");
    if (input == null) {
      throw new IllegalArgumentException("payload.input is required");
    }
    return new JsonObject().put("value", Sha256.hex(input));
  }
}
