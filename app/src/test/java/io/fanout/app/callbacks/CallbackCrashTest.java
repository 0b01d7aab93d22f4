package io.fanout.app.callbacks;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.WebhookReceiver;
import io.fanout.app.testing.WebhookReceiver.Received;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process delivering a job's webhook is killed with SIGKILL while its POST is in flight (the
 * receiver holds it unanswered), after the job ended: a dispatcher process started afterwards
 * delivers it, with the same delivery id. The test's own process runs the API and the task
 * worker but no dispatcher, so that only the child processes admit jobs and deliver webhooks.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("A webhook whose deliverer is killed between the job's end and the delivery still arrives")
class CallbackCrashTest {
  private static final String SECRET = "whsec-" + UUID.randomUUID();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  @DisplayName("deliverer killed mid-POST: a new dispatcher process delivers it once its lease runs out, same delivery id")
  void anotherProcessDelivers(@TempDir Path dir) throws Exception {
    try (RedisNodes nodes = new RedisNodes(dir);
        WebhookReceiver receiver = new WebhookReceiver(SECRET, n -> n == 1 ? WebhookReceiver.NO_ANSWER : 200)) {
      String redisUrl = nodes.standalone("callback-crash");
      ChildFanout doomed = dispatcher("callback-deliverer-1", redisUrl);
      ChildFanout successor = null;
      try (FanoutUnderTest apiAndWorker = FanoutUnderTest.onSharedBackends(new JsonObject()
          .put(Settings.REDIS_URL, redisUrl).put(Settings.ROLES, "api,worker").put(Settings.DISPATCH_INSTANCES, 0)
          .put(Settings.CALLBACK_SECRET, SECRET).put(Settings.CALLBACK_ALLOWED_HOSTS, "127.0.0.1"))) {
        String jobId = apiAndWorker.submit(new JsonObject().put("type", "count").put("count", 2)
            .put("callbackUrl", receiver.url()));

        receiver.awaitRequests(1, TIMEOUT);
        doomed.kill();
        assertThat(apiAndWorker.get("/jobs/" + jobId).bodyAsJsonObject().getString("status")).isEqualTo("completed");
        successor = dispatcher("callback-deliverer-2", redisUrl);

        Received delivered = receiver.awaitDelivered(TIMEOUT);

        assertThat(delivered.body().getString("id")).isEqualTo(jobId);
        assertThat(receiver.received()).allSatisfy(one -> assertThat(one.signatureValid()).isTrue());
        assertThat(receiver.distinctDeliveryIds()).as("delivery ids").containsExactly(delivered.deliveryId());
        JsonObject callbacks = Await.until(() -> apiAndWorker.http().get("/jobs/" + jobId + "/callbacks").send()
            .map(HttpResponse::bodyAsJsonObject), answer -> "delivered".equals(answer.getString("state")), TIMEOUT);
        JsonArray attempts = callbacks.getJsonArray("attempts");
        JsonObject last = attempts.getJsonObject(attempts.size() - 1);
        assertThat(last.getInteger("statusCode")).isEqualTo(200);
        assertThat(last.getString("deliveryId")).isEqualTo(delivered.deliveryId());
        // The killed process's try was counted when it claimed the webhook, though never recorded.
        assertThat(last.getInteger("attempt")).isGreaterThanOrEqualTo(2);
      } finally {
        if (successor != null) {
          successor.close();
        }
        doomed.close();
      }
    }
  }

  /** A process that only dispatches: it admits jobs and delivers webhooks, and runs no task. */
  private static ChildFanout dispatcher(String name, String redisUrl) {
    Map<String, String> settings = new HashMap<>();
    settings.put(Settings.REDIS_URL, redisUrl);
    settings.put(Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers());
    settings.put(Settings.WORKER_INSTANCES, "0");
    settings.put(Settings.CALLBACK_SECRET, SECRET);
    settings.put(Settings.CALLBACK_ALLOWED_HOSTS, "127.0.0.1");
    settings.put(Settings.CALLBACK_TIMEOUT_MS, "5000");
    settings.put(Settings.CALLBACK_POLL_MS, "100");
    return ChildFanout.start(name, List.of("-Xmx256m"), List.of("--roles", "worker"), settings);
  }
}
