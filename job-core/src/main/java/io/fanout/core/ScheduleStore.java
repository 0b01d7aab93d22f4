package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Schedules in Redis, under the hash tag {@code {schedules}}: their definitions, the due set (by
 * next firing), the firing each is due for, and each one's recent firings. Every change of more
 * than one of them is one script.
 *
 * <p>There is no leader: every dispatcher process claims due schedules now and then
 * ({@link #claimDue}), under a lease, fires them and records the firing ({@link #fired}). The job
 * of a firing is submitted with an idempotency key made of the schedule's id and the firing's
 * time, so a process that dies after submitting and before recording leaves the firing to the next
 * claimer, whose submission finds the same job: each firing is one job.
 */
public final class ScheduleStore {
  private static final RedisScript SAVE = RedisScript.named("schedule-save");
  private static final RedisScript DELETE = RedisScript.named("schedule-delete");
  private static final RedisScript CLAIM = RedisScript.named("schedule-claim");
  private static final RedisScript FIRED = RedisScript.named("schedule-fired");
  private static final List<String> KEYS = List.of(RedisKeys.SCHEDULE_DEFINITIONS, RedisKeys.SCHEDULES_DUE,
      RedisKeys.SCHEDULE_SLOTS);
  /** Firings kept per schedule, shown by {@code GET /schedules/<id>}. */
  public static final int FIRINGS_KEPT = 50;

  /** A schedule claimed for its firing at {@code slot} (epoch ms). */
  public record Due(Schedule schedule, long slot) {}

  private final Redis redis;

  public ScheduleStore(Redis redis) {
    this.redis = redis;
  }

  /** Stores a new schedule, due at {@code nextFiring} unless it is paused. */
  public Future<Void> create(Schedule schedule, Instant nextFiring) {
    return save(schedule, nextFiring, "create").mapEmpty();
  }

  /** Replaces a schedule; resolves false when it is gone. A new next firing replaces the one due. */
  public Future<Boolean> update(Schedule schedule, Instant nextFiring) {
    return save(schedule, nextFiring, "update");
  }

  private Future<Boolean> save(Schedule schedule, Instant nextFiring, String mode) {
    String next = schedule.paused() || nextFiring == null ? "" : Long.toString(nextFiring.toEpochMilli());
    return SAVE.run(redis, KEYS, List.of(schedule.id(), schedule.toJson().encode(), next, mode))
        .map(reply -> reply.toLong() == 1L);
  }

  /** Deletes a schedule; resolves false when there was none. Jobs it submitted stay. */
  public Future<Boolean> delete(String id) {
    List<String> keys = new ArrayList<>(KEYS);
    keys.add(RedisKeys.scheduleFirings(id));
    return DELETE.run(redis, keys, List.of(id)).map(reply -> reply.toLong() == 1L);
  }

  /** The schedule, or null. */
  public Future<Schedule> find(String id) {
    return redis.send(Request.cmd(Command.HGET).arg(RedisKeys.SCHEDULE_DEFINITIONS).arg(id))
        .map(reply -> reply == null ? null : Schedule.fromJson(new JsonObject(reply.toString())));
  }

  /** Every schedule, oldest first. */
  public Future<List<Schedule>> list() {
    return redis.send(Request.cmd(Command.HVALS).arg(RedisKeys.SCHEDULE_DEFINITIONS)).map(reply -> {
      List<Schedule> schedules = new ArrayList<>();
      reply.forEach(value -> schedules.add(Schedule.fromJson(new JsonObject(value.toString()))));
      schedules.sort(Comparator.comparing(Schedule::createdAt).thenComparing(Schedule::id));
      return schedules;
    });
  }

  /** The firing a schedule is due for (epoch ms), or null when it is paused or has no more. */
  public Future<Long> nextFiring(String id) {
    return redis.send(Request.cmd(Command.HGET).arg(RedisKeys.SCHEDULE_SLOTS).arg(id))
        .map(reply -> reply == null ? null : reply.toLong());
  }

  /** A schedule's recent firings, newest first: {@code {"firedFor", "jobId"}}. */
  public Future<JsonArray> firings(String id) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(RedisKeys.scheduleFirings(id)).arg(0).arg(-1)
            .arg("REV").arg("WITHSCORES"))
        .map(ScheduleStore::firingsOf);
  }

  private static JsonArray firingsOf(Response reply) {
    JsonArray firings = new JsonArray();
    // RESP2 answers a flat list, RESP3 a list of pairs.
    List<String> flat = new ArrayList<>();
    reply.forEach(entry -> {
      if (entry.type() == ResponseType.MULTI) {
        entry.forEach(part -> flat.add(part.toString()));
      } else {
        flat.add(entry.toString());
      }
    });
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      firings.add(new JsonObject().put("jobId", flat.get(i))
          .put("firedFor", Instant.ofEpochMilli((long) Double.parseDouble(flat.get(i + 1))).toString()));
    }
    return firings;
  }

  /** Up to {@code limit} schedules due now, leased to this process for {@code leaseMs}. */
  public Future<List<Due>> claimDue(long leaseMs, int limit) {
    return CLAIM.run(redis, KEYS, List.of(System.currentTimeMillis(), leaseMs, limit)).map(reply -> {
      List<Due> due = new ArrayList<>();
      for (int i = 0; i + 2 < reply.size(); i += 3) {
        due.add(new Due(Schedule.fromJson(new JsonObject(reply.get(i + 2).toString())), reply.get(i + 1).toLong()));
      }
      return due;
    });
  }

  /** The idempotency key a firing's job is submitted under: the same in every process, so a firing is one job. */
  public static String firingKey(String scheduleId, long slot) {
    return "schedule:" + scheduleId + ":" + slot;
  }

  /** Whether the firing at {@code slot} was submitted already, by a claimer that died before recording it. */
  public Future<Boolean> submitted(String scheduleId, long slot) {
    return redis.send(Request.cmd(Command.EXISTS).arg(RedisKeys.idempotency(firingKey(scheduleId, slot))))
        .map(reply -> reply.toLong() == 1);
  }

  /**
   * Records that the firing claimed at {@code claimedSlot} submitted {@code jobId} for the firing
   * at {@code firedFor}, and makes {@code next} due (null: the schedule never fires again).
   */
  public Future<Boolean> fired(String id, long claimedSlot, Instant next, String jobId, long firedFor) {
    List<String> keys = new ArrayList<>(KEYS);
    keys.add(RedisKeys.scheduleFirings(id));
    return FIRED.run(redis, keys, List.of(id, claimedSlot, next == null ? "" : next.toEpochMilli(), jobId, firedFor,
        FIRINGS_KEPT)).map(reply -> reply.toLong() == 1L);
  }
}
