package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The uploads of datasets in flight and the bytes staged in Kafka for them and for queued
 * datasets, on the queue's shard (upload.lua). It bounds what intake accepts
 * ({@code STAGING_BUDGET_BYTES}) and remembers every staging topic that is not yet a job's, so
 * that one whose upload stopped (refused, cut off, or its API process dead) is deleted.
 *
 * <p>An upload and its job are a change of two shards plus Kafka, made safe like the queue's
 * other such changes ({@link JobQueue}): the upload is registered here before its topic is
 * created, marked alive as it writes, and taken off by project.lua in the step that queues its
 * job. If the API dies anywhere before that, the entry stays and goes stale; the sweep
 * ({@link #abandon}) then marks it abandoned (which a late submission of it is refused by:
 * intake.lua), deletes the topic, and only then drops the entry, so a sweep that dies halfway is
 * done again by the next one.
 */
public final class StagingLedger {
  private static final RedisScript UPLOAD = RedisScript.named("upload");
  private static final List<String> KEYS = List.of(RedisKeys.UPLOADS, RedisKeys.STAGED, RedisKeys.STAGED_BYTES,
      RedisKeys.INTAKE, RedisKeys.VERSIONS);

  /** What the ledger said to an upload: go on, over the budget (with the bytes staged), or dropped. */
  public record Verdict(boolean accepted, boolean abandoned, long stagedBytes) {}

  private final Redis redis;

  public StagingLedger(Redis redis) {
    this.redis = redis;
  }

  /** Registers an upload of about {@code announcedBytes} (0 if unknown) if the budget has room. */
  public Future<Verdict> open(String jobId, long announcedBytes, long budgetBytes) {
    return run(jobId, "open", announcedBytes, budgetBytes).map(StagingLedger::verdict);
  }

  /** Counts bytes an upload wrote to its staging topic, and marks it alive. */
  public Future<Verdict> grow(String jobId, long bytes, long budgetBytes) {
    return run(jobId, "grow", bytes, budgetBytes).map(StagingLedger::verdict);
  }

  /** Forgets an upload that was refused or cut off, once its staging topic is deleted. */
  public Future<Void> discard(String jobId) {
    return run(jobId, "discard").mapEmpty();
  }

  /**
   * Marks the upload abandoned if it wrote nothing since {@code staleBefore} and is not being
   * submitted; resolves true if it was. Its topic is then to be deleted, and it discarded.
   */
  public Future<Boolean> abandon(String jobId, long staleBefore) {
    return run(jobId, "abandon", staleBefore).map(reply -> "abandoned".equals(reply.get(0).toString()));
  }

  /** Up to {@code limit} uploads silent since before {@code staleBefore} (abandoned ones first). */
  public Future<List<String>> silentSince(long staleBefore, int limit) {
    return redis.send(Request.cmd(Command.ZRANGEBYSCORE).arg(RedisKeys.UPLOADS).arg("-inf").arg("(" + staleBefore)
            .arg("LIMIT").arg(0).arg(limit))
        .map(reply -> {
          List<String> ids = new ArrayList<>(reply.size());
          reply.forEach(id -> ids.add(id.toString()));
          return ids;
        });
  }

  private Future<Response> run(String jobId, String action, Object... args) {
    List<Object> all = new ArrayList<>(List.of(jobId, action, System.currentTimeMillis()));
    all.addAll(List.of(args));
    return UPLOAD.run(redis, KEYS, all);
  }

  private static Verdict verdict(Response reply) {
    return switch (reply.get(0).toString()) {
      case "ok" -> new Verdict(true, false, 0);
      case "abandoned" -> new Verdict(false, true, 0);
      default -> new Verdict(false, false, reply.get(1).toLong());
    };
  }
}
