package io.fanout.app.bench;

import io.fanout.app.testing.Await;
import io.fanout.core.JobState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;
import java.time.Instant;

/**
 * The benchmark's HTTP client of one Fanout API on 127.0.0.1, as any user's client would see it:
 * submit, read, wait for a final state (bounded), cancel.
 */
final class FanoutHttp implements AutoCloseable {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final WebClient web;

  FanoutHttp(Vertx vertx, int port, int connections) {
    this.web = WebClient.create(vertx, new WebClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(port)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections));
  }

  WebClient web() {
    return web;
  }

  /** POST /jobs, expecting 202; the future holds the new job's id. */
  Future<String> submitAsync(JsonObject body) {
    return web.post("/jobs").sendJsonObject(body).compose(response -> response.statusCode() == 202
        ? Future.succeededFuture(response.bodyAsJsonObject().getString("jobId"))
        : Future.failedFuture("POST /jobs answered " + response.statusCode() + " " + response.bodyAsString()));
  }

  String submit(JsonObject body) {
    return Await.result(submitAsync(body), REQUEST_TIMEOUT);
  }

  JsonObject job(String id) {
    HttpResponse<Buffer> response = Await.result(web.get("/jobs/" + id).send(), REQUEST_TIMEOUT);
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET /jobs/" + id + " answered " + response.statusCode());
    }
    return response.bodyAsJsonObject();
  }

  /** The job once final, asking every {@code pollMs}; null if it is not final within {@code timeout}. */
  JsonObject awaitFinal(String id, Duration timeout, long pollMs) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonObject job = job(id);
      if (JobState.fromWire(job.getString("status")).isFinal()) {
        return job;
      }
      if (System.nanoTime() >= deadline) {
        return null;
      }
      pause(pollMs);
    }
  }

  /** DELETE /jobs/<id>: a run cut short by its time limit leaves nothing running behind it. */
  void cancel(String id) {
    Await.result(web.delete("/jobs/" + id).send(), REQUEST_TIMEOUT);
  }

  /** Milliseconds between two ISO-8601 instants of a job, e.g. createdAt and finishedAt. */
  static long millisBetween(JsonObject job, String from, String to) {
    return Duration.between(Instant.parse(job.getString(from)), Instant.parse(job.getString(to))).toMillis();
  }

  static long epochMillis(JsonObject job, String field) {
    return Instant.parse(job.getString(field)).toEpochMilli();
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    web.close();
  }
}
