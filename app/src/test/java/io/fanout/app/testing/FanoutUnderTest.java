package io.fanout.app.testing;

import io.fanout.app.FanoutApp;
import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.fanout.tools.LocalCluster;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;

/** A whole Fanout process started by a test, and an HTTP client speaking to it. */
public final class FanoutUnderTest implements AutoCloseable {
  private final FanoutApp app;
  private final WebClient http;

  private FanoutUnderTest(FanoutApp app) {
    this.app = app;
    this.http = WebClient.create(app.vertx(), new WebClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(app.settings().integer(Settings.HTTP_PORT)));
  }

  /** Every role, on the shared Kafka and Redis, on free ports; {@code overrides} win. */
  public static FanoutUnderTest onSharedBackends(JsonObject overrides) {
    JsonObject settings = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers())
        .put(Settings.REDIS_URL, SharedBackends.redisUrl())
        .mergeIn(overrides);
    return start(settings);
  }

  /** Every role on free ports, with the given settings (empty backends mean embedded ones). */
  public static FanoutUnderTest start(JsonObject overrides) {
    JsonObject settings = new JsonObject()
        .put(Settings.HTTP_PORT, freePort())
        .put(Settings.PROGRESS_PORT, freePort())
        .mergeIn(overrides);
    return new FanoutUnderTest(FanoutApp.start(settings));
  }

  public FanoutApp app() {
    return app;
  }

  public WebClient http() {
    return http;
  }

  public HttpResponse<Buffer> post(String path, JsonObject body) {
    return Await.result(http.post(path).sendJsonObject(body));
  }

  public HttpResponse<Buffer> get(String path) {
    return Await.result(http.get(path).send());
  }

  public HttpResponse<Buffer> delete(String path) {
    return Await.result(http.delete(path).send());
  }

  /** Submits a job that the test expects to be accepted, and returns its id. */
  public String submit(JsonObject body) {
    HttpResponse<Buffer> response = post("/jobs", body);
    if (response.statusCode() != 202) {
      throw new AssertionError("job refused: " + response.statusCode() + " " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("jobId");
  }

  /**
   * Submits a job and waits for the lifecycle event that ends it; the listener is registered
   * before the job exists, so the event cannot be missed.
   */
  public JsonObject runToEnd(JsonObject body, Duration timeout) {
    Promise<String> submitted = Promise.promise();
    Promise<JsonObject> finished = Promise.promise();
    MessageConsumer<JsonObject> listener = app.vertx().eventBus().consumer(Addresses.EVENTS, message ->
        submitted.future().onSuccess(id -> {
          if (id.equals(message.body().getString("jobId"))) {
            finished.tryComplete(message.body());
          }
        }));
    try {
      Await.result(listener.completion());
      submitted.complete(submit(body));
      Await.result(finished.future(), timeout);
      return get("/jobs/" + submitted.future().result()).bodyAsJsonObject();
    } finally {
      listener.unregister();
    }
  }

  /**
   * Waits for a job run by another process to end. Its lifecycle event stays on that process's
   * event bus, so this asks the API until the job is in a final state.
   */
  public JsonObject awaitFinal(String jobId, Duration timeout) {
    return awaitFinal(jobId, null, timeout);
  }

  /** The same, asking with {@code token} (null: none, as with authentication off). */
  public JsonObject awaitFinal(String jobId, String token, Duration timeout) {
    return Await.until(() -> {
      var request = http.get("/jobs/" + jobId);
      return (token == null ? request : request.bearerTokenAuthentication(token)).send()
          .map(HttpResponse::bodyAsJsonObject);
    }, job -> JobState.fromWire(job.getString("status")).isFinal(), timeout);
  }

  /** Waits, asking the API with {@code token} (a viewer's will do), until the job is in {@code state}. */
  public JsonObject awaitStatus(String jobId, JobState state, String token, Duration timeout) {
    return Await.until(() -> http.get("/jobs/" + jobId).bearerTokenAuthentication(token).send()
        .map(HttpResponse::bodyAsJsonObject), job -> state.wireName().equals(job.getString("status")), timeout);
  }

  /** Fetched tasks this node's workers hold, not yet finished, as they last published it (every 500 ms). */
  public long tasksInFlight() {
    return app.vertx().sharedData().<String, JsonObject>getLocalMap(Addresses.WORKER_FIGURES_MAP).values().stream()
        .mapToLong(figures -> figures.getLong("inFlight", 0L)).sum();
  }

  @Override
  public void close() {
    app.close();
  }

  /** A loopback port that was free a moment ago. */
  public static int freePort() {
    return LocalCluster.freePort();
  }
}
