package io.fanout.app.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(SharedBackends.class)
@DisplayName("An http job the workers may not or cannot run is refused with 400 naming the field, and stores nothing")
class HttpJobRefusalTest {
  private static final int REDIS_DB = 11;

  private static FanoutUnderTest api;
  private static RedisProbe redis;

  @BeforeAll
  static void start() {
    api = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.ROLES, "api")
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1:9000,*.partner.example"));
    redis = new RedisProbe(api.app().vertx(), SharedBackends.redisUrl(REDIS_DB));
    redis.flush();
  }

  @AfterAll
  static void stop() {
    redis.close();
    api.close();
  }

  record Refusal(String name, JsonObject payload, String field) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        new Refusal("no url", new JsonObject(), "payload.url"),
        new Refusal("a host off the allow-list", url("http://169.254.169.254/latest/meta-data"), "payload.url"),
        new Refusal("an allowed host on another port", url("http://127.0.0.1:9001/work"), "payload.url"),
        new Refusal("the bare domain of a *. pattern", url("https://partner.example/work"), "payload.url"),
        new Refusal("a host that only ends like an allowed domain", url("https://evilpartner.example/x"), "payload.url"),
        new Refusal("user info that could hide the host", url("http://127.0.0.1:9000@10.0.0.1/x"), "payload.url"),
        new Refusal("a scheme other than http(s)", url("file:///etc/passwd"), "payload.url"),
        new Refusal("concurrency 0", url("http://127.0.0.1:9000/w").put("concurrency", 0), "payload.concurrency"),
        new Refusal("a negative rate", url("http://127.0.0.1:9000/w").put("ratePerSecond", -5), "payload.ratePerSecond"),
        new Refusal("a timeout that is text", url("http://127.0.0.1:9000/w").put("timeoutMs", "soon"),
            "payload.timeoutMs"),
        new Refusal("a secret name in lower case", url("http://127.0.0.1:9000/w").put("headers",
            new JsonObject().put("Authorization", new JsonObject().put("secret", "token"))),
            "payload.headers.Authorization"),
        new Refusal("a header value over two lines", url("http://127.0.0.1:9000/w").put("headers",
            new JsonObject().put("X-Note", "a\r\nHost: elsewhere")), "payload.headers.X-Note"))
        .map(Arguments::of);
  }

  private static JsonObject url(String url) {
    return new JsonObject().put("url", url);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusals")
  @DisplayName("refused, named, and not stored")
  void refused(Refusal refusal) {
    Set<String> keysBefore = redis.storedKeys();

    HttpResponse<Buffer> response = api.post("/jobs",
        new JsonObject().put("type", "http").put("count", 3).put("payload", refusal.payload()));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("invalid_field");
    assertThat(error.getString("field")).isEqualTo(refusal.field());
    assertThat(redis.storedKeys()).as("keys in Redis after the refusal").isEqualTo(keysBefore);
  }

  @org.junit.jupiter.api.Test
  @DisplayName("an allowed host and port, or a subdomain of an allowed domain, is accepted")
  void allowed() {
    for (String url : new String[] {"http://127.0.0.1:9000/work", "https://api.partner.example/v1/score"}) {
      HttpResponse<Buffer> response = api.post("/jobs", new JsonObject().put("type", "http").put("count", 1)
          .put("payload", url(url).put("headers", new JsonObject().put("Authorization",
              new JsonObject().put("secret", "PARTNER_TOKEN")))));
      assertThat(response.statusCode()).as(url + ": " + response.bodyAsString()).isEqualTo(202);
    }
  }

}
