package io.fanout.core;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Redis keys: the job hashes, the completion bitmaps, and the queue's structures.
 *
 * <p>Every key carries a hash tag, so that Fanout runs on Redis Cluster as on one Redis. A job's
 * keys share the tag of its id ({@code job:{id}}, {@code job:{id}:done}, ...): a script that
 * changes one job runs on the shard that holds it, and jobs spread over the shards. The queue's
 * structures and indexes share the tag {@code {queue}}: one slot, so admission, the listings and
 * the counts stay atomic. A change of both a job and the queue is two steps on two shards;
 * {@link JobQueue} says how each is made safe against a crash between them.
 */
public final class RedisKeys {
  private static final String QUEUE = "{queue}:";

  /** Sorted set of queued job ids, by priority then arrival. */
  public static final String WAITING = QUEUE + "waiting";

  /** Sorted set of running job ids (score: admission time); its size is the admission count. */
  public static final String ACTIVE = QUEUE + "active";

  /** Sorted set of job ids being fanned out (score: lease deadline, epoch ms). */
  public static final String LEASES = QUEUE + "leases";

  /** Hash of job id to the dispatcher that holds its fan-out lease. */
  public static final String LEASE_OWNERS = QUEUE + "lease-owners";

  /** Sorted set of job ids waiting for their start time (score: epoch ms). */
  public static final String DELAYED = QUEUE + "delayed";

  /** Hash of a delayed job's id to the score it takes in {@link #WAITING} once its time comes. */
  public static final String DELAYED_SCORES = QUEUE + "delayed-scores";

  /** Counter that orders jobs of equal priority by arrival. */
  public static final String ARRIVALS = QUEUE + "arrivals";

  /** Hash of job id to the version of the job the queue's structures last took in. */
  public static final String VERSIONS = QUEUE + "versions";

  /** Sorted set of the ids of jobs being submitted (score: since when); see {@link JobQueue#enqueue}. */
  public static final String INTAKE = QUEUE + "intake";

  /** Sorted set of changes of a job not yet taken into the queue (member {@code id:token}, score: since when). */
  public static final String UNSETTLED = QUEUE + "unsettled";

  /** Sorted set of every job id by arrival: the listing, newest first. */
  public static final String ALL_JOBS = QUEUE + "jobs:all";

  /** Sorted set of jobs whose topics may go (score: when the job finished), for the topic janitor. */
  public static final String FINISHED_TOPICS = QUEUE + "topics:finished";

  /** Lock held by the one janitor sweeping topics at a time. */
  public static final String JANITOR_LOCK = QUEUE + "topics:janitor";

  /** Set while an operator has paused the workers; every worker reads it. */
  public static final String WORKERS_PAUSED = QUEUE + "workers:paused";

  /** Sorted set of the ids of the nodes that heartbeat (score: start time); see {@link NodeRegistry}. */
  public static final String NODES = "{nodes}:index";

  /**
   * Hash of the tokens made through the API, by name: each entry's role, creation time and
   * SHA-256 (never the token). Tag {@code {auth}}: with {@link #TOKENS_BY_HASH} on one slot, so
   * creating and revoking change both in one script.
   */
  public static final String TOKENS = "{auth}:tokens";

  /** The same tokens by their SHA-256, so a request's token is found in one read. */
  public static final String TOKENS_BY_HASH = "{auth}:tokens:by-hash";

  private static final String BY_STATUS = QUEUE + "jobs:status:";
  private static final String NODE = "{nodes}:node:";

  private RedisKeys() {}

  public static String job(String jobId) {
    return "job:{" + jobId + "}";
  }

  /** One bit per task index, set by the task's first successful completion. */
  public static String doneBits(String jobId) {
    return job(jobId) + ":done";
  }

  /** One bit per task index, set once the task's first outcome is in the job's log topic. */
  public static String loggedBits(String jobId) {
    return job(jobId) + ":logged";
  }

  /** The scripts' working bitmaps for a job, created and deleted within one call. */
  public static List<String> scratchBits(String jobId, int count) {
    return IntStream.range(0, count).mapToObj(n -> job(jobId) + ":scratch:" + n).toList();
  }

  /** One bit per task index, set when the task failed for good. */
  public static String failedBits(String jobId) {
    return job(jobId) + ":failed";
  }

  /** Sorted set of the ids of jobs in one state, by arrival; the queue's scripts move ids between them. */
  public static String byStatus(JobState state) {
    return BY_STATUS + state.wireName();
  }

  /** Every status index, in the order of {@link JobState#values()}, for the script that moves a job between them. */
  public static List<String> statusIndexes() {
    return Arrays.stream(JobState.values()).map(RedisKeys::byStatus).toList();
  }

  /** A dataset job's items, one JSON text per task, in task order. */
  public static String items(String jobId) {
    return job(jobId) + ":items";
  }

  /** Items of an upload in progress; renamed to {@link #items} when the job is stored, expires otherwise. */
  public static String stagedItems(String jobId) {
    return "upload:{" + jobId + "}:items";
  }

  /** The failure records of a job's tasks that failed for good, in the order they failed. */
  public static String failures(String jobId) {
    return job(jobId) + ":failures";
  }

  /** The failure records of the tasks a retry run produces again. */
  public static String retries(String jobId) {
    return job(jobId) + ":retry";
  }

  /** Every key a job may have, for deleting the job. */
  public static List<String> jobKeys(String jobId) {
    return List.of(job(jobId), doneBits(jobId), failedBits(jobId), loggedBits(jobId), items(jobId),
        stagedItems(jobId), failures(jobId), retries(jobId));
  }

  public static String idempotency(String key) {
    return "idem:" + key;
  }

  /** A node's last heartbeat, its description as JSON; it expires when the node stops beating. */
  public static String node(String nodeId) {
    return NODE + nodeId;
  }
}
