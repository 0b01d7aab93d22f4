package io.fanout.app.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An ndjson upload that stops halfway, because its client went away or because the API process
 * died, leaves no job, nothing in Redis and, after UPLOAD_GRACE_MS, no staging topic. Redis is an
 * instance of each test's own, so that a scan of it sees every key.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("An upload cut off midway leaves nothing behind")
class UploadCutOffTest {
  private static final int ITEMS_SENT = 5000;
  private static final long GRACE_MS = 1000;

  @Test
  @DisplayName("a client that disconnects mid-body leaves no job, no staged data and no topic")
  void clientGoesAway(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir);
        FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
            .put(Settings.REDIS_URL, ownRedis(nodes)).put(Settings.UPLOAD_GRACE_MS, GRACE_MS)
            .put(Settings.JANITOR_INTERVAL_MS, 200));
        RedisProbe redis = new RedisProbe(fanout.app().vertx(), fanout.app().settings().string(Settings.REDIS_URL));
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      String jobId;
      try (Socket socket = startUpload(fanout.app().settings().integer(Settings.HTTP_PORT))) {
        jobId = awaitStaging(redis, kafka);
      }
      assertNothingLeft(redis, kafka, jobId);
    }
  }

  @Test
  @DisplayName("an API killed mid-upload leaves its staging topic to the sweep, which deletes it after the grace time")
  void apiDies(@TempDir Path dir) throws Exception {
    int apiPort = FanoutUnderTest.freePort();
    try (RedisNodes nodes = new RedisNodes(dir)) {
      String redisUrl = ownRedis(nodes);
      ChildFanout api = ChildFanout.start("cut-off-api", List.of("-Xmx256m"), List.of("--roles", "api"),
          Map.of(Settings.HTTP_PORT, Integer.toString(apiPort), Settings.REDIS_URL, redisUrl,
              Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers()));
      try (FanoutUnderTest dispatcher = FanoutUnderTest.onSharedBackends(new JsonObject()
              .put(Settings.ROLES, "worker").put(Settings.WORKER_INSTANCES, 0).put(Settings.REDIS_URL, redisUrl)
              .put(Settings.UPLOAD_GRACE_MS, GRACE_MS).put(Settings.JANITOR_INTERVAL_MS, 200));
          RedisProbe redis = new RedisProbe(dispatcher.app().vertx(), redisUrl);
          KafkaProbe kafka = new KafkaProbe(dispatcher.app())) {
        api.awaitLog("API listening", Duration.ofSeconds(60));
        try (Socket socket = startUpload(apiPort)) {
          String jobId = awaitStaging(redis, kafka);
          api.kill();
          assertNothingLeft(redis, kafka, jobId);
        }
      } finally {
        api.close();
      }
    }
  }

  private static String ownRedis(RedisNodes nodes) {
    int port = FanoutUnderTest.freePort();
    nodes.server("cut-off", port, List.of("port " + port, "appendonly no"));
    return "redis://127.0.0.1:" + port;
  }

  /** Sends the head of a 100 MB upload and part of its body, and leaves the rest unsent. */
  private static Socket startUpload(int port) throws Exception {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    OutputStream out = socket.getOutputStream();
    out.write(("POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\n"
        + "Content-Length: 100000000\r\n\r\n{\"type\":\"sha256\"}\n").getBytes(StandardCharsets.US_ASCII));
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < ITEMS_SENT; i++) {
      items.append("{\"record\":").append(i).append("}\n");
    }
    out.write(items.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return socket;
  }

  /** The id of the upload in flight, once some of its items are in its staging topic. */
  private static String awaitStaging(RedisProbe redis, KafkaProbe kafka) {
    String jobId = Await.until(() -> Future.succeededFuture(redis.send(Command.ZRANGE, RedisKeys.UPLOADS, 0, -1)),
        uploads -> uploads.size() == 1, Duration.ofSeconds(60)).get(0).toString();
    Await.until(() -> kafka.records(Topics.items(jobId), 1), written -> written > 0, Duration.ofSeconds(60));
    return jobId;
  }

  private static void assertNothingLeft(RedisProbe redis, KafkaProbe kafka, String jobId) {
    Await.until(() -> Future.succeededFuture(kafka.topicsOf(jobId)), java.util.Set::isEmpty, Duration.ofSeconds(60));
    Await.until(() -> Future.succeededFuture(redis.send(Command.ZCARD, RedisKeys.UPLOADS).toLong()),
        uploads -> uploads == 0, Duration.ofSeconds(30));
    assertThat(redis.scan()).as("keys of the job").noneMatch(key -> key.contains(jobId));
    assertThat(redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong()).as("jobs").isZero();
    assertThat(redis.send(Command.HLEN, RedisKeys.STAGED).toLong()).as("staged datasets").isZero();
    assertThat(redis.send(Command.GET, RedisKeys.STAGED_BYTES).toLong()).as("bytes staged").isZero();
  }
}
