package io.fanout.worker.handlers;

import io.fanout.core.Task;
import io.fanout.worker.TaskHandler;
import io.vertx.core.json.JsonObject;

/**
 * {@code primes}: counts the primes in one chunk of {@code [payload.from, payload.to)}; the
 * range is split into as many equal chunks as the job has tasks ({@code count}). CPU-bound.
 */
public final class PrimesHandler implements TaskHandler {
  @Override
  public String type() {
    return "primes";
  }

  @Override
  public boolean sumsResults() {
    return true;
  }

  @Override
  public JsonObject run(Task task) {
    long from = task.payload().getLong("from", 0L);
    long to = task.payload().getLong("to", 1_000_000L);
    long size = (to - from + task.total() - 1) / task.total();
    long start = from + task.index() * size;
    long end = Math.min(to, start + size);
    long primes = 0;
    for (long n = Math.max(2, start); n < end; n++) {
      if (isPrime(n)) {
        primes++;
      }
    }
    return new JsonObject().put("value", primes).put("from", start).put("to", end);
  }

  static boolean isPrime(long n) {
    if (n < 4) {
      return n >= 2;
    }
    if (n % 2 == 0) {
      return false;
    }
    for (long d = 3; d * d <= n; d += 2) {
      if (n % d == 0) {
        return false;
      }
    }
    return true;
  }
}
