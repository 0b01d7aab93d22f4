package io.fanout.worker.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * At most {@code limit} requests of one job in flight on this worker: the others wait their turn
 * in arrival order, as promises, not on threads.
 */
final class ConcurrencyGate {
  private final int limit;
  private final Queue<Promise<Void>> waiting = new ArrayDeque<>();
  private int inFlight;

  ConcurrencyGate(int limit) {
    this.limit = limit;
  }

  synchronized Future<Void> enter() {
    if (inFlight < limit) {
      inFlight++;
      return Future.succeededFuture();
    }
    Promise<Void> turn = Promise.promise();
    waiting.add(turn);
    return turn.future();
  }

  /** A request ended: its place goes to the next one waiting. */
  void leave() {
    Promise<Void> next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        inFlight--;
      }
    }
    if (next != null) {
      next.complete();
    }
  }
}
