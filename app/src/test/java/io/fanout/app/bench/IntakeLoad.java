package io.fanout.app.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Scenario 4: {@code clients} closed-loop clients, each sending POST /jobs as soon as its previous
 * answer arrived, over keep-alive connections to 127.0.0.1, bounded by a request count and a
 * duration. Counts 202 answers per second and their latency percentiles.
 */
final class IntakeLoad {
  private static final JsonObject JOB = new JsonObject().put("type", "compute")
      .put("payload", new JsonObject().put("input", "bench"));

  record Result(double acceptedPerSecond, double p50Ms, double p99Ms, long accepted, long refused, double seconds) {}

  private final WebClient web;
  private final int clients;

  IntakeLoad(WebClient web, int clients) {
    this.web = web;
    this.clients = clients;
  }

  Result run(Duration duration, int maxRequests) {
    AtomicLongArray latencies = new AtomicLongArray(maxRequests);
    AtomicInteger issued = new AtomicInteger();
    AtomicLong accepted = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    long start = System.nanoTime();
    long stopAt = start + duration.toNanos();
    List<Future<Void>> loops = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      Promise<Void> finished = Promise.promise();
      next(issued, maxRequests, stopAt, latencies, accepted, refused, finished);
      loops.add(finished.future());
    }
    io.fanout.app.testing.Await.result(Future.all(loops), duration.plusSeconds(30));
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Double> millis = new ArrayList<>();
    int recorded = Math.min(issued.get(), maxRequests);
    for (int i = 0; i < recorded; i++) {
      long nanos = latencies.get(i);
      if (nanos > 0) {
        millis.add(nanos / 1e6);
      }
    }
    return new Result(accepted.get() / seconds, Samples.percentile(millis, 50), Samples.percentile(millis, 99),
        accepted.get(), refused.get(), seconds);
  }

  /** One client's loop: a request, then the next one from its answer, until the count or the time is up. */
  private void next(AtomicInteger issued, int maxRequests, long stopAt, AtomicLongArray latencies,
      AtomicLong accepted, AtomicLong refused, Promise<Void> finished) {
    int slot = issued.getAndIncrement();
    if (slot >= maxRequests || System.nanoTime() >= stopAt) {
      finished.tryComplete();
      return;
    }
    long sent = System.nanoTime();
    web.post("/jobs").sendJsonObject(JOB).onComplete(answer -> {
      if (answer.succeeded() && answer.result().statusCode() == 202) {
        latencies.set(slot, System.nanoTime() - sent);
        accepted.incrementAndGet();
      } else {
        refused.incrementAndGet();
      }
      next(issued, maxRequests, stopAt, latencies, accepted, refused, finished);
    });
  }
}
