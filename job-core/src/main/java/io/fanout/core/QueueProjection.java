package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes one job's state, read from its hash, into the queue's structures (project.lua): the step
 * that follows every change of a job on its own shard. It may run late or more than once; the
 * job's version keeps an older state from undoing a newer one.
 */
final class QueueProjection {
  private static final RedisScript PROJECT = RedisScript.named("project");
  private static final List<String> KEYS = keys();

  /** What a projection ends: nothing, a submission, or one change recorded in {@link RedisKeys#UNSETTLED}. */
  enum Marker {
    NONE, INTAKE, UNSETTLED;

    String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Redis redis;
  private final ReplicaAck ack;

  QueueProjection(Redis redis, ReplicaAck ack) {
    this.redis = redis;
    this.ack = ack;
  }

  Future<Response> settle(String jobId) {
    return settle(jobId, Marker.NONE, "");
  }

  /** Reads the job's hash and takes it into the queue, ending the given marker. */
  Future<Response> settle(String jobId, Marker marker, String unsettledMember) {
    Request read = Request.cmd(Command.HMGET).arg(RedisKeys.job(jobId))
        .arg(JobFields.VERSION).arg(JobFields.STATUS).arg(JobFields.PRIORITY).arg(JobFields.ARRIVAL)
        .arg(JobFields.RUN_AT).arg(JobFields.FINISHED_AT).arg(JobFields.STARTED_AT).arg(JobFields.ITEMIZED)
        .arg(JobFields.CALLBACK_URL).arg(JobFields.LANE);
    return redis.send(read).compose(fields -> {
      List<Object> args = new ArrayList<>(List.of(jobId, marker.wire(), unsettledMember, System.currentTimeMillis()));
      if (fields.get(0) == null) {
        args.add("");
      } else {
        for (int i = 0; i < 6; i++) {
          args.add(fields.get(i) == null ? "0" : fields.get(i).toString());
        }
        // Topics to delete once it ends: those the dispatcher made, or the staging topic of its upload.
        boolean mayHaveTopics = fields.get(6) != null || (fields.get(7) != null && "1".equals(fields.get(7).toString()));
        args.add(mayHaveTopics ? "1" : "0");
        args.add(fields.get(8) != null ? "1" : "0");
        args.add(fields.get(9) != null && Job.EXPRESS.equals(fields.get(9).toString()) ? "1" : "0");
      }
      return PROJECT.run(redis, KEYS, args, ack);
    });
  }

  private static List<String> keys() {
    List<String> keys = new ArrayList<>(List.of(RedisKeys.WAITING, RedisKeys.DELAYED, RedisKeys.DELAYED_SCORES,
        RedisKeys.ACTIVE, RedisKeys.LEASES, RedisKeys.LEASE_OWNERS, RedisKeys.VERSIONS, RedisKeys.ALL_JOBS,
        RedisKeys.FINISHED_TOPICS, RedisKeys.INTAKE, RedisKeys.UNSETTLED));
    keys.addAll(RedisKeys.statusIndexes());
    keys.addAll(List.of(RedisKeys.UPLOADS, RedisKeys.STAGED, RedisKeys.STAGED_BYTES, RedisKeys.FINISHED_JOBS,
        RedisKeys.CALLBACKS_DUE, RedisKeys.CALLBACK_TRIES, RedisKeys.WAITING_EXPRESS, RedisKeys.ACTIVE_EXPRESS,
        RedisKeys.EXPRESS_JOBS, RedisKeys.FINISHED_SMALL_JOBS));
    return List.copyOf(keys);
  }
}
