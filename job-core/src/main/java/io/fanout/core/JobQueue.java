package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The background queue in Redis: jobs wait by priority (delayed ones until their time), are
 * admitted while the active count is under the limit, and are fanned out by one dispatcher at a
 * time under a renewable lease.
 *
 * <p>A job's hash and the queue's structures live on different shards of a Redis Cluster
 * ({@link RedisKeys}), so a change of both is two scripts, never one. The job's hash is the truth:
 * each change is made there first, raising the job's version, and then taken into the queue by
 * {@link QueueProjection}. A crash between the two steps is safe because something always
 * remembers the second one:
 * <ul>
 *   <li>a submission is on the intake list until it is queued; one left there past the grace
 *       time was never answered 202, and {@link #repair} deletes what it stored;</li>
 *   <li>a dataset's upload is on the uploads list ({@link StagingLedger}) from before its staging
 *       topic is created until its job is queued (project.lua takes it off in the same step as
 *       the intake list); an upload silent past the grace time and not on the intake list never
 *       became a job, and the sweep of stopped uploads deletes its topic, then its entry;</li>
 *   <li>a cancel, a new priority or a retry is recorded as unsettled before it is made, and
 *       {@link #repair} takes any such change still recorded after the grace time into the queue;</li>
 *   <li>a job's end is made by the worker that counts its last task, and {@link #repair} takes
 *       the end of any job still in the active set into the queue;</li>
 *   <li>admission is decided on the queue's side first; a dispatcher that dies before the job's
 *       hash says 'running' leaves its lease to run out, and the next one resumes the job.</li>
 * </ul>
 */
public final class JobQueue {
  private static final RedisScript CLAIM = RedisScript.named("claim");
  private static final RedisScript INTAKE = RedisScript.named("intake");
  private static final RedisScript CREATE = RedisScript.named("create");
  private static final RedisScript ADMIT = RedisScript.named("admit");
  private static final RedisScript START = RedisScript.named("start");
  private static final RedisScript PRODUCED = RedisScript.named("produced");
  private static final RedisScript CHECKPOINT = RedisScript.named("checkpoint");
  private static final RedisScript RELEASE = RedisScript.named("release");
  private static final RedisScript CANCEL = RedisScript.named("cancel");
  private static final RedisScript REPRIORITIZE = RedisScript.named("reprioritize");
  private static final RedisScript RETRY = RedisScript.named("retry");

  /**
   * How long an idempotency key's claim may go without its job being queued before another
   * submission with the key may take it over: a submission's steps take milliseconds.
   */
  private static final long STALE_CLAIM_MS = 30_000;
  private static final int REPAIR_BATCH = 100;

  /**
   * A job handed to a dispatcher, as it was once running.
   *
   * @param resumed another dispatcher's fan-out of it was orphaned
   * @param produced how many of its tasks are known to be in Kafka: where its fan-out resumes
   * @param retries how many tasks a retry run produces again (0 for a first run)
   */
  public record Admission(Job job, boolean resumed, long produced, long retries) {
    public String jobId() {
      return job.id();
    }

    /** A small job, of the express lane. */
    public boolean small() {
      return job.express();
    }
  }

  /** The id a submission ended up with; {@code duplicate} when its idempotency key was already used. */
  public record Enqueued(String jobId, boolean duplicate) {}

  private final Redis redis;
  private final ReplicaAck ack;
  private final QueueProjection projection;

  public JobQueue(Redis redis) {
    this(redis, ReplicaAck.NONE);
  }

  /**
   * @param ack the replicas that must hold a change a client or a dispatcher acts on before it is
   *     reported done: a job answered 202 (its hash and its place in the queue), a cancel or a
   *     retry answered, a job admitted and started (lost, it would return to the queue and be
   *     fanned out twice). Checkpoints and releases do not wait: losing one only makes the next
   *     dispatcher produce some windows again, which counting dedupes.
   */
  public JobQueue(Redis redis, ReplicaAck ack) {
    this.redis = redis;
    this.ack = ack;
    this.projection = new QueueProjection(redis, ack);
  }

  /**
   * Stores the job and queues it; a dataset's items are in its staging topic already, and its
   * upload must still be in flight ({@link StagingLedger}). With an
   * idempotency key already used, nothing is stored and the earlier job's id comes back; with one
   * whose submission is still under way, the call fails with {@link SubmissionInProgressException}.
   */
  public Future<Enqueued> enqueue(Job job, String idempotencyKey, long idempotencyTtlMs) {
    return enqueue(job, Map.of(), idempotencyKey, idempotencyTtlMs);
  }

  /**
   * The same, storing {@code options} in the job's hash beside its own fields: settings of the
   * job that the queue and the workers need not know, such as its {@code callbackUrl}.
   */
  public Future<Enqueued> enqueue(Job job, Map<String, String> options, String idempotencyKey, long idempotencyTtlMs) {
    Future<Enqueued> claimed = idempotencyKey == null
        ? Future.succeededFuture(new Enqueued(job.id(), false))
        : claim(idempotencyKey, job.id(), idempotencyTtlMs, "");
    return claimed.compose(claim -> claim.duplicate()
        ? Future.succeededFuture(claim)
        : store(job, options).map(claim));
  }

  private Future<Enqueued> claim(String key, String jobId, long ttlMs, String staleHolder) {
    return CLAIM.run(redis, List.of(RedisKeys.idempotency(key)), List.of(jobId, ttlMs, staleHolder))
        .compose(reply -> {
          String holder = reply.get(0).toString();
          if (holder.equals(jobId)) {
            return Future.succeededFuture(new Enqueued(jobId, false));
          }
          long age = reply.get(1).toLong();
          return isQueued(holder).compose(queued -> {
            if (queued) {
              return Future.succeededFuture(new Enqueued(holder, true));
            }
            if (age < STALE_CLAIM_MS || !staleHolder.isEmpty()) {
              return Future.failedFuture(new SubmissionInProgressException(key));
            }
            // The holder's submission died before its job was queued: this one takes the key.
            return claim(key, jobId, ttlMs, holder);
          });
        });
  }

  private Future<Boolean> isQueued(String jobId) {
    return redis.send(Request.cmd(Command.HEXISTS).arg(RedisKeys.VERSIONS).arg(jobId)).map(JobQueue::isOne);
  }

  /** The three steps of a submission: on the intake list, the job's hash, into the queue. */
  private Future<Void> store(Job job, Map<String, String> options) {
    return INTAKE.run(redis, List.of(RedisKeys.INTAKE, RedisKeys.ARRIVALS, RedisKeys.UPLOADS),
            List.of(job.id(), System.currentTimeMillis(), job.itemized() ? "1" : "0"))
        .compose(arrival -> {
          Map<String, String> hash = new HashMap<>(options);
          hash.putAll(job.toHash());
          hash.put(JobFields.ARRIVAL, arrival.toString());
          hash.put(JobFields.VERSION, "1");
          List<Object> args = new ArrayList<>();
          for (Map.Entry<String, String> field : hash.entrySet()) {
            args.add(field.getKey());
            args.add(field.getValue());
          }
          return CREATE.run(redis, List.of(RedisKeys.job(job.id())), args, ack)
              .compose(created -> projection.settleSubmitted(job.id(), hash));
        })
        // Too slow: the repair sweep dropped the submission, perhaps before its hash was stored.
        .recover(failure -> isIntakeExpired(failure) ? deleteJob(job.id()).compose(deleted -> Future.failedFuture(failure))
            : Future.failedFuture(failure))
        .mapEmpty();
  }

  /**
   * The next job for this dispatcher, or null when none may start now: a big job while fewer than
   * {@code maxActiveJobs} big ones run (0 when this dispatcher takes none now), a small one while
   * fewer than {@code maxActiveSmallJobs} small ones run.
   *
   * @param expressLogEnd the express log's end offset, asked of Kafka before this call: where a
   *     small job's records can start ({@link JobFields#LOG_FROM}), kept in the job's hash as it
   *     starts, before any of its tasks is sent
   */
  public Future<Admission> admit(String owner, int maxActiveJobs, int maxActiveSmallJobs, long leaseMs,
      long expressLogEnd) {
    List<String> keys = List.of(RedisKeys.WAITING, RedisKeys.ACTIVE, RedisKeys.LEASES, RedisKeys.DELAYED,
        RedisKeys.DELAYED_SCORES, RedisKeys.LEASE_OWNERS, RedisKeys.VERSIONS, RedisKeys.ALL_JOBS,
        RedisKeys.byStatus(JobState.QUEUED), RedisKeys.byStatus(JobState.RUNNING), RedisKeys.WAITING_EXPRESS,
        RedisKeys.ACTIVE_EXPRESS, RedisKeys.EXPRESS_JOBS);
    return ADMIT.run(redis, keys,
            List.of(System.currentTimeMillis(), maxActiveJobs, owner, leaseMs, maxActiveSmallJobs), ack)
        .compose(reply -> {
          if (reply == null || reply.size() == 0) {
            return Future.succeededFuture(null);
          }
          String jobId = reply.get(0).toString();
          boolean resumed = "resumed".equals(reply.get(1).toString());
          return START.run(redis, List.of(RedisKeys.job(jobId), RedisKeys.retries(jobId)),
                  List.of(reply.get(2).toLong(), System.currentTimeMillis(), expressLogEnd), ack)
              .compose(started -> switch (started.get(0).toString()) {
                case "started", "running" -> {
                  Map<String, String> hash = JobStore.toMap(started.get(2));
                  yield Future.succeededFuture(new Admission(Job.fromHash(hash), resumed,
                      Long.parseLong(hash.getOrDefault(JobFields.PRODUCED, "0")), started.get(1).toLong()));
                }
                // The job changed after it was queued: the queue takes the change in, and the
                // next job is looked at.
                default -> projection.settle(jobId)
                    .compose(settled -> admit(owner, maxActiveJobs, maxActiveSmallJobs, leaseMs, expressLogEnd));
              });
        });
  }

  /**
   * Records that the first {@code produced} tasks are safely in Kafka and renews the lease.
   * Resolves false when the lease is lost: the fan-out must stop.
   */
  public Future<Boolean> checkpoint(String jobId, String owner, long leaseMs, long produced) {
    return saveProduced(jobId, produced).compose(saved -> renewLease(jobId, owner, leaseMs));
  }

  /** Renews the fan-out lease, as when its first step takes long; resolves false when it is lost. */
  public Future<Boolean> renewLease(String jobId, String owner, long leaseMs) {
    return CHECKPOINT.run(redis, List.of(RedisKeys.LEASES, RedisKeys.LEASE_OWNERS),
            List.of(jobId, owner, System.currentTimeMillis() + leaseMs))
        .map(JobQueue::isOne);
  }

  /** Ends the fan-out: all {@code produced} tasks are in Kafka. */
  public Future<Boolean> release(String jobId, String owner, long produced) {
    return saveProduced(jobId, produced)
        .compose(saved -> RELEASE.run(redis, List.of(RedisKeys.LEASES, RedisKeys.LEASE_OWNERS), List.of(jobId, owner)))
        .map(JobQueue::isOne);
  }

  private Future<Response> saveProduced(String jobId, long produced) {
    return PRODUCED.run(redis, List.of(RedisKeys.job(jobId)), List.of(produced));
  }

  /**
   * Cancels a queued or running job and resolves with the state it was in. Fails with
   * {@link NoSuchJobException} or, for a finished job, {@link IllegalStateChangeException}.
   */
  public Future<JobState> cancel(String jobId) {
    return changeThenSettle(jobId, () -> CANCEL.run(redis, List.of(RedisKeys.job(jobId)),
            List.of(System.currentTimeMillis()), ack))
        .compose(reply -> outcome(jobId, reply, JobState.CANCELLED));
  }

  /** Changes the priority of a queued job; fails like {@link #cancel} for others. */
  public Future<JobState> reprioritize(String jobId, int priority) {
    return changeThenSettle(jobId, () -> REPRIORITIZE.run(redis, List.of(RedisKeys.job(jobId)),
            List.of(priority, System.currentTimeMillis())))
        .compose(reply -> outcome(jobId, reply, JobState.QUEUED));
  }

  /**
   * Queues a failed job's failed tasks to run again; resolves with how many. Fails like
   * {@link #cancel} for a job that is not failed.
   */
  public Future<Long> retryFailed(String jobId) {
    List<String> keys = List.of(RedisKeys.job(jobId), RedisKeys.failedBits(jobId), RedisKeys.failures(jobId),
        RedisKeys.retries(jobId), RedisKeys.loggedBits(jobId));
    return changeThenSettle(jobId, () -> RETRY.run(redis, keys, List.of(System.currentTimeMillis()), ack))
        .compose(reply -> outcome(jobId, reply, JobState.QUEUED)
            .map(queued -> reply.get(1).toLong()));
  }

  /**
   * Changes a job on its shard and then takes the change into the queue. The change is recorded
   * as unsettled first, so that if this process dies in between, {@link #repair} finishes it.
   */
  private Future<Response> changeThenSettle(String jobId, Supplier<Future<Response>> change) {
    String member = jobId + ":" + UUID.randomUUID();
    return redis.send(Request.cmd(Command.ZADD).arg(RedisKeys.UNSETTLED).arg(System.currentTimeMillis()).arg(member))
        .compose(recorded -> change.get())
        .compose(reply -> projection.settle(jobId, QueueProjection.Marker.UNSETTLED, member).map(reply));
  }

  /**
   * Finishes what a process that died between two steps left undone (see the class comment):
   * submissions never queued are deleted, recorded changes older than {@code graceMs} and ends of
   * jobs still active are taken into the queue. Every dispatcher runs it now and then; running it
   * twice at once is harmless.
   */
  public Future<Void> repair(long graceMs) {
    long before = System.currentTimeMillis() - graceMs;
    Future<Void> intakes = olderThan(RedisKeys.INTAKE, before).compose(ids -> each(ids, this::dropSubmission));
    Future<Void> changes = olderThan(RedisKeys.UNSETTLED, before).compose(members -> each(members,
        member -> projection.settle(member.substring(0, member.lastIndexOf(':')), QueueProjection.Marker.UNSETTLED,
            member)));
    Future<Void> ends = redis.send(Request.cmd(Command.ZRANGE).arg(RedisKeys.ACTIVE).arg(0).arg(REPAIR_BATCH - 1))
        .map(JobQueue::strings)
        .compose(ids -> each(ids, jobId -> redis.send(Request.cmd(Command.HGET).arg(RedisKeys.job(jobId)).arg(JobFields.STATUS))
            .compose(status -> status == null || JobState.fromWire(status.toString()).isFinal()
                ? projection.settle(jobId)
                : Future.succeededFuture())));
    return Future.all(intakes, changes, ends).mapEmpty();
  }

  /** Deletes what a submission stored that was never queued, once it is taken off the intake list. */
  private Future<?> dropSubmission(String jobId) {
    return redis.send(Request.cmd(Command.ZREM).arg(RedisKeys.INTAKE).arg(jobId)).compose(removed -> {
      if (!isOne(removed)) {
        return Future.succeededFuture();
      }
      return deleteJob(jobId);
    });
  }

  private Future<Response> deleteJob(String jobId) {
    Request delete = Request.cmd(Command.DEL);
    RedisKeys.jobKeys(jobId).forEach(delete::arg);
    return redis.send(delete);
  }

  private static boolean isIntakeExpired(Throwable failure) {
    return failure.getMessage() != null && failure.getMessage().startsWith("INTAKE_EXPIRED");
  }

  private Future<List<String>> olderThan(String set, long before) {
    return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(set).arg("-inf").arg(before)
        .arg("LIMIT").arg(0).arg(REPAIR_BATCH)).map(JobQueue::strings);
  }

  private static Future<Void> each(List<String> values, Function<String, Future<?>> step) {
    return Future.join(values.stream().map(step).toList()).mapEmpty();
  }

  private static List<String> strings(Response reply) {
    List<String> values = new ArrayList<>(reply.size());
    reply.forEach(value -> values.add(value.toString()));
    return values;
  }

  /** Up to {@code limit} running jobs, longest running first. */
  public Future<List<String>> running(int limit) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(RedisKeys.ACTIVE).arg(0).arg(limit - 1))
        .map(reply -> reply.stream().map(Response::toString).toList());
  }

  /**
   * How many jobs wait, run, are delayed, and have finished in each way; {@code waiting} and
   * {@code active} count both lanes, {@code waitingSmall} and {@code activeSmall} the express lane's part.
   */
  public Future<JsonObject> stats() {
    List<Request> counts = List.of(
        Request.cmd(Command.ZCARD).arg(RedisKeys.WAITING),
        Request.cmd(Command.ZCARD).arg(RedisKeys.ACTIVE),
        Request.cmd(Command.ZCARD).arg(RedisKeys.DELAYED),
        Request.cmd(Command.ZCARD).arg(RedisKeys.byStatus(JobState.COMPLETED)),
        Request.cmd(Command.ZCARD).arg(RedisKeys.byStatus(JobState.FAILED)),
        Request.cmd(Command.ZCARD).arg(RedisKeys.byStatus(JobState.CANCELLED)),
        Request.cmd(Command.ZCARD).arg(RedisKeys.WAITING_EXPRESS),
        Request.cmd(Command.ZCARD).arg(RedisKeys.ACTIVE_EXPRESS));
    return redis.batch(counts).map(replies -> new JsonObject()
        .put("waiting", replies.get(0).toLong() + replies.get(6).toLong())
        .put("active", replies.get(1).toLong())
        .put("delayed", replies.get(2).toLong())
        .put("completed", replies.get(3).toLong())
        .put("failed", replies.get(4).toLong())
        .put("cancelled", replies.get(5).toLong())
        .put("waitingSmall", replies.get(6).toLong())
        .put("activeSmall", replies.get(7).toLong()));
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
