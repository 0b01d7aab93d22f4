package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A job as stored in its Redis hash and shown by the API. Counters are exact: {@code done} and
 * {@code failed} only move through the completion script, which counts each task once.
 *
 * @param itemized whether the tasks come from a dataset ({@code items}) rather than a count
 * @param runAt when a delayed job may start, or null for a job that may start at once
 * @param submittedBy the name of the token that submitted it, or null when authentication was off
 * @param generation how many times its failed tasks were run again: orders its progress across runs
 * @param resultsTopic the user's Kafka topic that also gets each task's result, or null
 * @param express whether it is a small job, whose tasks go through the shared express topic
 *     ({@link Topics#EXPRESS_TASKS}) rather than a task topic of its own, and which is admitted
 *     under {@code MAX_ACTIVE_SMALL_JOBS} rather than {@code MAX_ACTIVE_JOBS}
 * @param topicsDeletedAt when its topics and bitmaps were deleted after it ended, or null
 * @param logFrom for a small job, the express log's offset from which its records can be there (0 before it ran)
 */
public record Job(
    String id,
    String type,
    JobState status,
    JsonObject payload,
    long total,
    long done,
    long failed,
    boolean itemized,
    int partitions,
    int priority,
    int maxAttempts,
    JsonObject result,
    String error,
    Instant createdAt,
    Instant runAt,
    Instant startedAt,
    Instant updatedAt,
    Instant finishedAt,
    String submittedBy,
    long generation,
    String resultsTopic,
    boolean express,
    Instant topicsDeletedAt,
    long logFrom) {

  /** The value of {@link JobFields#LANE} for a small job. */
  public static final String EXPRESS = "express";

  /** What a client asks for; the queue turns it into a stored job. */
  public record Spec(
      String type, JsonObject payload, long total, boolean itemized, int partitions, int priority, int maxAttempts,
      long delayMs, String resultsTopic) {

    /**
     * A job gets no more partitions than tasks: an empty partition still costs the broker and a
     * place in every rebalance, which is most of what a one-task job costs.
     */
    public Spec {
      if (total > 0 && partitions > total) {
        partitions = (int) total;
      }
    }

    /** The same job with its total known, as when a streamed upload ends. */
    public Spec withTotal(long newTotal) {
      return new Spec(type, payload, newTotal, itemized, partitions, priority, maxAttempts, delayMs, resultsTopic);
    }
  }

  /**
   * A job that has just been accepted and not yet queued; one of at most {@code smallJobTasks}
   * tasks goes the express way. The lane is fixed here, with the total, for the job's whole life.
   */
  public static Job accepted(String id, Spec spec, Instant now, String submittedBy, long smallJobTasks) {
    Instant runAt = spec.delayMs() > 0 ? now.plusMillis(spec.delayMs()) : null;
    return new Job(id, spec.type(), JobState.QUEUED, spec.payload(), spec.total(), 0, 0, spec.itemized(),
        spec.partitions(), spec.priority(), spec.maxAttempts(), null, null, now, runAt, null, now, null, submittedBy, 0,
        spec.resultsTopic(), spec.total() <= smallJobTasks, null, 0);
  }

  /** The fields written when the job is first stored; counters and timestamps move later in scripts. */
  public Map<String, String> toHash() {
    Map<String, String> hash = new HashMap<>();
    hash.put(JobFields.ID, id);
    hash.put(JobFields.TYPE, type);
    hash.put(JobFields.STATUS, status.wireName());
    hash.put(JobFields.PAYLOAD, payload.encode());
    hash.put(JobFields.TOTAL, Long.toString(total));
    hash.put(JobFields.DONE, Long.toString(done));
    hash.put(JobFields.FAILED, Long.toString(failed));
    hash.put(JobFields.ITEMIZED, itemized ? "1" : "0");
    hash.put(JobFields.PARTITIONS, Integer.toString(partitions));
    hash.put(JobFields.PRIORITY, Integer.toString(priority));
    hash.put(JobFields.MAX_ATTEMPTS, Integer.toString(maxAttempts));
    hash.put(JobFields.CREATED_AT, Long.toString(createdAt.toEpochMilli()));
    hash.put(JobFields.UPDATED_AT, Long.toString(updatedAt.toEpochMilli()));
    if (runAt != null) {
      hash.put(JobFields.RUN_AT, Long.toString(runAt.toEpochMilli()));
    }
    if (submittedBy != null) {
      hash.put(JobFields.SUBMITTED_BY, submittedBy);
    }
    if (resultsTopic != null) {
      hash.put(JobFields.RESULTS_TOPIC, resultsTopic);
    }
    if (express) {
      hash.put(JobFields.LANE, EXPRESS);
    }
    return hash;
  }

  public static Job fromHash(Map<String, String> hash) {
    return new Job(
        hash.get(JobFields.ID),
        hash.get(JobFields.TYPE),
        JobState.fromWire(hash.get(JobFields.STATUS)),
        new JsonObject(hash.getOrDefault(JobFields.PAYLOAD, "{}")),
        Long.parseLong(hash.get(JobFields.TOTAL)),
        Long.parseLong(hash.getOrDefault(JobFields.DONE, "0")),
        Long.parseLong(hash.getOrDefault(JobFields.FAILED, "0")),
        "1".equals(hash.get(JobFields.ITEMIZED)),
        Integer.parseInt(hash.get(JobFields.PARTITIONS)),
        Integer.parseInt(hash.getOrDefault(JobFields.PRIORITY, "0")),
        Integer.parseInt(hash.getOrDefault(JobFields.MAX_ATTEMPTS, "1")),
        hash.containsKey(JobFields.RESULT) ? new JsonObject(hash.get(JobFields.RESULT)) : null,
        hash.get(JobFields.ERROR),
        instant(hash.get(JobFields.CREATED_AT)),
        instant(hash.get(JobFields.RUN_AT)),
        instant(hash.get(JobFields.STARTED_AT)),
        instant(hash.get(JobFields.UPDATED_AT)),
        instant(hash.get(JobFields.FINISHED_AT)),
        hash.get(JobFields.SUBMITTED_BY),
        Long.parseLong(hash.getOrDefault(JobFields.GENERATION, "0")),
        hash.get(JobFields.RESULTS_TOPIC),
        EXPRESS.equals(hash.get(JobFields.LANE)),
        instant(hash.get(JobFields.TOPICS_DELETED)),
        Long.parseLong(hash.getOrDefault(JobFields.LOG_FROM, "0")));
  }

  /** The API's view: timestamps in ISO-8601, absent fields left out. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("type", type)
        .put("status", status.wireName())
        .put("payload", payload)
        .put("total", total)
        .put("done", done)
        .put("failed", failed)
        .put("partitions", partitions)
        .put("priority", priority)
        .put("maxAttempts", maxAttempts)
        .put("lane", express ? EXPRESS : "standard")
        .put("result", result)
        // The order of the job's progress snapshots, so that a page can tell which of this and a
        // live snapshot is newer without a copy of the formula.
        .put("progressSeq", ProgressSnapshot.seqOf(generation, done, failed, status.isFinal()));
    putIfPresent(json, "error", error);
    putIfPresent(json, "createdAt", createdAt);
    putIfPresent(json, "runAt", runAt);
    putIfPresent(json, "startedAt", startedAt);
    putIfPresent(json, "updatedAt", updatedAt);
    putIfPresent(json, "finishedAt", finishedAt);
    putIfPresent(json, "submittedBy", submittedBy);
    putIfPresent(json, JobFields.RESULTS_TOPIC, resultsTopic);
    return json;
  }

  private static void putIfPresent(JsonObject json, String field, Object value) {
    if (value != null) {
      json.put(field, value.toString());
    }
  }

  private static Instant instant(String epochMillis) {
    return epochMillis == null ? null : Instant.ofEpochMilli(Long.parseLong(epochMillis));
  }
}
