package io.fanout.app.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.io.IOException;
import java.io.BufferedWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset far bigger than the API's heap, streamed as ndjson to an API process whose heap is
 * capped at 256 MB. The process is a child JVM so that the cap is real and its own.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("A million-item ndjson upload is accepted by an API with a 256 MB heap")
class LargeUploadTest {
  private static final int REDIS_DB = 5;
  private static final int ITEMS = 1_000_000;

  @Test
  @DisplayName("1,000,000 items stream to Redis with -Xmx256m and become one job of 1,000,000 tasks")
  void millionItemsInSmallHeap(@TempDir Path dir) throws Exception {
    Path dataset = writeDataset(dir);
    int port = freePort();
    ChildFanout api = ChildFanout.start("large-upload-api", List.of("-Xmx256m"), List.of("--roles", "api"),
        Map.of(Settings.HTTP_PORT, Integer.toString(port),
            Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB),
            Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers()));
    Vertx vertx = Vertx.vertx();
    try (RedisProbe redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB))) {
      redis.flush();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      api.awaitLog("API listening", Duration.ofSeconds(60));

      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs"))
              .header("Content-Type", "application/x-ndjson")
              .POST(HttpRequest.BodyPublishers.ofFile(dataset))
              .build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
      String jobId = new JsonObject(response.body()).getString("jobId");
      assertThat(redis.send(Command.LLEN, RedisKeys.items(jobId)).toLong()).isEqualTo(ITEMS);
      assertThat(redis.send(Command.HGET, RedisKeys.job(jobId), "total").toLong()).isEqualTo(ITEMS);
      assertThat(redis.send(Command.LINDEX, RedisKeys.items(jobId), ITEMS - 1).toString())
          .isEqualTo(item(ITEMS - 1));
      assertThat(api.process().isAlive()).as("the API survived the upload").isTrue();
      redis.flush();
    } finally {
      api.close();
      vertx.close();
    }
  }

  /** The job line, then one JSON item per line: about 40 MB. */
  private static Path writeDataset(Path dir) throws IOException {
    Path file = dir.resolve("dataset.ndjson");
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write("{\"type\":\"sha256\",\"partitions\":8}\n");
      for (int index = 0; index < ITEMS; index++) {
        out.write(item(index));
        out.write('\n');
      }
    }
    return file;
  }

  private static String item(int index) {
    return "{\"record\":" + index + ",\"name\":\"customer-" + index + "\"}";
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    }
  }
}
