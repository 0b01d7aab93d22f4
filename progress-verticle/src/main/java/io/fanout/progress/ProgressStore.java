package io.fanout.progress;

import io.fanout.core.JobFields;
import io.fanout.core.ProgressSnapshot;
import io.fanout.core.RedisKeys;
import io.fanout.core.RedisScript;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * Progress as Redis holds it: the job's authoritative counts, and beside them in the job's hash
 * the last snapshot published for it ({@code progressSeq}, {@code progressAt}, {@code progressRate}
 * ...), which is how progress verticles on any node agree on who publishes what.
 */
final class ProgressStore {
  /** Time constant of the rate's moving average: smooth, yet follows a change within seconds. */
  static final long RATE_WINDOW_MS = 3000;

  /** A log record longer than this is trimmed before it travels in every snapshot. */
  static final int MAX_LAST_LOG_CHARS = 2000;

  private static final RedisScript CLAIM = RedisScript.beside(ProgressStore.class, "claim-snapshot.lua");

  /** What a claim found, and the snapshot to publish when it won. */
  enum Outcome { PUBLISH, UP_TO_DATE, TOO_SOON, GONE }

  record Claim(Outcome outcome, long waitMs, ProgressSnapshot snapshot) {}

  private final Redis redis;

  ProgressStore(Redis redis) {
    this.redis = redis;
  }

  /**
   * Asks for the right to publish the job's current state. Only one caller in the cluster wins
   * each new state, and not twice within {@code minIntervalMs} unless the job has finished.
   */
  Future<Claim> claim(String jobId, long lastIndexHeard, long minIntervalMs) {
    return CLAIM.run(redis, List.of(RedisKeys.job(jobId)), List.of(minIntervalMs, lastIndexHeard, RATE_WINDOW_MS))
        .map(reply -> toClaim(jobId, reply));
  }

  /** The job's state as of now, for a browser that has just subscribed; null if there is no such job. */
  Future<ProgressSnapshot> current(String jobId) {
    Request read = Request.cmd(Command.HMGET).arg(RedisKeys.job(jobId))
        .arg(JobFields.STATUS).arg(JobFields.DONE).arg(JobFields.FAILED).arg(JobFields.TOTAL).arg(JobFields.GENERATION)
        .arg(JobFields.PROGRESS_RATE).arg(JobFields.PROGRESS_LAST_INDEX).arg(JobFields.LAST_LOG);
    return redis.send(read).map(reply -> {
      String status = text(reply.get(0));
      if (status == null) {
        return null;
      }
      long done = number(reply.get(1), 0);
      long failed = number(reply.get(2), 0);
      long total = number(reply.get(3), 0);
      boolean isFinal = ProgressSnapshot.isFinal(status);
      double rate = isFinal || reply.get(5) == null ? 0 : Double.parseDouble(reply.get(5).toString());
      return new ProgressSnapshot(jobId,
          ProgressSnapshot.seqOf(number(reply.get(4), 0), done, failed, isFinal),
          done, failed, total, status, rate, ProgressSnapshot.etaMs(status, done, failed, total, rate),
          number(reply.get(6), -1), System.currentTimeMillis(), lastLogOf(text(reply.get(7))));
    });
  }

  private static Claim toClaim(String jobId, Response reply) {
    int code = reply.get(0).toInteger();
    return switch (code) {
      case 1 -> new Claim(Outcome.PUBLISH, 0, published(jobId, reply));
      case 0 -> new Claim(Outcome.UP_TO_DATE, reply.get(1).toLong(), null);
      case 2 -> new Claim(Outcome.TOO_SOON, reply.get(1).toLong(), null);
      default -> new Claim(Outcome.GONE, 0, null);
    };
  }

  private static ProgressSnapshot published(String jobId, Response reply) {
    long done = reply.get(2).toLong();
    long failed = reply.get(3).toLong();
    long total = reply.get(4).toLong();
    String status = reply.get(5).toString();
    double rate = Double.parseDouble(reply.get(6).toString());
    return new ProgressSnapshot(jobId, Long.parseLong(reply.get(1).toString()), done, failed, total, status, rate,
        ProgressSnapshot.etaMs(status, done, failed, total, rate), Long.parseLong(reply.get(7).toString()),
        reply.get(8).toLong(), lastLogOf(reply.get(9).toString()));
  }

  /** The record as it is, or with its result or error cut short when it is long. */
  static JsonObject lastLogOf(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    JsonObject record;
    try {
      record = new JsonObject(text);
    } catch (DecodeException e) {
      return null;
    }
    if (text.length() <= MAX_LAST_LOG_CHARS) {
      return record;
    }
    for (String field : new String[] {"result", "error"}) {
      if (record.containsKey(field)) {
        String value = String.valueOf(record.getValue(field));
        record.put(field, value.substring(0, Math.min(value.length(), MAX_LAST_LOG_CHARS / 2)) + "…");
      }
    }
    return record.put("trimmed", true);
  }

  private static String text(Response value) {
    return value == null ? null : value.toString();
  }

  private static long number(Response value, long absent) {
    return value == null ? absent : Long.parseLong(value.toString());
  }
}
