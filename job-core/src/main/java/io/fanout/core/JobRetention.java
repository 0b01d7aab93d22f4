package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forgets finished jobs: {@code JOB_RETENTION_MS} after they finished (the sweep), or at once when
 * purged. A job forgotten leaves nothing: its topics, every key of its own, and its entries in
 * every index of the queue (listing, status indexes, versions, finished sets), so that Redis holds
 * only the jobs that run, wait, or finished within the retention time.
 *
 * <p>Three steps on two shards and Kafka, in this order: the topics, the job's keys, then the
 * queue's indexes (project.lua of a job that is gone). The finished-jobs index is the marker: the
 * job leaves it in the last step, so a process dying before leaves it there, and the next sweep
 * does all three again (each is harmless twice). A purge first puts the job at score 0 of that
 * index, so a purge cut off by a crash is finished by the next sweep too.
 */
public final class JobRetention {
  private static final Logger LOG = LoggerFactory.getLogger(JobRetention.class);
  private static final int SWEEP_LIMIT = 100;

  private final Redis redis;
  private final TopicAdmin admin;
  private final QueueProjection projection;

  public JobRetention(Redis redis, TopicAdmin admin) {
    this.redis = redis;
    this.admin = admin;
    this.projection = new QueueProjection(redis, ReplicaAck.NONE);
  }

  /** Forgets up to a batch of jobs finished more than {@code retentionMs} ago; resolves with how many. */
  public Future<Integer> sweep(long retentionMs) {
    long finishedBefore = System.currentTimeMillis() - retentionMs;
    return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(RedisKeys.FINISHED_JOBS).arg("-inf").arg(finishedBefore)
            .arg("LIMIT").arg(0).arg(SWEEP_LIMIT))
        .compose(reply -> {
          List<Future<Void>> forgotten = new ArrayList<>(reply.size());
          reply.forEach(id -> forgotten.add(forget(id.toString())));
          return Future.join(forgotten).otherwise(all -> null).map(all -> {
            int count = (int) forgotten.stream().filter(Future::succeeded).count();
            if (count > 0) {
              LOG.info("Forgot {} job(s) finished more than {} ms ago", count, retentionMs);
            }
            return count;
          });
        });
  }

  /**
   * Forgets a finished job now, whatever its age. The caller has checked that it is finished;
   * the mark comes first so that a crash halfway leaves the rest to the sweep.
   */
  public Future<Void> purge(String jobId) {
    return redis.send(Request.cmd(Command.ZADD).arg(RedisKeys.FINISHED_JOBS).arg(0).arg(jobId))
        .compose(marked -> forget(jobId))
        .onSuccess(done -> LOG.info("Job {} purged: its topics and its data in Redis are deleted", jobId));
  }

  private Future<Void> forget(String jobId) {
    Request delete = Request.cmd(Command.DEL);
    RedisKeys.jobKeys(jobId).forEach(delete::arg);
    return admin.deleteTopics(Topics.ofJob(jobId))
        .compose(topicsGone -> redis.send(delete))
        .compose(keysGone -> projection.settle(jobId))
        .mapEmpty();
  }
}
