package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Reads jobs from Redis and counts their finished tasks exactly once. */
public final class JobStore {
  private static final RedisScript COMPLETE = RedisScript.named("complete");
  private static final RedisScript LOGGED = RedisScript.named("logged");
  private static final RedisScript TOPICS_DELETED = RedisScript.named("topics-deleted");

  /**
   * What one completion call changed.
   *
   * @param countedNow how many of the outcomes this call counted (the others were repeats)
   * @param notToLog the repeats already in the job's log. Outcomes counted now, and repeats whose
   *     log record was lost with the worker that counted them, are to be logged.
   * @param finishedNow whether this call moved the job to its final state, or is to announce it
   *     again because the record of its end was lost (true once, unless a record is lost)
   * @param unloggedElsewhere when this call would have ended the job but tasks counted before are
   *     not yet in its log: how many. Nothing was counted; the outcomes are to be brought again.
   */
  public record Completion(long done, long failed, JobState status, boolean finishedNow, long countedNow,
      long unloggedElsewhere, Set<Long> notToLog) {

    /** Whether the outcomes were left uncounted until the job's other counted tasks are logged. */
    public boolean waitsForLog() {
      return unloggedElsewhere > 0;
    }

    /**
     * Whether the outcome of this task goes to the job's log: never for a cancelled, re-queued or
     * deleted job, nor for outcomes left uncounted.
     */
    public boolean logs(long index) {
      boolean logging = status == JobState.RUNNING || status == JobState.COMPLETED || status == JobState.FAILED;
      return logging && !waitsForLog() && !notToLog.contains(index);
    }
  }

  private final Redis redis;
  private final ReplicaAck countsAck;
  private final QueueProjection projection;

  public JobStore(Redis redis) {
    this(redis, ReplicaAck.NONE);
  }

  /**
   * @param countsAck the replicas that must hold a count before {@link #recordOutcomes} resolves:
   *     a worker commits the Kafka offsets past counted tasks only then, so a failover cannot lose
   *     a count whose tasks will never run again
   */
  public JobStore(Redis redis, ReplicaAck countsAck) {
    this.redis = redis;
    this.countsAck = countsAck;
    this.projection = new QueueProjection(redis, countsAck);
  }

  /** The job, or null if there is none with that id. */
  public Future<Job> find(String jobId) {
    return redis.send(Request.cmd(Command.HGETALL).arg(RedisKeys.job(jobId)))
        .map(JobStore::toMap)
        .map(hash -> hash.isEmpty() ? null : Job.fromHash(hash));
  }

  /** How many index entries one listing reads at most when it filters by type. */
  static final int MAX_SCANNED = 2000;

  /** Some jobs, and the cursor of the page after them (null on the last page). */
  public record Page(List<Job> jobs, Long next) {}

  /**
   * A page of jobs, newest first, in one state or in any, of one type or of any: those that
   * arrived before the cursor {@code before} (exclusive; {@link Long#MAX_VALUE} for the first
   * page). The indexes are by state only, so a type is filtered here, reading the index a page at
   * a time; a page may hold fewer than {@code limit} jobs (with a cursor to go on) once
   * {@link #MAX_SCANNED} ids were read, so that a rare type cannot make one call read every job.
   */
  public Future<Page> list(JobState status, String type, int limit, long before) {
    String index = status == null ? RedisKeys.ALL_JOBS : RedisKeys.byStatus(status);
    return scan(index, type, limit, before, new ArrayList<>(), 0);
  }

  private Future<Page> scan(String index, String type, int limit, long before, List<Job> found, int scanned) {
    int want = limit - found.size();
    Request page = Request.cmd(Command.ZRANGE).arg(index).arg("(" + before).arg("-inf")
        .arg("BYSCORE").arg("REV").arg("LIMIT").arg(0).arg(want).arg("WITHSCORES");
    return redis.send(page).compose(reply -> {
      List<String> ids = new ArrayList<>();
      long last = 0;
      // WITHSCORES answers member, score, ... over RESP2 and [member, score] pairs over RESP3.
      for (int i = 0; i < reply.size(); i++) {
        Response entry = reply.get(i);
        if (entry.size() == 2) {
          ids.add(entry.get(0).toString());
          last = (long) Double.parseDouble(entry.get(1).toString());
        } else if (i % 2 == 0) {
          ids.add(entry.toString());
        } else {
          last = (long) Double.parseDouble(entry.toString());
        }
      }
      boolean more = ids.size() == want;
      long cursor = last;
      // One read per job, not a batch: on Redis Cluster the jobs live on different shards.
      List<Future<Job>> jobs = ids.stream().map(this::find).toList();
      return Future.all(jobs).compose(all -> {
        jobs.stream()
            .map(Future::result)
            .filter(job -> job != null && (type == null || type.equals(job.type())))
            .forEach(found::add);
        int read = scanned + ids.size();
        if (!more || found.size() == limit) {
          return Future.succeededFuture(new Page(List.copyOf(found), more ? cursor : null));
        }
        if (read >= MAX_SCANNED) {
          return Future.succeededFuture(new Page(List.copyOf(found), cursor));
        }
        return scan(index, type, limit, cursor, found, read);
      });
    });
  }

  /** The job's last log record, kept in Redis so it outlives the job's log topic. */
  public Future<JsonObject> lastLog(String jobId) {
    return redis.send(Request.cmd(Command.HGET).arg(RedisKeys.job(jobId)).arg(JobFields.LAST_LOG))
        .map(reply -> reply == null ? null : new JsonObject(reply.toString()));
  }

  public Future<Void> saveLastLog(String jobId, JsonObject record) {
    return redis.send(Request.cmd(Command.HSET).arg(RedisKeys.job(jobId)).arg(JobFields.LAST_LOG).arg(record.encode()))
        .mapEmpty();
  }

  /** A task that succeeded, and what it adds to the job's reduced sum (null: nothing). */
  public record Success(long index, Double addsToSum) {}

  /** A task that failed for good, with the record kept in the job's failure list. */
  public record Failure(long index, JsonObject record) {}

  /**
   * Records the outcomes of some tasks of one job, each task at most once in a call. Repeats (a
   * task re-run after a crash or a rebalance) are recognised by the job's bitmaps and not counted
   * again.
   *
   * @param singleResult the task's result when the job has one task, else null
   * @param lastLog the log record (JSON) of the last of these outcomes
   * @param endOnceLogged whether the job may end in this call only if every task counted before
   *     is in its log ({@link Completion#waitsForLog}); false to end it regardless
   */
  public Future<Completion> recordOutcomes(String jobId, List<Success> successes, List<Failure> failures,
      JsonObject singleResult, String lastLog, boolean endOnceLogged) {
    List<Object> args = new ArrayList<>();
    args.add(System.currentTimeMillis());
    args.add(singleResult == null ? "" : singleResult.encode());
    args.add(lastLog == null ? "" : lastLog);
    args.add(endOnceLogged ? successes.size() + failures.size() : 0);
    args.addAll(TaskBits.asArguments(TaskBits.of(successes.stream().mapToLong(Success::index).toArray())));
    // Most task types add nothing to a sum: only those that do send a value per task.
    List<Success> summed = successes.stream().filter(success -> success.addsToSum() != null).toList();
    args.add(summed.size());
    for (Success success : summed) {
      args.add(success.index());
      args.add(success.addsToSum());
    }
    for (Failure failure : failures) {
      args.add(failure.index());
      args.add(failure.record().encode());
    }
    List<String> keys = new ArrayList<>(List.of(RedisKeys.job(jobId), RedisKeys.doneBits(jobId),
        RedisKeys.failedBits(jobId), RedisKeys.failures(jobId), RedisKeys.loggedBits(jobId)));
    keys.addAll(RedisKeys.scratchBits(jobId, 3));
    return COMPLETE.run(redis, keys, args, countsAck).map(JobStore::toCompletion).compose(completion -> completion.finishedNow()
        // The queue takes the job's end in: it leaves the active set and its topics may go. If
        // this fails, the queue's repair sweep does it (JobQueue.repair).
        ? projection.settle(jobId).map(completion).recover(failure -> Future.succeededFuture(completion))
        : Future.succeededFuture(completion));
  }

  /** Failure records [from, from + limit) of a job. */
  public Future<List<JsonObject>> failures(String jobId, long from, int limit) {
    return range(RedisKeys.failures(jobId), from, from + limit).map(records -> records.stream()
        .map(JsonObject::new)
        .toList());
  }

  /**
   * Marks a finished job's topics deleted and drops its bitmaps and retry list, in one step:
   * workers then skip any copy of its tasks that still comes.
   */
  public Future<Void> topicsDeleted(String jobId) {
    List<String> keys = new ArrayList<>(List.of(RedisKeys.job(jobId)));
    keys.addAll(RedisKeys.runKeys(jobId));
    return TOPICS_DELETED.run(redis, keys, List.of(System.currentTimeMillis())).mapEmpty();
  }

  /** Task indexes [from, to) of a retry run. */
  public Future<List<Long>> retryIndexes(String jobId, long from, long to) {
    return range(RedisKeys.retries(jobId), from, to).map(records -> records.stream()
        .map(record -> new JsonObject(record).getLong("index"))
        .toList());
  }

  private Future<List<String>> range(String list, long from, long to) {
    return redis.send(Request.cmd(Command.LRANGE).arg(list).arg(from).arg(to - 1)).map(reply -> {
      List<String> values = new ArrayList<>(reply.size());
      reply.forEach(value -> values.add(value.toString()));
      return values;
    });
  }

  /**
   * Records that these tasks' log records are in Kafka and, with the job's end record written
   * beside them ({@code endRecord}, else null), keeps it as the job's last log record: one step.
   */
  public Future<Void> markLogged(String jobId, List<Long> indexes, JsonObject endRecord) {
    if (indexes.isEmpty() && endRecord == null) {
      return Future.succeededFuture();
    }
    long[] all = indexes.stream().mapToLong(Long::longValue).toArray();
    List<String> keys = new ArrayList<>(List.of(RedisKeys.loggedBits(jobId)));
    keys.addAll(RedisKeys.scratchBits(jobId, 3));
    keys.add(RedisKeys.job(jobId));
    keys.add(RedisKeys.doneBits(jobId));
    keys.add(RedisKeys.failedBits(jobId));
    List<Object> args = new ArrayList<>();
    args.add(endRecord == null ? "" : endRecord.encode());
    args.addAll(TaskBits.asArguments(TaskBits.of(all)));
    return LOGGED.run(redis, keys, args).mapEmpty();
  }

  private static Completion toCompletion(Response reply) {
    Set<Long> notToLog = new HashSet<>();
    for (int i = 6; i < reply.size(); i++) {
      notToLog.add(reply.get(i).toLong());
    }
    String status = reply.get(2).toString();
    return new Completion(reply.get(0).toLong(), reply.get(1).toLong(),
        "unknown".equals(status) ? null : JobState.fromWire(status), reply.get(3).toLong() == 1L,
        reply.get(4).toLong(), reply.get(5).toLong(), notToLog);
  }

  // HGETALL answers a flat field, value, ... list over RESP2 and a map over RESP3.
  static Map<String, String> toMap(Response reply) {
    Map<String, String> map = new HashMap<>();
    if (reply == null) {
      return map;
    }
    if (reply.getKeys() != null && !reply.getKeys().isEmpty()) {
      for (String key : reply.getKeys()) {
        map.put(key, reply.get(key).toString());
      }
      return map;
    }
    for (int i = 0; i + 1 < reply.size(); i += 2) {
      map.put(reply.get(i).toString(), reply.get(i + 1).toString());
    }
    return map;
  }
}
