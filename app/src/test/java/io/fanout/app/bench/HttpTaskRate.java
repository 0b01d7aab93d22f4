package io.fanout.app.bench;

import io.fanout.app.testing.Await;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario http: how many {@code http} tasks a second Fanout runs against a local no-op service,
 * beside how many requests a second the same service takes from a plain load client (Vert.x's
 * HttpClient, keep-alive, as many requests in flight as the job's concurrency) in the same run.
 * The service answers every POST with a small JSON body and counts what it served.
 */
final class HttpTaskRate implements AutoCloseable {
  /** What one job (or one load run) came to. */
  record Result(long requests, double seconds, String status) {
    double rate() {
      return requests / seconds;
    }
  }

  private final Vertx serviceVertx = Vertx.vertx();
  private final HttpServer service;
  private final AtomicLong served = new AtomicLong();

  HttpTaskRate() {
    service = serviceVertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      served.incrementAndGet();
      request.response().putHeader("Content-Type", "application/json").end("{\"ok\":true}");
    }));
    Await.result(service.listen(0, "127.0.0.1"));
  }

  String url() {
    return "http://127.0.0.1:" + service.actualPort() + "/noop";
  }

  /** A plain client POSTing a small JSON body for {@code seconds}, {@code inFlight} requests at once. */
  Result loadClient(Vertx clients, int inFlight, int seconds) {
    HttpClient client = clients.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(inFlight));
    long servedBefore = served.get();
    long started = System.nanoTime();
    long deadline = started + Duration.ofSeconds(seconds).toNanos();
    RequestOptions post = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(service.actualPort()).setURI("/noop").putHeader("Content-Type", "application/json");
    Promise<Void> done = Promise.promise();
    AtomicLong running = new AtomicLong(inFlight);
    for (int lane = 0; lane < inFlight; lane++) {
      clients.runOnContext(v -> nextRequest(client, post, deadline, running, done));
    }
    Await.result(done.future(), Duration.ofSeconds(seconds + 60));
    double elapsed = (System.nanoTime() - started) / 1e9;
    Await.result(client.close());
    return new Result(served.get() - servedBefore, elapsed, "completed");
  }

  /** One lane of the load client: a request, then the next, until the deadline. */
  private void nextRequest(HttpClient client, RequestOptions post, long deadline, AtomicLong running,
      Promise<Void> done) {
    if (System.nanoTime() >= deadline) {
      if (running.decrementAndGet() == 0) {
        done.complete();
      }
      return;
    }
    client.request(post)
        .compose(request -> request.send(Buffer.buffer("{\"index\":1}")))
        .compose(response -> response.body())
        .onComplete(answered -> nextRequest(client, post, deadline, running, done));
  }

  /** An http count job of {@code count} tasks against the service, startedAt to finishedAt. */
  Result job(FanoutHttp http, long count, int concurrency, Duration timeout) {
    String id = http.submit(new JsonObject().put("type", "http").put("count", count)
        .put("payload", new JsonObject().put("url", url()).put("concurrency", concurrency)));
    JsonObject job = http.awaitFinal(id, timeout, 200);
    if (job == null) {
      http.cancel(id);
      return new Result(0, timeout.toSeconds(), "not final within " + timeout.toSeconds() + " s");
    }
    double seconds = FanoutHttp.millisBetween(job, "startedAt", "finishedAt") / 1000.0;
    return new Result(job.getLong("done"), seconds, job.getString("status"));
  }

  @Override
  public void close() {
    Await.result(serviceVertx.close());
  }
}
