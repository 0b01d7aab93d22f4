package io.fanout.app.callbacks;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.WebhookReceiver;
import io.fanout.app.testing.WebhookReceiver.Received;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job's completion webhook against a receiver started by the test that checks the signature
 * with its own HMAC code. Redis is an instance of this class's own, so that what is counted in it
 * is this class's alone.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("A job's completion webhook is signed, retried with one delivery id, and its tries are visible")
class CallbackDeliveryTest {
  private static final String SECRET = "whsec-" + UUID.randomUUID();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  private static RedisNodes nodes;
  private static FanoutUnderTest fanout;
  private static RedisProbe redis;

  @BeforeAll
  static void start() {
    nodes = new RedisNodes(dir);
    String redisUrl = nodes.standalone("callbacks");
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.REDIS_URL, redisUrl)
        .put(Settings.CALLBACK_SECRET, SECRET)
        .put(Settings.CALLBACK_ALLOWED_HOSTS, "127.0.0.1")
        .put(Settings.CALLBACK_BACKOFF_MS, 200)
        .put(Settings.CALLBACK_POLL_MS, 100));
    redis = new RedisProbe(fanout.app().vertx(), redisUrl);
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (fanout != null) {
      fanout.close();
    }
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  @DisplayName("a receiver failing the first 3 tries gets 4 signed POSTs of the summary with one delivery id; /callbacks shows the 4")
  void retriedUntilDelivered() {
    try (WebhookReceiver receiver = new WebhookReceiver(SECRET, n -> n <= 3 ? 500 : 200)) {
      String jobId = fanout.submit(new JsonObject().put("type", "count").put("count", 3)
          .put("callbackUrl", receiver.url()));

      Received delivered = receiver.awaitDelivered(TIMEOUT);

      List<Received> received = receiver.received();
      assertThat(received).as("requests until the first success").hasSize(4);
      assertThat(received).allSatisfy(one -> {
        assertThat(one.signatureValid()).as("signature of try %s", one).isTrue();
        assertThat(Math.abs(Instant.now().getEpochSecond() - one.signedAtSeconds())).as("signed at").isLessThan(120);
        assertThat(one.body().getString("id")).isEqualTo(jobId);
      });
      assertThat(receiver.distinctDeliveryIds()).as("delivery ids").hasSize(1);
      assertThat(delivered.body().getString("status")).isEqualTo("completed");
      assertThat(delivered.body().getLong("done")).isEqualTo(3L);

      JsonObject callbacks = Await.until(() -> fanout.http().get("/jobs/" + jobId + "/callbacks").send()
          .map(HttpResponse::bodyAsJsonObject), answer -> "delivered".equals(answer.getString("state")), TIMEOUT);
      assertThat(callbacks.getString("deliveryId")).isEqualTo(delivered.deliveryId());
      assertThat(callbacks.getString("callbackUrl")).isEqualTo(receiver.url());
      assertThat(callbacks.containsKey("nextAttemptAt")).as("another try planned").isFalse();
      JsonArray attempts = callbacks.getJsonArray("attempts");
      assertThat(attempts).hasSize(4);
      for (int i = 0; i < 4; i++) {
        JsonObject attempt = attempts.getJsonObject(i);
        assertThat(attempt.getInteger("attempt")).isEqualTo(i + 1);
        assertThat(attempt.getString("deliveryId")).isEqualTo(delivered.deliveryId());
        assertThat(attempt.getInteger("statusCode")).isEqualTo(i < 3 ? 500 : 200);
        assertThat(attempt.getString("outcome")).isEqualTo(i < 3 ? "pending" : "delivered");
        assertThat(attempt.getLong("durationMs")).isNotNegative();
      }
      assertThat(redis.send(Command.ZSCORE, RedisKeys.CALLBACKS_DUE, jobId)).as("left in the outbox").isNull();
    }
  }

  @Test
  @DisplayName("a cancelled job's webhook says cancelled, and a job without callbackUrl shows none")
  void cancelledJobsTellToo() {
    try (WebhookReceiver receiver = new WebhookReceiver(SECRET, n -> 204)) {
      String jobId = fanout.submit(new JsonObject().put("type", "count").put("count", 1).put("delayMs", 3_600_000)
          .put("callbackUrl", receiver.url()));
      assertThat(fanout.delete("/jobs/" + jobId).statusCode()).isEqualTo(200);

      Received delivered = receiver.awaitDelivered(TIMEOUT);

      assertThat(delivered.body().getString("status")).isEqualTo("cancelled");
      assertThat(delivered.signatureValid()).isTrue();
      String plain = fanout.submit(new JsonObject().put("type", "count").put("count", 1));
      JsonObject none = fanout.get("/jobs/" + plain + "/callbacks").bodyAsJsonObject();
      assertThat(none.getValue("callbackUrl")).isNull();
      assertThat(none.getJsonArray("attempts")).isEmpty();
    }
  }

  @Test
  @DisplayName("a callbackUrl that is not an absolute http(s) URL, or names a host not allowed, gets 400 naming it, and nothing is stored")
  void badTargetsAreRefused() {
    long jobsBefore = redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong();
    for (Object target : List.of("ftp://127.0.0.1/hook", "/relative/hook", "http://user:pw@127.0.0.1/hook",
        "http://hooks.example.com/fanout", "not a url", 42)) {
      HttpResponse<Buffer> refused = fanout.post("/jobs", new JsonObject().put("type", "count").put("count", 1)
          .put("callbackUrl", target));
      assertThat(refused.statusCode()).as("%s: %s", target, refused.bodyAsString()).isEqualTo(400);
      assertThat(refused.bodyAsJsonObject().getJsonObject("error").getString("field")).isEqualTo("callbackUrl");
    }
    assertThat(redis.send(Command.ZCARD, RedisKeys.ALL_JOBS).toLong()).as("jobs stored").isEqualTo(jobsBefore);
    assertThat(fanout.get("/jobs/" + UUID.randomUUID() + "/callbacks").statusCode()).isEqualTo(404);
  }
}
