package io.fanout.app.cluster;

import io.fanout.app.testing.Await;
import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.fanout.tools.LocalCluster.Node;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.time.Duration;

/** The HTTP API of a Fanout node running in another process. */
final class NodeApi implements AutoCloseable {
  private final WebClient http;

  NodeApi(Vertx vertx, int port) {
    this.http = WebClient.create(vertx, new WebClientOptions().setDefaultHost(ProcessCluster.LOOPBACK)
        .setDefaultPort(port));
  }

  NodeApi(Vertx vertx, Node node) {
    this(vertx, node.port(Settings.HTTP_PORT));
  }

  String submit(JsonObject job) {
    HttpResponse<Buffer> response = Await.result(http.post("/jobs").sendJsonObject(job));
    if (response.statusCode() != 202) {
      throw new AssertionError("job refused: " + response.statusCode() + " " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("jobId");
  }

  JsonObject get(String path) {
    HttpResponse<Buffer> response = Await.result(http.get(path).send());
    if (response.statusCode() != 200) {
      throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.bodyAsString());
    }
    return response.bodyAsJsonObject();
  }

  /** The body of a 200 answer, as a future, for {@link Await#until}. */
  Future<JsonObject> fetch(String path) {
    return http.get(path).send().map(response -> {
      if (response.statusCode() != 200) {
        throw new AssertionError("GET " + path + ": " + response.statusCode() + " " + response.bodyAsString());
      }
      return response.bodyAsJsonObject();
    });
  }

  /** Asks until the job is in a final state: its lifecycle event is on the cluster's bus, not this test's. */
  JsonObject awaitFinal(String jobId, Duration timeout) {
    return Await.until(() -> http.get("/jobs/" + jobId).send().map(HttpResponse::bodyAsJsonObject),
        job -> JobState.fromWire(job.getString("status")).isFinal(), timeout);
  }

  @Override
  public void close() {
    http.close();
  }
}
