package io.fanout.core;

import io.vertx.core.json.JsonObject;

/**
 * One unit of a job's work, as carried by a record of {@code job.<id>.tasks} (key: the index).
 * It carries what a worker needs to run it and to know whether it finishes a single-task job.
 *
 * @param item the dataset item this task processes, or null for iteration jobs
 */
public record Task(String jobId, long index, long total, String type, int maxAttempts, JsonObject payload, Object item) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("jobId", jobId)
        .put("index", index)
        .put("total", total)
        .put("type", type)
        .put("maxAttempts", maxAttempts)
        .put("payload", payload)
        .put("item", item);
  }

  public static Task fromJson(JsonObject json) {
    return new Task(
        json.getString("jobId"),
        json.getLong("index"),
        json.getLong("total"),
        json.getString("type"),
        json.getInteger("maxAttempts", 1),
        json.getJsonObject("payload", new JsonObject()),
        json.getValue("item"));
  }
}
