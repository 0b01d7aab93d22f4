package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A job as stored in its Redis hash and shown by the API. Counters are exact: {@code done} and
 * {@code failed} only move through the completion script, which counts each task once.
 */
public record Job(
    String id,
    String type,
    JobState status,
    JsonObject payload,
    long total,
    long done,
    long failed,
    int partitions,
    int priority,
    int maxAttempts,
    JsonObject result,
    String error,
    Instant createdAt,
    Instant startedAt,
    Instant updatedAt,
    Instant finishedAt) {

  /** A job that has just been accepted and not yet queued. */
  public static Job accepted(
      String type, JsonObject payload, long total, int partitions, int priority, int maxAttempts, Instant now) {
    return new Job(JobId.next(), type, JobState.QUEUED, payload, total, 0, 0, partitions, priority, maxAttempts,
        null, null, now, null, now, null);
  }

  /** The fields written when the job is first stored; counters and timestamps move later in scripts. */
  public Map<String, String> toHash() {
    Map<String, String> hash = new HashMap<>();
    hash.put("id", id);
    hash.put("type", type);
    hash.put("status", status.wireName());
    hash.put("payload", payload.encode());
    hash.put("total", Long.toString(total));
    hash.put("done", Long.toString(done));
    hash.put("failed", Long.toString(failed));
    hash.put("partitions", Integer.toString(partitions));
    hash.put("priority", Integer.toString(priority));
    hash.put("maxAttempts", Integer.toString(maxAttempts));
    hash.put("createdAt", Long.toString(createdAt.toEpochMilli()));
    hash.put("updatedAt", Long.toString(updatedAt.toEpochMilli()));
    return hash;
  }

  public static Job fromHash(Map<String, String> hash) {
    return new Job(
        hash.get("id"),
        hash.get("type"),
        JobState.fromWire(hash.get("status")),
        new JsonObject(hash.getOrDefault("payload", "{}")),
        Long.parseLong(hash.get("total")),
        Long.parseLong(hash.getOrDefault("done", "0")),
        Long.parseLong(hash.getOrDefault("failed", "0")),
        Integer.parseInt(hash.get("partitions")),
        Integer.parseInt(hash.getOrDefault("priority", "0")),
        Integer.parseInt(hash.getOrDefault("maxAttempts", "1")),
        hash.containsKey("result") ? new JsonObject(hash.get("result")) : null,
        hash.get("error"),
        instant(hash.get("createdAt")),
        instant(hash.get("startedAt")),
        instant(hash.get("updatedAt")),
        instant(hash.get("finishedAt")));
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
        .put("result", result);
    putIfPresent(json, "error", error);
    putIfPresent(json, "createdAt", createdAt);
    putIfPresent(json, "startedAt", startedAt);
    putIfPresent(json, "updatedAt", updatedAt);
    putIfPresent(json, "finishedAt", finishedAt);
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
