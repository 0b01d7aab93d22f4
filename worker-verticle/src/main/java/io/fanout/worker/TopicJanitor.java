package io.fanout.worker;

import io.fanout.core.JobFields;
import io.fanout.core.JobRetention;
import io.fanout.core.JobStore;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.StaleUploads;
import io.fanout.core.TopicAdmin;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the topics of finished jobs: after {@code TOPIC_RETENTION_MS}, or sooner, oldest
 * first, when the topics of active and finished jobs would pass {@code TOPIC_BUDGET}, but never
 * within {@link #FINISHED_GRACE_MS} of a job's end; with them go the job's bitmaps and retry list,
 * and the job is marked so that workers skip any copy of its tasks that still comes (a small
 * job's tasks stay in the shared express topic). A job's summary, counts, failures and last log
 * record stay in Redis until {@link JobRetention} forgets the job after {@code JOB_RETENTION_MS}.
 * The same sweep deletes the staging topics of uploads that never became jobs
 * ({@link StaleUploads}). Every dispatcher runs a janitor; a short Redis lock lets one sweep at a
 * time.
 */
final class TopicJanitor {
  private static final Logger LOG = LoggerFactory.getLogger(TopicJanitor.class);
  /** Jobs cleaned per sweep at most: enough for hundreds of small jobs a second at the default interval. */
  private static final int SWEEP_LIMIT = 2_000;
  /**
   * How long a finished job's topics stay at least, whatever the budget: the worker whose round
   * counted its last task is still committing that round's log records into its log (a
   * transaction lives up to 5 s, longer on a starved machine), and a send to a deleted topic
   * would hold the worker's whole round until it timed out.
   */
  private static final long FINISHED_GRACE_MS = 30_000;
  /** Jobs of a sweep cleaned at once. */
  private static final int JOBS_IN_FLIGHT = 32;
  private static final int TOPICS_PER_JOB = 2;

  private final Vertx vertx;
  private final Redis redis;
  private final JobStore store;
  private final TopicAdmin admin;
  private final Settings settings;
  private final String owner;
  private final JobRetention retention;
  private final StaleUploads staleUploads;
  /** Whether this janitor's last sweep is still going; touched on the verticle's event loop only. */
  private boolean sweeping;

  TopicJanitor(Vertx vertx, Redis redis, JobStore store, TopicAdmin admin, Settings settings, String owner,
      JobRetention retention, StaleUploads staleUploads) {
    this.vertx = vertx;
    this.redis = redis;
    this.store = store;
    this.admin = admin;
    this.settings = settings;
    this.owner = owner;
    this.retention = retention;
    this.staleUploads = staleUploads;
  }

  long start() {
    long interval = settings.longValue(Settings.JANITOR_INTERVAL_MS);
    return vertx.setPeriodic(interval, tick -> {
      // A sweep can outlast the interval (Kafka slow to delete, a big backlog): a second one
      // started meanwhile would pick the same jobs, and pile-ups slow every sweep further.
      if (sweeping) {
        return;
      }
      sweeping = true;
      sweep(interval)
          .onFailure(failure -> LOG.warn("Topic sweep by {} failed: {}", owner, failure.toString()))
          .onComplete(done -> sweeping = false);
    });
  }

  /** Resolves with the ids of the jobs whose topics this sweep deleted (none if another janitor holds the lock). */
  Future<List<String>> sweep(long lockMs) {
    Request lock = Request.cmd(Command.SET).arg(RedisKeys.JANITOR_LOCK).arg(owner).arg("NX").arg("PX").arg(lockMs);
    return redis.send(lock).compose(acquired -> {
      if (acquired == null) {
        return Future.succeededFuture(List.<String>of());
      }
      Future<List<String>> big = jobsToClean().compose(this::clean);
      Future<List<String>> small = smallJobsToClean().compose(this::cleanSmall);
      Future<List<String>> cleaned = Future.join(big, small).transform(both -> {
        List<String> all = new ArrayList<>(big.succeeded() ? big.result() : List.of());
        all.addAll(small.succeeded() ? small.result() : List.of());
        return both.succeeded() ? Future.succeededFuture(all) : Future.failedFuture(both.cause());
      });
      // Each sweep goes on if another fails: they are independent, and all are done again next time.
      Future<?> forgotten = retention.sweep(settings.longValue(Settings.JOB_RETENTION_MS))
          .onFailure(failure -> LOG.warn("Retention sweep by {} failed: {}", owner, failure.toString()));
      Future<?> uploads = staleUploads.sweep(settings.longValue(Settings.UPLOAD_GRACE_MS))
          .onFailure(failure -> LOG.warn("Sweep of stopped uploads by {} failed: {}", owner, failure.toString()));
      return Future.join(cleaned, forgotten, uploads).transform(all -> cleaned);
    });
  }

  private Future<List<String>> jobsToClean() {
    long retainedSince = System.currentTimeMillis() - settings.longValue(Settings.TOPIC_RETENTION_MS);
    return redis.batch(List.of(
            Request.cmd(Command.ZRANGEBYSCORE).arg(RedisKeys.FINISHED_TOPICS).arg("-inf").arg(retainedSince)
                .arg("LIMIT").arg(0).arg(SWEEP_LIMIT),
            Request.cmd(Command.ZCARD).arg(RedisKeys.FINISHED_TOPICS),
            Request.cmd(Command.ZCARD).arg(RedisKeys.ACTIVE)))
        .compose(replies -> withoutKeptLonger(ids(replies.get(0))).compose(due -> {
          Set<String> jobs = new LinkedHashSet<>(due);
          long topics = TOPICS_PER_JOB * (replies.get(1).toLong() + replies.get(2).toLong());
          long over = (topics - settings.longValue(Settings.TOPIC_BUDGET) + TOPICS_PER_JOB - 1) / TOPICS_PER_JOB;
          if (over <= jobs.size()) {
            return Future.succeededFuture(List.copyOf(jobs));
          }
          long oldest = Math.min(SWEEP_LIMIT, over);
          long endedBefore = System.currentTimeMillis() - FINISHED_GRACE_MS;
          return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(RedisKeys.FINISHED_TOPICS).arg("-inf")
                  .arg(endedBefore).arg("LIMIT").arg(0).arg(oldest))
              .map(reply -> {
                jobs.addAll(ids(reply));
                return List.copyOf(jobs);
              });
        }));
  }

  /**
   * The jobs due by TOPIC_RETENTION_MS but those that asked to keep their results longer
   * ({@code resultsRetentionMs}): each of these is moved to the place in the finished-topics set
   * where it falls due, so that it is not asked about at every sweep. The over-budget eviction
   * below does not ask: disk comes first.
   */
  private Future<List<String>> withoutKeptLonger(List<String> jobIds) {
    if (jobIds.isEmpty()) {
      return Future.succeededFuture(jobIds);
    }
    // One read each rather than a batch: the job hashes lie on different shards of a Redis Cluster.
    List<Future<Response>> reads = jobIds.stream().map(id -> redis.send(Request.cmd(Command.HMGET)
        .arg(RedisKeys.job(id)).arg(JobFields.FINISHED_AT).arg(JobFields.RESULTS_RETENTION_MS))).toList();
    return Future.all(reads).map(all -> reads.stream().map(Future::result).toList()).compose(replies -> {
      List<String> due = new ArrayList<>();
      List<Request> moves = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (int i = 0; i < jobIds.size(); i++) {
        Response finishedAt = replies.get(i).get(0);
        Response keptFor = replies.get(i).get(1);
        long until = finishedAt == null || keptFor == null ? 0 : finishedAt.toLong() + keptFor.toLong();
        if (until <= now) {
          due.add(jobIds.get(i));
        } else {
          // Scored so that it is due, at the janitor's TOPIC_RETENTION_MS, when its own time is up.
          moves.add(Request.cmd(Command.ZADD).arg(RedisKeys.FINISHED_TOPICS).arg("XX")
              .arg(until - settings.longValue(Settings.TOPIC_RETENTION_MS)).arg(jobIds.get(i)));
        }
      }
      return (moves.isEmpty() ? Future.succeededFuture() : redis.batch(moves)).map(due);
    });
  }

  private Future<List<String>> clean(List<String> jobIds) {
    return eachJob(jobIds, jobId -> admin.deleteTopics(Topics.ofJob(jobId))
            // With the topics gone the bitmaps have done their work. They live on the job's shard
            // and the set on the queue's: the set goes last, so a janitor dying in between leaves
            // the job to the next sweep, which does it all again.
            .compose(deleted -> markDeleted(jobId, RedisKeys.FINISHED_TOPICS)))
        .onSuccess(done -> {
          if (!done.isEmpty()) {
            LOG.info("Deleted the topics of {} finished job(s)", done.size());
          }
        });
  }

  /** Small jobs past TOPIC_RETENTION_MS: they have no topics of their own, so no budget hurries them. */
  private Future<List<String>> smallJobsToClean() {
    long retainedSince = System.currentTimeMillis() - settings.longValue(Settings.TOPIC_RETENTION_MS);
    return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(RedisKeys.FINISHED_SMALL_JOBS).arg("-inf")
            .arg(retainedSince).arg("LIMIT").arg(0).arg(SWEEP_LIMIT))
        .map(TopicJanitor::ids);
  }

  /**
   * A small job has no topics of its own but the staging topic of its items, if it had any; its
   * log records stay in the express log and from here on count as gone, and its bitmaps go. One
   * request deletes the whole sweep's staging topics.
   */
  private Future<List<String>> cleanSmall(List<String> jobIds) {
    if (jobIds.isEmpty()) {
      return Future.succeededFuture(jobIds);
    }
    return admin.deleteTopics(jobIds.stream().map(Topics::items).toList())
        .compose(deleted -> eachJob(jobIds, jobId -> markDeleted(jobId, RedisKeys.FINISHED_SMALL_JOBS)));
  }

  /**
   * The job's topics count as deleted: the job is marked, so that a copy of one of its tasks that
   * still comes (a small job's stay in the express topic) is skipped, and its bitmaps go; then it
   * leaves the janitor's {@code set}.
   */
  private Future<Void> markDeleted(String jobId, String set) {
    return store.topicsDeleted(jobId)
        .compose(marked -> redis.send(Request.cmd(Command.ZREM).arg(set).arg(jobId)))
        .mapEmpty();
  }

  /**
   * Runs {@code step} for every job, {@link #JOBS_IN_FLIGHT} at a time so that a sweep of
   * thousands does not flood the Redis client's queue; the jobs whose step succeeded. The others
   * stay in their set and are done again at the next sweep.
   */
  private static Future<List<String>> eachJob(List<String> jobIds, Function<String, Future<?>> step) {
    return GroupedCalls.of(jobIds, JOBS_IN_FLIGHT, jobId -> step.apply(jobId).map(jobId).otherwise((String) null))
        .map(done -> done.stream().filter(Objects::nonNull).toList());
  }

  private static List<String> ids(Response reply) {
    List<String> ids = new ArrayList<>(reply.size());
    reply.forEach(id -> ids.add(id.toString()));
    return ids;
  }
}
