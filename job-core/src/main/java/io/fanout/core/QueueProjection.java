package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Takes one job's state, read from its hash (or, for a submission, as it was just stored), into
 * the queue's structures (project.lua): the step that follows every change of a job on its own shard. It may run late or more than once; the
 * job's version keeps an older state from undoing a newer one.
 */
final class QueueProjection {
  private static final RedisScript PROJECT = RedisScript.named("project");
  private static final List<String> KEYS = keys();
  /** The job's fields the queue takes in: the first six go to project.lua as they are. */
  private static final List<String> FIELDS = List.of(JobFields.VERSION, JobFields.STATUS, JobFields.PRIORITY,
      JobFields.ARRIVAL, JobFields.RUN_AT, JobFields.FINISHED_AT, JobFields.STARTED_AT, JobFields.ITEMIZED,
      JobFields.CALLBACK_URL, JobFields.LANE);

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
    Request read = Request.cmd(Command.HMGET).arg(RedisKeys.job(jobId));
    FIELDS.forEach(read::arg);
    return redis.send(read).compose(values -> take(jobId, marker, unsettledMember, values.get(0) == null ? null
        : field -> {
          Response value = values.get(FIELDS.indexOf(field));
          return value == null ? null : value.toString();
        }));
  }

  /**
   * Takes a job just stored by its submission into the queue, ending its intake, from the fields
   * the submission stored: nothing changes a job before it is queued (its id is not answered
   * yet), so its hash holds exactly these and is not read back.
   */
  Future<Response> settleSubmitted(String jobId, Map<String, String> stored) {
    return take(jobId, Marker.INTAKE, "", stored::get);
  }

  /** project.lua with the job's fields as {@code field} gives them by name; a null {@code field}: the job is gone. */
  private Future<Response> take(String jobId, Marker marker, String unsettledMember, Function<String, String> field) {
    List<Object> args = new ArrayList<>(List.of(jobId, marker.wire(), unsettledMember, System.currentTimeMillis()));
    if (field == null) {
      args.add("");
    } else {
      for (String name : FIELDS.subList(0, 6)) {
        args.add(Objects.requireNonNullElse(field.apply(name), "0"));
      }
      // Topics to delete once it ends: those the dispatcher made, or the staging topic of its upload.
      boolean mayHaveTopics = field.apply(JobFields.STARTED_AT) != null || "1".equals(field.apply(JobFields.ITEMIZED));
      args.add(mayHaveTopics ? "1" : "0");
      args.add(field.apply(JobFields.CALLBACK_URL) != null ? "1" : "0");
      args.add(Job.EXPRESS.equals(field.apply(JobFields.LANE)) ? "1" : "0");
    }
    return PROJECT.run(redis, KEYS, args, ack);
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
