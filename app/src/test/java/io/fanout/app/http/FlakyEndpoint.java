package io.fanout.app.http;

import io.fanout.app.testing.Await;
import io.fanout.core.http.HttpTaskOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service an http job calls, on 127.0.0.1 in the test's own Vert.x: it answers each POSTed
 * number n with {@code {"square": n*n}}, except on a first attempt at some n, which gets a 500, a
 * 429 with {@code Retry-After: 1} or no answer until well past the job's timeout (unless it is
 * started {@link #steady}). It counts attempts per item, the attempt numbers Fanout sends, and keeps
 * the {@code Authorization} headers it was sent (requests
 * per second are counted by {@link RateCountingService}, in a JVM of its own).
 */
final class FlakyEndpoint implements AutoCloseable {
  static final long STALL_MS = 8000;

  private final Vertx vertx;
  private final HttpServer server;
  final Map<Long, AtomicInteger> attempts = new ConcurrentHashMap<>();
  final Map<Long, Long> firstAttemptAt = new ConcurrentHashMap<>();
  final Map<Long, Long> secondAttemptAt = new ConcurrentHashMap<>();
  final ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();
  /** Per item, the highest attempt number a request for it said it was ({@code Fanout-Attempt}). */
  final Map<Long, Integer> highestAttemptSent = new ConcurrentHashMap<>();
  /** Requests whose {@code Fanout-Attempt} was missing or not a number from 1. */
  final AtomicInteger requestsWithoutAttempt = new AtomicInteger();

  private final boolean flaky;

  private FlakyEndpoint(Vertx vertx, HttpServer server, boolean flaky) {
    this.vertx = vertx;
    this.server = server;
    this.flaky = flaky;
  }

  /** A service that fails some first attempts. */
  static FlakyEndpoint start() {
    return start(true);
  }

  /** A service that answers every request at once. */
  static FlakyEndpoint steady() {
    return start(false);
  }

  private static FlakyEndpoint start(boolean flaky) {
    Vertx vertx = Vertx.vertx();
    FlakyEndpoint[] made = new FlakyEndpoint[1];
    HttpServer server = vertx.createHttpServer().requestHandler(request -> made[0].answer(request));
    made[0] = new FlakyEndpoint(vertx, server, flaky);
    Await.result(server.listen(0, "127.0.0.1"));
    return made[0];
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/work";
  }

  static boolean failsWith500(long n) {
    return n % 101 == 0;
  }

  static boolean failsWith429(long n) {
    return n % 103 == 1;
  }

  static boolean stalls(long n) {
    return n % 997 == 2;
  }

  /** Whether the first attempt at n fails (a flaky service's). */
  static boolean failsFirstAttempt(long n) {
    return failsWith500(n) || failsWith429(n) || stalls(n);
  }

  private void answer(HttpServerRequest request) {
    long now = System.currentTimeMillis();
    String authorization = request.getHeader("Authorization");
    if (authorization != null) {
      authorizations.add(authorization);
    }
    request.body().onSuccess(body -> {
      Object sent = Json.decodeValue(body);
      if (!(sent instanceof Number number)) {
        request.response().setStatusCode(422).end("not a number: " + sent);
        return;
      }
      long n = number.longValue();
      Integer attemptSent = attemptSent(request);
      if (attemptSent == null) {
        requestsWithoutAttempt.incrementAndGet();
      } else {
        highestAttemptSent.merge(n, attemptSent, Math::max);
      }
      int attempt = attempts.computeIfAbsent(n, key -> new AtomicInteger()).incrementAndGet();
      boolean firstOfFlaky = flaky && attempt == 1;
      (attempt == 1 ? firstAttemptAt : secondAttemptAt).putIfAbsent(n, now);
      if (firstOfFlaky && failsWith500(n)) {
        request.response().setStatusCode(500).end("busy");
      } else if (firstOfFlaky && failsWith429(n)) {
        request.response().setStatusCode(429).putHeader("Retry-After", "1").end("slow down");
      } else if (firstOfFlaky && stalls(n)) {
        vertx.setTimer(STALL_MS, late -> request.response().end("{\"late\": true}"));
      } else {
        request.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("square", n * n).encode());
      }
    });
  }

  private static Integer attemptSent(HttpServerRequest request) {
    try {
      int attempt = Integer.parseInt(request.getHeader(HttpTaskOptions.ATTEMPT_HEADER));
      return attempt >= 1 ? attempt : null;
    } catch (NumberFormatException missingOrNotANumber) {
      return null;
    }
  }

  @Override
  public void close() {
    Await.result(vertx.close());
  }
}
