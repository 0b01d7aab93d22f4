package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;

/**
 * How many replicas must hold a write before Fanout acts on it (REDIS_MIN_REPLICAS_ACK, within
 * REDIS_ACK_TIMEOUT_MS). Redis replicates asynchronously, so a master that dies can take its last
 * writes with it; a write a replica acknowledged survives the failover that promotes that replica.
 * Redis's {@code WAIT} counts the writes of its own connection, so it is sent on the connection
 * that wrote, right after the write.
 */
public record ReplicaAck(int replicas, long timeoutMs) {
  public static final ReplicaAck NONE = new ReplicaAck(0, 0);

  /** A write that Redis made but too few replicas acknowledged in time: it may be lost in a failover. */
  public static final class NotAcknowledged extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotAcknowledged(long acknowledged, ReplicaAck ack) {
      super(acknowledged + " of the " + ack.replicas() + " replicas REDIS_MIN_REPLICAS_ACK asks for acknowledged "
          + "the write within " + ack.timeoutMs() + " ms (REDIS_ACK_TIMEOUT_MS)");
    }
  }

  public static ReplicaAck from(Settings settings) {
    int replicas = settings.integer(Settings.REDIS_MIN_REPLICAS_ACK);
    long timeoutMs = settings.longValue(Settings.REDIS_ACK_TIMEOUT_MS);
    if (replicas < 0) {
      throw new SettingsRefusedException("REDIS_MIN_REPLICAS_ACK must be 0 (off) or more, got " + replicas);
    }
    if (replicas > 0 && (timeoutMs < 1 || timeoutMs > 1500)) {
      // A worker's round waits 2 s for its count, inside a Kafka transaction that may stay open 5 s;
      // and WAIT 0 would mean "forever".
      throw new SettingsRefusedException("REDIS_ACK_TIMEOUT_MS must be between 1 and 1500, got " + timeoutMs);
    }
    return replicas == 0 ? NONE : new ReplicaAck(replicas, timeoutMs);
  }

  public boolean enabled() {
    return replicas > 0;
  }

  /** On the connection that just wrote: resolves once enough replicas hold what it wrote. */
  Future<Void> await(RedisConnection connection) {
    return connection.send(Request.cmd(Command.WAIT).arg(replicas).arg(timeoutMs))
        .compose(reply -> reply.toLong() >= replicas
            ? Future.succeededFuture()
            : Future.failedFuture(new NotAcknowledged(reply.toLong(), this)));
  }
}
