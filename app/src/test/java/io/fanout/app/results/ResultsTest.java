package io.fanout.app.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** GET /jobs/<id>/results: every task's outcome, in index order, as ndjson or CSV. */
@ExtendWith(SharedBackends.class)
@DisplayName("A job's results stream out in index order")
class ResultsTest {
  private static final int ITEMS = 100_000;

  @Test
  @DisplayName("a 100,000-item sha256 dataset job's results: exactly one line per task, in index order, each the "
      + "digest of its item, read in several passes from an API whose heap is capped at 256 MB")
  void everyDigestInOrder(@TempDir Path dir) throws Exception {
    Path dataset = dir.resolve("items.ndjson");
    try (BufferedWriter out = Files.newBufferedWriter(dataset, StandardCharsets.UTF_8)) {
      out.write("{\"type\":\"sha256\",\"partitions\":4}\n");
      for (int index = 0; index < ITEMS; index++) {
        out.write("\"item-" + index + "\"\n");
      }
    }
    int apiPort = FanoutUnderTest.freePort();
    // 4 MB a pass, for results of about 22 MB: the answer takes several passes over the log.
    ChildFanout api = ChildFanout.start("results-api", List.of("-Xmx256m"), List.of("--roles", "api"),
        Map.of(Settings.HTTP_PORT, Integer.toString(apiPort), Settings.REDIS_URL, SharedBackends.redisUrl(),
            Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
            Settings.RESULTS_PASS_BYTES, Integer.toString(4 * 1024 * 1024)));
    try (FanoutUnderTest worker = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.ROLES, "worker"))) {
      api.awaitLog("API listening", Duration.ofSeconds(60));
      HttpClient http = HttpClient.newHttpClient();
      var accepted = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/jobs"))
          .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofFile(dataset)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      String id = new JsonObject(accepted.body()).getString("jobId");
      // The worker process serves no API: the child is asked.
      JsonObject job = Await.until(() -> Future.succeededFuture(get(http, apiPort, "/jobs/" + id)),
          found -> JobState.fromWire(found.getString("status")).isFinal(), Duration.ofMinutes(5));
      assertThat(job.getString("status")).isEqualTo("completed");

      var results = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/jobs/" + id
          + "/results")).build(), java.net.http.HttpResponse.BodyHandlers.ofLines());
      assertThat(results.statusCode()).isEqualTo(200);
      assertThat(results.headers().firstValue("Content-Type")).hasValue("application/x-ndjson");
      long lines = 0;
      try (Stream<String> body = results.body()) {
        Iterator<String> each = body.iterator();
        while (each.hasNext()) {
          JsonObject line = new JsonObject(each.next());
          assertThat(line.getLong("index")).as("line " + lines).isEqualTo(lines);
          assertThat(line.getString("status")).isEqualTo("done");
          assertThat(line.getJsonObject("result").getString("value")).as("digest of item " + lines)
              .isEqualTo(sha256("item-" + lines));
          lines++;
        }
      }
      assertThat(lines).isEqualTo(ITEMS);
      assertThat(api.process().isAlive()).as("the API survived").isTrue();
      String passes = Files.readAllLines(api.log()).stream().filter(line -> line.contains("Results of job " + id))
          .findFirst().orElseThrow();
      assertThat(passes).as("the API's log line of the answer").contains(ITEMS + " outcomes")
          .doesNotContain(" 1 pass(es)");
    } finally {
      api.close();
    }
  }

  private static JsonObject get(HttpClient http, int port, String path) {
    try {
      return new JsonObject(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  @DisplayName("CSV on Accept: text/csv, failures with their error; an unknown job is 404")
  void csvAndRefusals() throws Exception {
    try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(new JsonObject())) {
      JsonObject job = fanout.runToEnd(new JsonObject().put("type", "fail").put("maxAttempts", 1)
          .put("payload", new JsonObject().put("p", 1)).put("items", new JsonArray().add("a").add("b").add("c")),
          Duration.ofMinutes(1));
      String id = job.getString("id");
      HttpResponse<Buffer> csv = Await.result(fanout.http().get("/jobs/" + id + "/results")
          .putHeader("Accept", "text/csv").send());
      assertThat(csv.statusCode()).isEqualTo(200);
      assertThat(csv.getHeader("Content-Type")).startsWith("text/csv");
      assertThat(csv.bodyAsString().split("\r\n")).containsExactly("index,status,attempts,result,error",
          "0,failed,1,,IllegalStateException: task 0 failed on purpose (p=1.0)",
          "1,failed,1,,IllegalStateException: task 1 failed on purpose (p=1.0)",
          "2,failed,1,,IllegalStateException: task 2 failed on purpose (p=1.0)");

      JsonObject hashed = fanout.runToEnd(new JsonObject().put("type", "sha256")
          .put("items", new JsonArray().add("x,y")), Duration.ofMinutes(1));
      HttpResponse<Buffer> quoted = Await.result(fanout.http()
          .get("/jobs/" + hashed.getString("id") + "/results").putHeader("Accept", "text/csv").send());
      assertThat(quoted.bodyAsString().split("\r\n")[1])
          .isEqualTo("0,done,1,\"{\"\"value\"\":\"\"" + sha256("x,y") + "\"\"}\",");

      HttpResponse<Buffer> unknown = fanout.get("/jobs/00000000-0000-4000-8000-000000000000/results");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.bodyAsJsonObject().getJsonObject("error").getString("code")).isNotBlank();
    }
  }
}
