package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Whether Fanout can count in Redis right now, for {@code /health}: Redis must answer, and be a
 * master (a replica refuses every write with READONLY; with Sentinel, no master means a failover
 * is under way) with at least REDIS_MIN_REPLICAS_ACK replicas connected, else no round of tasks
 * can be committed.
 */
public final class RedisHealth {
  /** {@code summary} is "UP" or "DOWN: why"; {@code detail} what was found, for the body of /health. */
  public record Report(boolean up, String summary, JsonObject detail) {}

  private final Redis redis;
  private final Settings settings;
  private final ReplicaAck ack;

  public RedisHealth(Redis redis, Settings settings) {
    this.redis = redis;
    this.settings = settings;
    this.ack = ReplicaAck.from(settings);
  }

  /** Never fails: an unreachable Redis is a DOWN report. */
  public Future<Report> check(long timeoutMs) {
    return probe()
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .otherwise(failure -> down(detailBase(), RedisDiagnosis.explain(failure, settings)));
  }

  /**
   * Asks Redis for its role; fails if Redis cannot be reached or refuses this client (the
   * failure as the client gave it, for the caller to judge), else reports what it found.
   */
  public Future<Report> probe() {
    JsonObject detail = detailBase();
    return redis.send(Request.cmd(Command.ROLE))
        .map(role -> fromRole(role, detail))
        // A managed Redis may forbid ROLE; answering PING is then all that can be known.
        .recover(failure -> String.valueOf(failure.getMessage()).startsWith("NOPERM")
            ? redis.send(Request.cmd(Command.PING)).map(pong -> up(detail.put("role", "unknown (ROLE not permitted)")))
            : Future.failedFuture(failure));
  }

  private JsonObject detailBase() {
    RedisClientType type = RedisClients.type(settings);
    JsonObject detail = new JsonObject().put("type", type.name().toLowerCase(Locale.ROOT));
    if (type == RedisClientType.SENTINEL) {
      detail.put("masterName", settings.string(Settings.REDIS_MASTER_NAME));
    }
    return detail.put("minReplicasAck", ack.replicas());
  }

  private Report fromRole(Response role, JsonObject detail) {
    String kind = role.get(0).toString();
    switch (kind) {
      case "master" -> {
        int replicas = role.get(2) == null ? 0 : role.get(2).size();
        detail.put("role", "master").put("connectedReplicas", replicas);
        return replicas < ack.replicas()
            ? down(detail, "the Redis master has " + replicas + " connected replica(s) and REDIS_MIN_REPLICAS_ACK is "
                + ack.replicas() + ": no finished task can be committed until a replica is back")
            : up(detail);
      }
      case "slave" -> {
        detail.put("role", "replica").put("master", role.get(1) + ":" + role.get(2)).put("link", role.get(3).toString());
        return down(detail, "REDIS_URL reaches a replica, which refuses writes (READONLY); point it at the master"
            + (RedisClients.type(settings) == RedisClientType.SENTINEL ? "" : ", or use REDIS_TYPE=sentinel"));
      }
      default -> {
        detail.put("role", kind);
        return down(detail, "REDIS_URL reaches a " + kind + ", not a Redis master; with sentinels set REDIS_TYPE=sentinel");
      }
    }
  }

  private static Report up(JsonObject detail) {
    return new Report(true, "UP", detail.put("status", "UP"));
  }

  private static Report down(JsonObject detail, String why) {
    return new Report(false, "DOWN: " + why, detail.put("status", "DOWN").put("reason", why));
  }
}
