package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A job as a schedule submits it at each firing: what {@code POST /jobs} takes, without a dataset
 * (a schedule's definition lives in Redis, which never holds datasets) and without an idempotency
 * key (each firing has its own).
 *
 * @param callbackUrl where each of its jobs' webhook goes, or null
 * @param resultsRetentionMs how long each of its jobs' results (its log, with its other topics) stay
 *     after it ends, when longer than {@code TOPIC_RETENTION_MS}; null for that default
 */
public record JobTemplate(Job.Spec spec, String callbackUrl, Long resultsRetentionMs) {
  /** The job hash field that holds a job's webhook target; see {@link CallbackOutbox}. */
  public static final String CALLBACK_URL = JobFields.CALLBACK_URL;

  /** The fields a job with this template stores beside its own: its webhook target and results' retention, if any. */
  public Map<String, String> options() {
    Map<String, String> options = new HashMap<>();
    if (callbackUrl != null) {
      options.put(CALLBACK_URL, callbackUrl);
    }
    if (resultsRetentionMs != null) {
      options.put(JobFields.RESULTS_RETENTION_MS, Long.toString(resultsRetentionMs));
    }
    return Map.copyOf(options);
  }

  /**
   * The job this template submits now. A job that keeps its results longer than the rest goes the
   * standard way, however small: the express log it would share is kept for everyone alike.
   */
  public Job jobAt(String jobId, Instant now, String submittedBy, long smallJobTasks) {
    return Job.accepted(jobId, spec, now, submittedBy, resultsRetentionMs == null ? smallJobTasks : 0);
  }

  /** The template in the shape {@code POST /jobs} takes, as the API shows it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", spec.type())
        .put("payload", spec.payload())
        .put("count", spec.total())
        .put("partitions", spec.partitions())
        .put("priority", spec.priority())
        .put("maxAttempts", spec.maxAttempts())
        .put("delayMs", spec.delayMs());
    if (callbackUrl != null) {
      json.put(CALLBACK_URL, callbackUrl);
    }
    if (spec.resultsTopic() != null) {
      json.put(JobFields.RESULTS_TOPIC, spec.resultsTopic());
    }
    if (resultsRetentionMs != null) {
      json.put(JobFields.RESULTS_RETENTION_MS, resultsRetentionMs);
    }
    return json;
  }

  /** Reads what {@link #toJson} wrote; the API validated it when the schedule was made. */
  public static JobTemplate fromJson(JsonObject json) {
    Job.Spec spec = new Job.Spec(json.getString("type"), json.getJsonObject("payload", new JsonObject()),
        json.getLong("count"), false, json.getInteger("partitions"), json.getInteger("priority"),
        json.getInteger("maxAttempts"), json.getLong("delayMs", 0L), json.getString(JobFields.RESULTS_TOPIC));
    return new JobTemplate(spec, json.getString(CALLBACK_URL), json.getLong(JobFields.RESULTS_RETENTION_MS));
  }
}
