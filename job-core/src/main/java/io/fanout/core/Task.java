package io.fanout.core;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * One unit of a job's work. A record of {@code job.<id>.tasks} carries only what differs between
 * a job's tasks: its key is the task's index, its value the dataset item as JSON (none for an
 * iteration job). A worker reads the rest (type, payload, total, attempts) once per job from the
 * job itself, so millions of records do not repeat it and no task is parsed twice.
 *
 * @param item the dataset item this task processes, or null for iteration jobs
 * @param resultsTopic the job's topic for results ({@link Job#resultsTopic()}), or null
 * @param logTopic where its outcome is logged: its job's log, or the express log a small job's share
 */
public record Task(String jobId, long index, long total, String type, int maxAttempts, JsonObject payload, Object item,
    String resultsTopic, String logTopic) {

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

  /** The task with this index of the job, with its item given as JSON (null for an iteration job). */
  public static Task of(Job job, long index, String itemJson) {
    return new Task(job.id(), index, job.total(), job.type(), job.maxAttempts(), job.payload(),
        itemJson == null ? null : Json.decodeValue(itemJson), job.resultsTopic(), Topics.logOf(job));
  }
}
