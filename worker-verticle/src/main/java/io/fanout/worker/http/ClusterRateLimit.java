package io.fanout.worker.http;

import io.fanout.core.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * One job's {@code ratePerSecond}, shared by every worker through one Redis counter per job and
 * epoch second ({@code job:{id}:rate:<second>}). A worker takes the slots its waiting requests
 * need with one {@code INCRBY}; what the counter went past the rate is not granted, so the slots
 * granted in a second across the cluster never exceed the rate. Once a second's slots are gone,
 * the worker asks again when the next second starts. Slots taken but not granted are lost for that
 * second, which only errs on the slow side. Workers' clocks must agree (NTP) to the millisecond
 * range for the seconds to line up.
 */
final class ClusterRateLimit {
  /** The counters outlive their second briefly, so a late worker's INCRBY still finds the count. */
  private static final long COUNTER_TTL_SECONDS = 5;
  private static final long REDIS_DOWN_RETRY_MS = 1000;

  private final Vertx vertx;
  private final Redis redis;
  private final String jobId;
  private final int perSecond;
  private final Queue<Promise<Void>> waiting = new ArrayDeque<>();
  /** True while a request to Redis is out or a wait for the next second is set: one asker at a time. */
  private boolean asking;

  ClusterRateLimit(Vertx vertx, Redis redis, String jobId, int perSecond) {
    this.vertx = vertx;
    this.redis = redis;
    this.jobId = jobId;
    this.perSecond = perSecond;
  }

  /** Completes when this worker holds a slot of the current second for one request. */
  Future<Void> slot() {
    Promise<Void> slot = Promise.promise();
    synchronized (this) {
      waiting.add(slot);
    }
    askForSlots();
    return slot.future();
  }

  private void askForSlots() {
    int wanted;
    synchronized (this) {
      if (asking || waiting.isEmpty()) {
        return;
      }
      asking = true;
      wanted = Math.min(waiting.size(), perSecond);
    }
    long second = System.currentTimeMillis() / 1000;
    String key = RedisKeys.httpRate(jobId, second);
    redis.batch(List.of(Request.cmd(Command.INCRBY).arg(key).arg(wanted),
            Request.cmd(Command.EXPIRE).arg(key).arg(COUNTER_TTL_SECONDS)))
        .onComplete(replies -> {
          if (replies.failed()) {
            askAgainIn(REDIS_DOWN_RETRY_MS);
            return;
          }
          long countAfter = replies.result().get(0).toLong();
          int granted = (int) Math.max(0, Math.min(wanted, perSecond - (countAfter - wanted)));
          grant(granted);
          if (countAfter >= perSecond) {
            askAgainIn((second + 1) * 1000 - System.currentTimeMillis());
          } else {
            synchronized (this) {
              asking = false;
            }
            askForSlots();
          }
        });
  }

  private void grant(int slots) {
    List<Promise<Void>> granted = new ArrayList<>(slots);
    synchronized (this) {
      for (int i = 0; i < slots && !waiting.isEmpty(); i++) {
        granted.add(waiting.poll());
      }
    }
    granted.forEach(Promise::complete);
  }

  private void askAgainIn(long delayMs) {
    vertx.setTimer(Math.max(1, delayMs), tick -> {
      synchronized (this) {
        asking = false;
      }
      askForSlots();
    });
  }
}
