package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A worker's raw progress on {@link Addresses#PROGRESS_UPDATES}, one per counted batch; internal.
 * Progress verticles take it only as "this job moved": the counts they publish are read from
 * Redis, so updates out of order cannot show a step back.
 *
 * @param total the job's task count
 * @param lastIndex the last task index of the batch, -1 when none
 */
public record ProgressUpdate(String jobId, long done, long failed, long total, JobState status, long lastIndex) {
  public static final String JOB_ID = "jobId";
  public static final String DONE = "done";
  public static final String FAILED = "failed";
  public static final String TOTAL = "total";
  public static final String STATUS = "status";
  public static final String LAST_INDEX = "lastIndex";

  public ProgressUpdate {
    if (!JobId.isWellFormed(jobId)) {
      throw new IllegalArgumentException("a progress update needs a job id, not '" + jobId + "'");
    }
    Objects.requireNonNull(status, "status");
    if (done < 0 || failed < 0 || total < 0) {
      throw new IllegalArgumentException("counts cannot be negative: done " + done + ", failed " + failed
          + ", total " + total);
    }
    if (lastIndex < -1) {
      throw new IllegalArgumentException("lastIndex is a task index or -1, not " + lastIndex);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put(JOB_ID, jobId)
        .put(DONE, done)
        .put(FAILED, failed)
        .put(TOTAL, total)
        .put(STATUS, status.wireName())
        .put(LAST_INDEX, lastIndex);
  }

  /** @throws IllegalArgumentException for a message of another shape */
  public static ProgressUpdate fromJson(JsonObject json) {
    return new ProgressUpdate(Wire.string(json, JOB_ID), Wire.count(json, DONE), Wire.count(json, FAILED),
        Wire.count(json, TOTAL), Wire.state(json, STATUS), Wire.number(json, LAST_INDEX));
  }
}
