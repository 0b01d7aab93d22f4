package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The background queue in Redis: jobs wait by priority (delayed ones until their time), are
 * admitted while the active count is under the limit, and are fanned out by one dispatcher at a
 * time under a renewable lease. Each step is one script, so a crash between two commands cannot
 * leave a job half-moved.
 *
 * <p>The scripts build job keys from a prefix, so they assume a single Redis (or a replicated
 * primary), not Redis Cluster.
 */
public final class JobQueue {
  private static final String JOB_KEY_PREFIX = RedisKeys.job("");

  private static final RedisScript ENQUEUE = RedisScript.named("enqueue");
  private static final RedisScript ADMIT = RedisScript.named("admit");
  private static final RedisScript CHECKPOINT = RedisScript.named("checkpoint");
  private static final RedisScript RELEASE = RedisScript.named("release");
  private static final RedisScript CANCEL = RedisScript.named("cancel");
  private static final RedisScript REPRIORITIZE = RedisScript.named("reprioritize");
  private static final RedisScript RETRY = RedisScript.named("retry");

  /** A job handed to a dispatcher; {@code resumed} when another dispatcher's fan-out was orphaned. */
  public record Admission(String jobId, boolean resumed) {}

  /** The id a submission ended up with; {@code duplicate} when its idempotency key was already used. */
  public record Enqueued(String jobId, boolean duplicate) {}

  private final Redis redis;

  public JobQueue(Redis redis) {
    this.redis = redis;
  }

  /**
   * Appends items to a job's upload before the job exists. The staging list expires unless the
   * job is queued in time, so an upload cut off halfway leaves nothing behind for long.
   */
  public Future<Void> stageItems(String jobId, List<String> jsonItems, long stagingTtlMs) {
    Request push = Request.cmd(Command.RPUSH).arg(RedisKeys.stagedItems(jobId));
    jsonItems.forEach(push::arg);
    Request expire = Request.cmd(Command.PEXPIRE).arg(RedisKeys.stagedItems(jobId)).arg(stagingTtlMs);
    return redis.batch(List.of(push, expire)).mapEmpty();
  }

  /** Drops an upload that was refused. */
  public Future<Void> discardStaged(String jobId) {
    return redis.send(Request.cmd(Command.DEL).arg(RedisKeys.stagedItems(jobId))).mapEmpty();
  }

  /**
   * Stores the job and queues it, atomically, taking over its staged items if it has any. With
   * an idempotency key already used, nothing is stored and the earlier job's id comes back.
   */
  public Future<Enqueued> enqueue(Job job, String idempotencyKey, long idempotencyTtlMs) {
    List<Object> args = new ArrayList<>();
    args.add(job.id());
    args.add(job.priority());
    args.add(job.runAt() == null ? 0 : job.runAt().toEpochMilli());
    args.add(idempotencyTtlMs);
    args.add(job.itemized() ? "1" : "0");
    args.add(idempotencyKey == null ? "0" : "1");
    for (Map.Entry<String, String> field : job.toHash().entrySet()) {
      args.add(field.getKey());
      args.add(field.getValue());
    }
    List<String> keys = List.of(
        RedisKeys.job(job.id()), RedisKeys.WAITING, RedisKeys.DELAYED, RedisKeys.ARRIVALS,
        RedisKeys.stagedItems(job.id()), RedisKeys.items(job.id()),
        RedisKeys.idempotency(idempotencyKey == null ? "" : idempotencyKey),
        RedisKeys.ALL_JOBS, RedisKeys.byStatus(JobState.QUEUED));
    return ENQUEUE.run(redis, keys, args)
        .map(reply -> new Enqueued(reply.get(0).toString(), "duplicate".equals(reply.get(1).toString())));
  }

  /** The next job for this dispatcher, or null when none may start now. */
  public Future<Admission> admit(String owner, int maxActiveJobs, long leaseMs) {
    return ADMIT.run(redis,
            List.of(RedisKeys.WAITING, RedisKeys.ACTIVE, RedisKeys.LEASES, RedisKeys.DELAYED),
            List.of(System.currentTimeMillis(), maxActiveJobs, owner, leaseMs, JOB_KEY_PREFIX,
                RedisKeys.byStatusPrefix()))
        .map(reply -> reply == null || reply.size() == 0
            ? null
            : new Admission(reply.get(0).toString(), "resumed".equals(reply.get(1).toString())));
  }

  /**
   * Renews the lease and records that the first {@code produced} tasks are safely in Kafka.
   * Resolves false when the lease is lost: the fan-out must stop.
   */
  public Future<Boolean> checkpoint(String jobId, String owner, long leaseMs, long produced) {
    return CHECKPOINT.run(redis,
            List.of(RedisKeys.LEASES, RedisKeys.job(jobId)),
            List.of(jobId, owner, System.currentTimeMillis() + leaseMs, produced))
        .map(JobQueue::isOne);
  }

  /** Ends the fan-out: all {@code produced} tasks are in Kafka. */
  public Future<Boolean> release(String jobId, String owner, long produced) {
    return RELEASE.run(redis,
            List.of(RedisKeys.LEASES, RedisKeys.job(jobId)),
            List.of(jobId, owner, produced))
        .map(JobQueue::isOne);
  }

  /**
   * Cancels a queued or running job and resolves with the state it was in. Fails with
   * {@link NoSuchJobException} or, for a finished job, {@link IllegalStateChangeException}.
   */
  public Future<JobState> cancel(String jobId) {
    List<String> keys = List.of(RedisKeys.job(jobId), RedisKeys.WAITING, RedisKeys.DELAYED, RedisKeys.ACTIVE,
        RedisKeys.LEASES, RedisKeys.FINISHED_TOPICS);
    return CANCEL.run(redis, keys, List.of(jobId, System.currentTimeMillis(), RedisKeys.byStatusPrefix()))
        .compose(reply -> outcome(jobId, reply, JobState.CANCELLED));
  }

  /** Changes the priority of a queued job; fails like {@link #cancel} for others. */
  public Future<JobState> reprioritize(String jobId, int priority) {
    return REPRIORITIZE.run(redis, List.of(RedisKeys.job(jobId), RedisKeys.WAITING),
            List.of(jobId, priority, System.currentTimeMillis()))
        .compose(reply -> outcome(jobId, reply, JobState.QUEUED));
  }

  /**
   * Queues a failed job's failed tasks to run again; resolves with how many. Fails like
   * {@link #cancel} for a job that is not failed.
   */
  public Future<Long> retryFailed(String jobId) {
    List<String> keys = List.of(RedisKeys.job(jobId), RedisKeys.failedBits(jobId), RedisKeys.failures(jobId),
        RedisKeys.retries(jobId), RedisKeys.WAITING, RedisKeys.FINISHED_TOPICS, RedisKeys.loggedBits(jobId));
    return RETRY.run(redis, keys, List.of(jobId, System.currentTimeMillis(), RedisKeys.byStatusPrefix()))
        .compose(reply -> outcome(jobId, reply, JobState.QUEUED)
            .map(queued -> reply.get(1).toLong()));
  }

  /** Up to {@code limit} running jobs, longest running first. */
  public Future<List<String>> running(int limit) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(RedisKeys.ACTIVE).arg(0).arg(limit - 1))
        .map(reply -> reply.stream().map(Response::toString).toList());
  }

  /** How many jobs wait, run, are delayed, and have finished in each way. */
  public Future<JsonObject> stats() {
    List<Request> counts = List.of(
        Request.cmd(Command.ZCARD).arg(RedisKeys.WAITING),
        Request.cmd(Command.ZCARD).arg(RedisKeys.ACTIVE),
        Request.cmd(Command.ZCARD).arg(RedisKeys.DELAYED),
        Request.cmd(Command.ZCARD).arg(RedisKeys.byStatus(JobState.COMPLETED)),
        Request.cmd(Command.ZCARD).arg(RedisKeys.byStatus(JobState.FAILED)),
        Request.cmd(Command.ZCARD).arg(RedisKeys.byStatus(JobState.CANCELLED)));
    return redis.batch(counts).map(replies -> new JsonObject()
        .put("waiting", replies.get(0).toLong())
        .put("active", replies.get(1).toLong())
        .put("delayed", replies.get(2).toLong())
        .put("completed", replies.get(3).toLong())
        .put("failed", replies.get(4).toLong())
        .put("cancelled", replies.get(5).toLong()));
  }

  // Scripts that change one job answer {'cancelled'|'changed', ...}, {'refused', state} or {'missing'}.
  private static Future<JobState> outcome(String jobId, Response reply, JobState wanted) {
    return switch (reply.get(0).toString()) {
      case "missing" -> Future.failedFuture(new NoSuchJobException(jobId));
      case "refused" -> Future.failedFuture(
          new IllegalStateChangeException(JobState.fromWire(reply.get(1).toString()), wanted));
      case "cancelled" -> Future.succeededFuture(JobState.fromWire(reply.get(1).toString()));
      default -> Future.succeededFuture(wanted);
    };
  }

  private static boolean isOne(Response reply) {
    return reply != null && reply.toLong() == 1L;
  }
}
