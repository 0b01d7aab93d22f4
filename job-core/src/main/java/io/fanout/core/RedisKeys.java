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

  /** Sorted set of every job id by creation time: the listing, newest first. */
  public static final String ALL_JOBS = "jobs:all";

  private static final String BY_STATUS = "jobs:status:";

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

  /** Sorted set of the ids of jobs in one state, by creation time; scripts move ids between them. */
  public static String byStatus(JobState state) {
    return BY_STATUS + state.wireName();
  }

  /** The prefix of {@link #byStatus}, for scripts that compute the key from a state name. */
  public static String byStatusPrefix() {
    return BY_STATUS;
  }

  /** A dataset job's items, one JSON text per task, in task order. */
  public static String items(String jobId) {
    return "job:" + jobId + ":items";
  }

  /** Items of an upload in progress; renamed to {@link #items} when the job is queued, expires otherwise. */
  public static String stagedItems(String jobId) {
    return "upload:" + jobId + ":items";
  }

  public static String idempotency(String key) {
    return "idem:" + key;
  }
}
