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
 * @param resultsTopic the user's Kafka topic that also gets each task's result, or null
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
    String resultsTopic) {

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

  /** A job that has just been accepted and not yet queued. */
  public static Job accepted(String id, Spec spec, Instant now, String submittedBy) {
    Instant runAt = spec.delayMs() > 0 ? now.plusMillis(spec.delayMs()) : null;
    return new Job(id, spec.type(), JobState.QUEUED, spec.payload(), spec.total(), 0, 0, spec.itemized(),
        spec.partitions(), spec.priority(), spec.maxAttempts(), null, null, now, runAt, null, now, null, submittedBy,
        spec.resultsTopic());
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
    hash.put("itemized", itemized ? "1" : "0");
    hash.put("partitions", Integer.toString(partitions));
    hash.put("priority", Integer.toString(priority));
    hash.put("maxAttempts", Integer.toString(maxAttempts));
    hash.put("createdAt", Long.toString(createdAt.toEpochMilli()));
    hash.put("updatedAt", Long.toString(updatedAt.toEpochMilli()));
    if (runAt != null) {
      hash.put("runAt", Long.toString(runAt.toEpochMilli()));
    }
    if (submittedBy != null) {
      hash.put("submittedBy", submittedBy);
    }
    if (resultsTopic != null) {
      hash.put("resultsTopic", resultsTopic);
    }
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
        "1".equals(hash.get("itemized")),
        Integer.parseInt(hash.get("partitions")),
        Integer.parseInt(hash.getOrDefault("priority", "0")),
        Integer.parseInt(hash.getOrDefault("maxAttempts", "1")),
        hash.containsKey("result") ? new JsonObject(hash.get("result")) : null,
        hash.get("error"),
        instant(hash.get("createdAt")),
        instant(hash.get("runAt")),
        instant(hash.get("startedAt")),
        instant(hash.get("updatedAt")),
        instant(hash.get("finishedAt")),
        hash.get("submittedBy"),
        hash.get("resultsTopic"));
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
    putIfPresent(json, "runAt", runAt);
    putIfPresent(json, "startedAt", startedAt);
    putIfPresent(json, "updatedAt", updatedAt);
    putIfPresent(json, "finishedAt", finishedAt);
    putIfPresent(json, "submittedBy", submittedBy);
    putIfPresent(json, "resultsTopic", resultsTopic);
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
