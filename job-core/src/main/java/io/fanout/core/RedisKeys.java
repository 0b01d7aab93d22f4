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

  /** Sorted set of queued small job ids, as {@link #WAITING}: the express lane's own queue. */
  public static final String WAITING_EXPRESS = QUEUE + "waiting:express";

  /** Sorted set of running small job ids, also in {@link #ACTIVE}: the express lane's admission count. */
  public static final String ACTIVE_EXPRESS = QUEUE + "active:express";

  /** Set of the ids of small jobs not finished: which lane a delayed job joins when its time comes. */
  public static final String EXPRESS_JOBS = QUEUE + "express";

  /**
   * Sorted set of finished small jobs (score: when they finished) whose bitmaps are kept and whose
   * records in the express log count as there, until the janitor's {@code TOPIC_RETENTION_MS}.
   */
  public static final String FINISHED_SMALL_JOBS = QUEUE + "express:finished";

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

  /**
   * Sorted set of finished jobs (score: when they finished, 0 for one being purged): what the
   * retention sweep forgets after {@code JOB_RETENTION_MS}. project.lua keeps it, so it is also
   * the marker that finishes a purge or a retention step cut off by a crash ({@link JobRetention}).
   */
  public static final String FINISHED_JOBS = QUEUE + "jobs:finished";

  /**
   * Sorted set of dataset uploads in flight (score: when the upload last wrote, 0 once the sweep
   * has abandoned it). An entry goes when its job is queued (project.lua), when its API refuses
   * it, or when the sweep has deleted the staging topic of an upload that stopped ({@link StagingLedger}).
   */
  public static final String UPLOADS = QUEUE + "uploads";

  /** Hash of job id to the bytes of its dataset, for uploads in flight and queued datasets. */
  public static final String STAGED = QUEUE + "staged";

  /** The sum of {@link #STAGED}: what the staging budget is checked against in one read. */
  public static final String STAGED_BYTES = QUEUE + "staged-bytes";

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

  /**
   * Sorted set of the ids of ended jobs whose webhook is still to be delivered (score: when it is
   * due, or when the lease of the process trying it runs out). project.lua adds a job when it
   * takes in its end; see {@link CallbackOutbox}.
   */
  public static final String CALLBACKS_DUE = QUEUE + "callbacks:due";

  /** Hash of job id to the process that holds the lease on delivering its webhook. */
  public static final String CALLBACK_LEASES = QUEUE + "callbacks:leases";

  /** Hash of job id to how many times its pending webhook was tried, for the backoff. */
  public static final String CALLBACK_TRIES = QUEUE + "callbacks:tries";

  private static final String SCHEDULES = "{schedules}:";

  /**
   * Hash of schedule id to its definition (JSON). Tag {@code {schedules}}: the definitions, the
   * due set and the firing records are changed together by one script; see {@link ScheduleStore}.
   */
  public static final String SCHEDULE_DEFINITIONS = SCHEDULES + "definitions";

  /** Sorted set of active schedule ids (score: the next firing's time, or a claim's lease deadline). */
  public static final String SCHEDULES_DUE = SCHEDULES + "due";

  /** Hash of schedule id to the time (epoch ms) of the firing it is due for. */
  public static final String SCHEDULE_SLOTS = SCHEDULES + "slots";

  private static final String BY_STATUS = QUEUE + "jobs:status:";
  private static final String NODE = "{nodes}:node:";

  private RedisKeys() {}

  public static String job(String jobId) {
    return "job:{" + jobId + "}";
  }

  /** A counter of the {@code http} requests a job's workers made in one epoch second, for its rate limit. */
  public static String httpRate(String jobId, long epochSecond) {
    return job(jobId) + ":rate:" + epochSecond;
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

  /** The failure records of a job's tasks that failed for good, in the order they failed. */
  public static String failures(String jobId) {
    return job(jobId) + ":failures";
  }

  /** The failure records of the tasks a retry run produces again. */
  public static String retries(String jobId) {
    return job(jobId) + ":retry";
  }

  /**
   * Keys a finished job no longer needs once its topics are gone: the bitmaps (with the task
   * topic gone no copy of a task can arrive to be deduped) and a retry run's list.
   */
  public static List<String> runKeys(String jobId) {
    return List.of(doneBits(jobId), failedBits(jobId), loggedBits(jobId), retries(jobId));
  }

  /** The tries of a job's completion webhook, oldest first (JSON each). */
  public static String callbackAttempts(String jobId) {
    return job(jobId) + ":callbacks";
  }

  /** Every key a job may have, for deleting the job. */
  public static List<String> jobKeys(String jobId) {
    return List.of(job(jobId), doneBits(jobId), failedBits(jobId), loggedBits(jobId), failures(jobId),
        retries(jobId), callbackAttempts(jobId));
  }

  /** A schedule's recent firings: job ids by the time of the firing (epoch ms). */
  public static String scheduleFirings(String scheduleId) {
    return SCHEDULES + "firings:" + scheduleId;
  }

  public static String idempotency(String key) {
    return "idem:" + key;
  }

  /** A node's last heartbeat, its description as JSON; it expires when the node stops beating. */
  public static String node(String nodeId) {
    return NODE + nodeId;
  }
}
