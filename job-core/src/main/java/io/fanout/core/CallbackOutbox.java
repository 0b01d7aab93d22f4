package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The webhooks of ended jobs that are still to be delivered, kept in Redis so that none is lost
 * with the process that ended the job or the one delivering it.
 *
 * <p>A job's end is made in its hash by the process that ends it (the worker counting its last
 * task, or the API cancelling it), which then takes it into the queue (project.lua); that step,
 * which the queue's repair sweep makes again if that process died first, puts a job with a
 * {@code callbackUrl} into {@link RedisKeys#CALLBACKS_DUE}. A delivering process claims due
 * webhooks under a lease; if it dies, the lease runs out and another one claims them. Each try is
 * recorded beside the job ({@link RedisKeys#callbackAttempts}), so they outlive every process.
 */
public final class CallbackOutbox {
  private static final RedisScript CLAIM = RedisScript.named("callback-claim");
  private static final RedisScript SETTLE = RedisScript.named("callback-settle");
  private static final RedisScript ATTEMPT = RedisScript.named("callback-attempt");
  private static final List<String> OUTBOX = List.of(RedisKeys.CALLBACKS_DUE, RedisKeys.CALLBACK_LEASES,
      RedisKeys.CALLBACK_TRIES);
  /** Tries kept per job: a day of backoff capped at minutes is a few hundred at most. */
  private static final int TRIES_KEPT = 100;

  /** A webhook this process holds the lease on; {@code tries} made before this one. */
  public record Claim(String jobId, int tries) {}

  /** Where a job's webhook stands, as {@code GET /jobs/<id>/callbacks} shows it. */
  public enum State {
    PENDING, DELIVERED, GAVE_UP;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A job as its webhook needs it: the summary that is sent, where to, and for which end.
   *
   * @param finishedAt the end's time as stored (epoch ms), or null while the job has not ended
   * @param state the state of the last try ({@link State#wireName}), or null before the first
   */
  public record Target(Job job, String callbackUrl, String finishedAt, String state) {
    public String deliveryId() {
      return finishedAt == null ? null : CallbackOutbox.deliveryId(job.id(), finishedAt);
    }
  }

  private final Redis redis;

  public CallbackOutbox(Redis redis) {
    this.redis = redis;
  }

  /**
   * The id receivers dedupe on: the same for every try of one end of a job, whichever process
   * makes it, and another for the end of a later retry run (its own {@code finishedAt}).
   */
  public static String deliveryId(String jobId, String finishedAt) {
    return UUID.nameUUIDFromBytes(("fanout-callback:" + jobId + ":" + finishedAt).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /** The job and its webhook's target, or null when the job is gone. */
  public Future<Target> target(String jobId) {
    return redis.send(Request.cmd(Command.HGETALL).arg(RedisKeys.job(jobId))).map(JobStore::toMap)
        .map(hash -> hash.isEmpty() ? null
            : new Target(Job.fromHash(hash), hash.get(JobFields.CALLBACK_URL), hash.get(JobFields.FINISHED_AT),
                hash.get(JobFields.CALLBACK_STATE)));
  }

  /** Up to {@code limit} due webhooks, leased to {@code owner} for {@code leaseMs}. */
  public Future<List<Claim>> claimDue(String owner, long leaseMs, int limit) {
    return CLAIM.run(redis, OUTBOX, List.of(System.currentTimeMillis(), owner, leaseMs, limit)).map(reply -> {
      List<Claim> claims = new ArrayList<>();
      for (int i = 0; i + 1 < reply.size(); i += 2) {
        claims.add(new Claim(reply.get(i).toString(), reply.get(i + 1).toInteger()));
      }
      return claims;
    });
  }

  /** Records one try beside the job; resolves false when the job is gone. */
  public Future<Boolean> recordAttempt(String jobId, JsonObject attempt, State state, long keepMs) {
    return ATTEMPT.run(redis, List.of(RedisKeys.job(jobId), RedisKeys.callbackAttempts(jobId)),
            List.of(attempt.encode(), TRIES_KEPT, state.wireName(), keepMs))
        .map(reply -> reply.toLong() == 1L);
  }

  /** The webhook leaves the outbox: delivered, given up, or its job is gone. */
  public Future<Boolean> finish(String jobId, String owner) {
    return SETTLE.run(redis, OUTBOX, List.of(jobId, owner, "done")).map(reply -> reply.toLong() == 1L);
  }

  /** The webhook is due again at {@code dueAt} (epoch ms). */
  public Future<Boolean> retryAt(String jobId, String owner, long dueAt) {
    return SETTLE.run(redis, OUTBOX, List.of(jobId, owner, dueAt)).map(reply -> reply.toLong() == 1L);
  }

  /** The tries recorded for a job's webhook, oldest first. */
  public Future<JsonArray> attempts(String jobId) {
    return redis.send(Request.cmd(Command.LRANGE).arg(RedisKeys.callbackAttempts(jobId)).arg(0).arg(-1))
        .map(reply -> {
          JsonArray attempts = new JsonArray();
          reply.forEach(entry -> attempts.add(new JsonObject(entry.toString())));
          return attempts;
        });
  }

  /** When the job's webhook is due next (epoch ms), or null when it is not waiting to be tried. */
  public Future<Long> dueAt(String jobId) {
    return redis.send(Request.cmd(Command.ZSCORE).arg(RedisKeys.CALLBACKS_DUE).arg(jobId))
        .map(CallbackOutbox::longOrNull);
  }

  private static Long longOrNull(Response reply) {
    return reply == null ? null : (long) Double.parseDouble(reply.toString());
  }
}
