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
 * granted in a second across the cluster never exceed the rate. The counter's value also places
 * each slot in its second: slot k of rate r is released {@code (k-1)/r} of the way through its
 * first {@link #SPREAD_MS} ms, so the requests of a second spread over it instead of leaving in one
 * burst, and one held up on its way (a GC pause, a busy event loop) still reaches the service
 * within its second rather than crowding the next one. Once a second's slots are gone, the worker asks again when the next
 * one starts; slots of a second that ended before Redis answered, or before their turn came, are not
 * used. Both only err on the
 * slow side. Workers' clocks must agree (NTP) for their seconds to line up.
 */
final class ClusterRateLimit {
  /** The counters outlive their second briefly, so a late worker's INCRBY still finds the count. */
  private static final long COUNTER_TTL_SECONDS = 5;
  private static final long REDIS_DOWN_RETRY_MS = 1000;
  /** The part of each second its slots are spread over; the rest is headroom for requests held up. */
  private static final long SPREAD_MS = 800;

  private final Vertx vertx;
  private final Redis redis;
  private final String jobId;
  private final int perSecond;
  private final Queue<Promise<Void>> waiting = new ArrayDeque<>();
  /** Slots granted whose time in their second has not come yet: as many waiting requests are served. */
  private int reserved;
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
      wanted = Math.min(waiting.size() - reserved, perSecond);
      if (asking || wanted <= 0) {
        return;
      }
      asking = true;
      reserved += wanted;
    }
    long second = System.currentTimeMillis() / 1000;
    String key = RedisKeys.httpRate(jobId, second);
    redis.batch(List.of(Request.cmd(Command.INCRBY).arg(key).arg(wanted),
            Request.cmd(Command.EXPIRE).arg(key).arg(COUNTER_TTL_SECONDS)))
        .onComplete(replies -> {
          if (replies.failed()) {
            unreserve(wanted);
            askAgainIn(REDIS_DOWN_RETRY_MS);
            return;
          }
          long countAfter = replies.result().get(0).toLong();
          long firstSlot = countAfter - wanted + 1;
          long lastSlot = Math.min(countAfter, perSecond);
          long now = System.currentTimeMillis();
          if (now / 1000 != second) {
            lastSlot = firstSlot - 1; // the second ended while Redis answered: its slots are past
          }
          releaseInTurn(second, firstSlot, lastSlot, now);
          unreserve((int) (wanted - Math.max(0, lastSlot - firstSlot + 1)));
          if (countAfter >= perSecond && now / 1000 == second) {
            askAgainIn((second + 1) * 1000 - now);
          } else {
            synchronized (this) {
              asking = false;
            }
            askForSlots();
          }
        });
  }

  /** Releases slots first..last of the second, each at its place in it (at once if that has passed). */
  private void releaseInTurn(long second, long first, long last, long now) {
    long releaseFrom = -1;
    int due = 0;
    for (long slot = first; slot <= last; slot++) {
      long releaseAt = Math.max(now, second * 1000 + (slot - 1) * SPREAD_MS / perSecond);
      if (releaseAt != releaseFrom && due > 0) {
        releaseAt(second, releaseFrom, due, now);
        due = 0;
      }
      releaseFrom = releaseAt;
      due++;
    }
    if (due > 0) {
      releaseAt(second, releaseFrom, due, now);
    }
  }

  private void releaseAt(long second, long at, int slots, long now) {
    if (at <= now) {
      grant(second, slots);
    } else {
      vertx.setTimer(at - now, tick -> grant(second, slots));
    }
  }

  /**
   * Serves {@code slots} waiting requests with slots of {@code second}; a timer that fired late,
   * into the next second, voids them instead (they would count against a second that has its own).
   */
  private void grant(long second, int slots) {
    List<Promise<Void>> granted = new ArrayList<>(slots);
    boolean late = System.currentTimeMillis() / 1000 != second;
    synchronized (this) {
      reserved -= slots;
      for (int i = 0; i < slots && !late && !waiting.isEmpty(); i++) {
        granted.add(waiting.poll());
      }
    }
    granted.forEach(Promise::complete);
    if (late) {
      askForSlots();
    }
  }

  private synchronized void unreserve(int slots) {
    reserved -= slots;
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
