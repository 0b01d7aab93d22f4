package io.fanout.worker.handlers;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code fail}: fails with probability {@code payload.p} (0 to 1) at each attempt, to exercise
 * retries and the dead-letter topic. {@code p} of 1 always fails.
 */
public final class FailHandler implements TaskHandler {
  @Override
  public String type() {
    return "fail";
  }

  @Override
  public JsonObject run(Task task) {
    double p = task.payload().getDouble("p", 0.5);
    if (ThreadLocalRandom.current().nextDouble() < p) {
      throw new IllegalStateException("task " + task.index() + " failed on purpose (p=" + p + ")");
    }
    return new JsonObject().put("value", task.index());
  }
}
