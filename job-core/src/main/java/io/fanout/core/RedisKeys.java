package io.fanout.core;

/** Redis keys: the job hashes, the completion bitmaps, and the queue's structures. */
public final class RedisKeys {
  /** Sorted set of queued job ids, by priority then arrival. */
  public static final String WAITING = "queue:waiting";

  /** Sorted set of running job ids (score: admission time); its size is the admission count. */
  public static final String ACTIVE = "queue:active";

  /** Sorted set of job ids being fanned out (score: lease deadline, epoch ms). */
  public static final String LEASES = "queue:leases";

  /** Sorted set of job ids waiting for their start time (score: epoch ms). */
  public static final String DELAYED = "queue:delayed";

  /** Counter that orders jobs of equal priority by arrival. */
  public static final String ARRIVALS = "queue:arrivals";

  private RedisKeys() {}

  public static String job(String jobId) {
    return "job:" + jobId;
  }

  /** One bit per task index, set by the task's first successful completion. */
  public static String doneBits(String jobId) {
    return "job:" + jobId + ":done";
  }

  /** One bit per task index, set when the task failed for good. */
  public static String failedBits(String jobId) {
    return "job:" + jobId + ":failed";
  }

  public static String idempotency(String key) {
    return "idem:" + key;
  }
}
