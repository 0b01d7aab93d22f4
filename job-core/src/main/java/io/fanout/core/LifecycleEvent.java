package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A job's end: published on {@link Addresses#EVENTS} (outbound to browsers), appended to the
 * job's log topic under the key {@link #LOG_KEY}, and kept as the job's last log record.
 *
 * @param event the state the job ended in: completed, failed or cancelled
 * @param at when, epoch ms
 */
public record LifecycleEvent(String jobId, JobState event, long done, long failed, long at) {
  /** The key of a lifecycle record in a job's log topic; task records are keyed by their index. */
  public static final String LOG_KEY = "lifecycle";

  public static final String JOB_ID = "jobId";
  public static final String EVENT = "event";
  public static final String DONE = "done";
  public static final String FAILED = "failed";
  public static final String AT = "at";

  public LifecycleEvent {
    if (!JobId.isWellFormed(jobId)) {
      throw new IllegalArgumentException("a lifecycle event needs a job id, not '" + jobId + "'");
    }
    Objects.requireNonNull(event, "event");
    if (!event.isFinal()) {
      throw new IllegalArgumentException("a lifecycle event tells a job's end, not " + event.wireName());
    }
    if (done < 0 || failed < 0) {
      throw new IllegalArgumentException("counts cannot be negative: done " + done + ", failed " + failed);
    }
  }

  /** The job ended just now in {@code event}, with these counts. */
  public static LifecycleEvent now(String jobId, JobState event, long done, long failed) {
    return new LifecycleEvent(jobId, event, done, failed, System.currentTimeMillis());
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put(JOB_ID, jobId)
        .put(EVENT, event.wireName())
        .put(DONE, done)
        .put(FAILED, failed)
        .put(AT, at);
  }

  /** @throws IllegalArgumentException for a message that is not a job's end */
  public static LifecycleEvent fromJson(JsonObject json) {
    return new LifecycleEvent(Wire.string(json, JOB_ID), Wire.state(json, EVENT), Wire.count(json, DONE),
        Wire.count(json, FAILED), Wire.number(json, AT));
  }
}
