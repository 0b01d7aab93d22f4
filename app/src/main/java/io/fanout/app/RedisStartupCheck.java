package io.fanout.app;

import io.fanout.core.RedisClients;
import io.fanout.core.RedisDiagnosis;
import io.fanout.core.RedisHealth;
import io.fanout.core.Settings;
import io.fanout.core.SettingsRefusedException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.redis.client.Redis;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fail fast: before any verticle is deployed, Fanout connects to Redis once (the connection
 * authenticates and, with rediss://, checks the server's certificate) and asks its role. Wrong
 * credentials, a TLS failure or a replica where a master belongs refuse the start at once; a Redis
 * that does not answer is asked again until REDIS_CONNECT_TIMEOUT_MS. Either way the operator gets
 * one message naming the setting, instead of every verticle logging reconnect warnings.
 */
final class RedisStartupCheck {
  private static final Logger LOG = LoggerFactory.getLogger(RedisStartupCheck.class);
  private static final long RETRY_MS = 250;

  private RedisStartupCheck() {}

  /** Starts {@link #verify} on a thread of its own, so that it can overlap other steps of a start. */
  static CompletableFuture<Void> begin(Settings settings) {
    return CompletableFuture.runAsync(() -> verify(settings),
        check -> new Thread(check, "fanout-redis-check").start());
  }

  /** Waits for a check {@link #begin} started; its refusal is thrown as it was. */
  static void finish(CompletableFuture<Void> check) {
    try {
      check.join();
    } catch (CompletionException failed) {
      throw failed.getCause() instanceof RuntimeException refused ? refused : failed;
    }
  }

  /** Returns once Redis answers as a master; else throws {@link SettingsRefusedException}. */
  static void verify(Settings settings) {
    RedisClients.options(settings);
    long timeoutMs = settings.longValue(Settings.REDIS_CONNECT_TIMEOUT_MS);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    // A small instance of its own, for one client and one connection, gone before the real one starts.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    Redis redis = RedisClients.create(vertx, settings);
    try {
      RedisHealth health = new RedisHealth(redis, settings);
      while (true) {
        long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        // As a value: the client's failures include Throwables that are not Exceptions.
        AsyncResult<RedisHealth.Report> probed = health.probe().timeout(leftMs, TimeUnit.MILLISECONDS)
            .transform(Future::succeededFuture).await();
        if (probed.succeeded()) {
          accept(probed.result(), settings);
          return;
        }
        Throwable failure = probed.cause();
        boolean lasting = RedisDiagnosis.isLasting(failure, settings);
        if (lasting || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_MS) > deadline) {
          throw new SettingsRefusedException(RedisDiagnosis.explain(failure, settings)
              + (lasting ? "" : "; gave up after " + timeoutMs + " ms (REDIS_CONNECT_TIMEOUT_MS)"));
        }
        pause();
      }
    } finally {
      redis.close();
      vertx.close().await();
    }
  }

  /** A master short of the replicas REDIS_MIN_REPLICAS_ACK wants may be resyncing one: said, not refused. */
  private static void accept(RedisHealth.Report report, Settings settings) {
    String where = RedisClients.describe(settings);
    if (report.up()) {
      LOG.info("Redis answers at {}: {}", where, report.detail().encode());
    } else if ("master".equals(report.detail().getString("role"))) {
      LOG.warn("Redis at {}: {}", where, report.detail().getString("reason"));
    } else {
      throw new SettingsRefusedException(report.detail().getString("reason") + ", for " + where);
    }
  }

  private static void pause() {
    try {
      Thread.sleep(RETRY_MS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      throw new SettingsRefusedException("interrupted while waiting for Redis");
    }
  }
}
