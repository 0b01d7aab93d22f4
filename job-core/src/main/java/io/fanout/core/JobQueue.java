package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The background queue in Redis: jobs wait by priority, are admitted while the active count is
 * under the limit, and are fanned out by one dispatcher at a time under a renewable lease. Each
 * step is one script, so a crash between two commands cannot leave a job half-moved.
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

  /** A job handed to a dispatcher; {@code resumed} when another dispatcher's fan-out was orphaned. */
  public record Admission(String jobId, boolean resumed) {}

  private final Redis redis;

  public JobQueue(Redis redis) {
    this.redis = redis;
  }

  /** Stores the job and queues it, atomically. */
  public Future<Void> enqueue(Job job) {
    List<String> args = new ArrayList<>();
    args.add(job.id());
    args.add(Integer.toString(job.priority()));
    for (Map.Entry<String, String> field : job.toHash().entrySet()) {
      args.add(field.getKey());
      args.add(field.getValue());
    }
    return ENQUEUE.run(redis, List.of(RedisKeys.job(job.id()), RedisKeys.WAITING, RedisKeys.ARRIVALS), args)
        .mapEmpty();
  }

  /** The next job for this dispatcher, or null when none may start now. */
  public Future<Admission> admit(String owner, int maxActiveJobs, long leaseMs) {
    return ADMIT.run(redis,
            List.of(RedisKeys.WAITING, RedisKeys.ACTIVE, RedisKeys.LEASES),
            List.of(System.currentTimeMillis(), maxActiveJobs, owner, leaseMs, JOB_KEY_PREFIX))
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

  private static boolean isOne(Response reply) {
    return reply != null && reply.toLong() == 1L;
  }
}
