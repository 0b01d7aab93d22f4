package io.fanout.app.engine;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A task type for tests, added through the handler SPI as a user would: it takes
 * {@code payload.ms} ({@code payload.oddMs} instead for odd indexes from {@code payload.oddFrom}, when
 * given) and counts how many times each task of each job really ran in this JVM.
 */
public final class TallyHandler implements TaskHandler {
  private static final Map<String, Map<Long, AtomicInteger>> RUNS = new ConcurrentHashMap<>();

  /** How many times each task of the job ran, by index. */
  public static Map<Long, AtomicInteger> runsOf(String jobId) {
    return RUNS.getOrDefault(jobId, Map.of());
  }

  @Override
  public String type() {
    return "tally";
  }

  @Override
  public JsonObject run(Task task) throws InterruptedException {
    boolean odd = task.index() % 2 == 1 && task.index() >= task.payload().getLong("oddFrom", 0L);
    Thread.sleep(task.payload().getLong(odd ? "oddMs" : "ms", task.payload().getLong("ms", 0L)));
    RUNS.computeIfAbsent(task.jobId(), id -> new ConcurrentHashMap<>())
        .computeIfAbsent(task.index(), index -> new AtomicInteger())
        .incrementAndGet();
    return new JsonObject().put("value", task.index());
  }
}
