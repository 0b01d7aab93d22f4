package io.fanout.core;

import java.util.List;
import java.util.stream.IntStream;

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

  /** Sorted set of the ids of the nodes that heartbeat (score: start time); see {@link NodeRegistry}. */
  public static final String NODES = "cluster:nodes";

  /** Sorted set of jobs whose topics may go (score: when the job finished), for the topic janitor. */
  public static final String FINISHED_TOPICS = "topics:finished";

  /** Lock held by the one janitor sweeping topics at a time. */
  public static final String JANITOR_LOCK = "topics:janitor";

  /** Set while an operator has paused the workers; every worker reads it. */
  public static final String WORKERS_PAUSED = "workers:paused";

  private static final String BY_STATUS = "jobs:status:";
  private static final String NODE = "cluster:node:";

  private RedisKeys() {}

  public static String job(String jobId) {
    return "job:" + jobId;
  }

  /** One bit per task index, set by the task's first successful completion. */
  public static String doneBits(String jobId) {
    return "job:" + jobId + ":done";
  }

  /** One bit per task index, set once the task's first outcome is in the job's log topic. */
  public static String loggedBits(String jobId) {
    return "job:" + jobId + ":logged";
  }

  /** The scripts' working bitmaps for a job, created and deleted within one call. */
  public static List<String> scratchBits(String jobId, int count) {
    return IntStream.range(0, count).mapToObj(n -> "job:" + jobId + ":scratch:" + n).toList();
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

  /** The failure records of a job's tasks that failed for good, in the order they failed. */
  public static String failures(String jobId) {
    return "job:" + jobId + ":failures";
  }

  /** The failure records of the tasks a retry run produces again. */
  public static String retries(String jobId) {
    return "job:" + jobId + ":retry";
  }

  public static String idempotency(String key) {
    return "idem:" + key;
  }

  /** A node's last heartbeat, its description as JSON; it expires when the node stops beating. */
  public static String node(String nodeId) {
    return NODE + nodeId;
  }

  /** The prefix of {@link #node}, for the script that reads every live node. */
  public static String nodePrefix() {
    return NODE;
  }
}
