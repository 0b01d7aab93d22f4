package io.fanout.core;

import io.vertx.core.json.JsonObject;

/**
 * What a browser sees of one job's progress, published on {@code jobs.progress.<id>}. The
 * sequence number orders snapshots: it grows with the counts (which never decrease) and with
 * finality, so a later snapshot never shows less done than an earlier one.
 *
 * @param rate tasks per second, a moving average
 * @param etaMs milliseconds until the job should finish at that rate; null when unknown
 * @param lastIndex the last task index reported finished, -1 when none yet
 * @param at when the snapshot was taken, epoch ms
 * @param lastLog the job's last log record, possibly trimmed; null when none
 */
public record ProgressSnapshot(
    String jobId,
    long seq,
    long done,
    long failed,
    long total,
    String status,
    double rate,
    Long etaMs,
    long lastIndex,
    long at,
    JsonObject lastLog) {

  /** Sequence numbers of a job that is run again start above those of its previous run. */
  private static final long GENERATION_STRIDE = 1L << 32;

  /**
   * The same formula as {@code claim-snapshot.lua}: both sides must agree on the order. The page
   * gets it computed ({@code progressSeq} in a job's JSON) so that it has no copy of its own.
   */
  public static long seqOf(long generation, long done, long failed, boolean isFinal) {
    return generation * GENERATION_STRIDE + (done + failed) * 2 + (isFinal ? 1 : 0);
  }

  public static boolean isFinal(String status) {
    return JobState.COMPLETED.wireName().equals(status) || JobState.FAILED.wireName().equals(status)
        || JobState.CANCELLED.wireName().equals(status);
  }

  /** How long the rest should take at {@code rate}: zero once final, null while nothing moves. */
  public static Long etaMs(String status, long done, long failed, long total, double rate) {
    if (isFinal(status)) {
      return 0L;
    }
    long remaining = Math.max(0, total - done - failed);
    return rate > 0 ? Math.round(remaining / rate * 1000) : null;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("jobId", jobId)
        .put("seq", seq)
        .put("done", done)
        .put("failed", failed)
        .put("total", total)
        .put("status", status)
        .put("rate", Math.round(rate * 10) / 10.0)
        .put("etaMs", etaMs)
        .put("lastIndex", lastIndex)
        .put("at", at);
    if (lastLog != null) {
      json.put("lastLog", lastLog);
    }
    return json;
  }

  /** @throws IllegalArgumentException for a message that is not a snapshot */
  public static ProgressSnapshot fromJson(JsonObject json) {
    Wire.state(json, "status");
    Object rate = json.getValue("rate", 0.0);
    Object etaMs = json.getValue("etaMs");
    Object lastLog = json.getValue("lastLog");
    if (!(rate instanceof Number) || (etaMs != null && !(etaMs instanceof Number))
        || (lastLog != null && !(lastLog instanceof JsonObject))) {
      throw new IllegalArgumentException("rate, etaMs or lastLog of the wrong type: " + json);
    }
    return new ProgressSnapshot(Wire.string(json, "jobId"), Wire.count(json, "seq"), Wire.count(json, "done"),
        Wire.count(json, "failed"), Wire.count(json, "total"), json.getString("status"),
        ((Number) rate).doubleValue(), etaMs == null ? null : ((Number) etaMs).longValue(),
        json.containsKey("lastIndex") ? Wire.number(json, "lastIndex") : -1, Wire.number(json, "at"),
        (JsonObject) lastLog);
  }
}
