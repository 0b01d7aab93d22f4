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
import java.util.Deque;
import java.util.List;

/**
 * One job's {@code ratePerSecond}, shared by every worker through one Redis counter per job and
 * epoch second ({@code job:{id}:rate:<second>}). A worker takes the slots its waiting requests
 * need with one {@code INCRBY}; what the counter went past the rate is not granted, so the slots
 * granted in a second across the cluster never exceed the rate. The counter's value also places
 * each slot in its second: slot k of rate r is released {@code (k-1)/r} of the way through its
 * first {@link #SPREAD_MS} ms, so the requests of a second spread over it instead of leaving in one
 * burst. A slot is worth something only if its request reaches the service within the slot's
 * second: so each grant carries its second, and a request is sent on it only while that second
 * has at least {@code 1000 - }{@link #LAST_SEND_MS} ms left ({@link #sendableNow}); one that had
 * to wait longer (for a connection to open, a timer or event loop running late) gives the slot up
 * and takes the next one ahead of every other request ({@link #slotAgain}). Once a second's
 * slots are gone, the worker asks again when the next one starts. Voiding a slot only errs on the
 * slow side. Workers' clocks must agree (NTP) for their seconds to line up.
 */
final class ClusterRateLimit {
  /** The counters outlive their second briefly, so a late worker's INCRBY still finds the count. */
  private static final long COUNTER_TTL_SECONDS = 5;
  private static final long REDIS_DOWN_RETRY_MS = 1000;
  /** The part of each second its slots are spread over. */
  private static final long SPREAD_MS = 700;
  /**
   * No request is sent on a slot later than this into the slot's second: the rest is headroom for
   * the request's way to the service (a hop to its connection's event loop, the write, the
   * service's own event loop). On a 2-core machine at a load of 20, 100 ms was not enough: requests
   * sent before 900 ms reached the service after the second's end, 231 in a second at 200.
   */
  private static final long LAST_SEND_MS = 800;

  private final Vertx vertx;
  private final Redis redis;
  private final String jobId;
  private final int perSecond;
  /** Requests waiting for a slot, each completed with the epoch second its slot belongs to. */
  private final Deque<Promise<Long>> waiting = new ArrayDeque<>();
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

  /** Completes, with the epoch second it belongs to, when this worker holds a slot for one request. */
  Future<Long> slot() {
    return waitForSlot(false);
  }

  /**
   * A new slot for a request whose slot's second passed before it could be sent (see {@link
   * #sendableNow}): it waits ahead of every other request, having waited longest.
   */
  Future<Long> slotAgain() {
    return waitForSlot(true);
  }

  private Future<Long> waitForSlot(boolean ahead) {
    Promise<Long> slot = Promise.promise();
    synchronized (this) {
      if (ahead) {
        waiting.addFirst(slot);
      } else {
        waiting.addLast(slot);
      }
    }
    askForSlots();
    return slot.future();
  }

  /** True while a request sent now on a slot of {@code second} reaches the service within that second. */
  static boolean sendableNow(long second) {
    return sendableAt(second, System.currentTimeMillis());
  }

  private static boolean sendableAt(long second, long nowMs) {
    return nowMs / 1000 == second && nowMs % 1000 < LAST_SEND_MS;
  }

  private void askForSlots() {
    long now = System.currentTimeMillis();
    long second = now / 1000;
    boolean slotsUsable = sendableAt(second, now);
    int wanted;
    synchronized (this) {
      wanted = Math.min(waiting.size() - reserved, perSecond);
      if (asking || wanted <= 0) {
        return;
      }
      asking = true;
      if (slotsUsable) {
        reserved += wanted;
      }
    }
    if (!slotsUsable) {
      askAgainIn((second + 1) * 1000 - now); // too late in this second for any slot of it to be used
      return;
    }
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
          long answeredAt = System.currentTimeMillis();
          boolean inTime = sendableAt(second, answeredAt);
          if (!inTime) {
            lastSlot = firstSlot - 1; // Redis answered too late in the second for its slots to be used
          }
          releaseInTurn(second, firstSlot, lastSlot, answeredAt);
          unreserve((int) (wanted - Math.max(0, lastSlot - firstSlot + 1)));
          if (!inTime || countAfter >= perSecond) {
            askAgainIn((second + 1) * 1000 - answeredAt);
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
   * Serves {@code slots} waiting requests with slots of {@code second}; a timer that fired too late
   * in the second (or in the next one) voids them instead: their requests would reach the service
   * in a second that has slots of its own.
   */
  private void grant(long second, int slots) {
    List<Promise<Long>> granted = new ArrayList<>(slots);
    boolean late = !sendableNow(second);
    synchronized (this) {
      reserved -= slots;
      for (int i = 0; i < slots && !late && !waiting.isEmpty(); i++) {
        granted.add(waiting.pollFirst());
      }
    }
    granted.forEach(slot -> slot.complete(second));
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
