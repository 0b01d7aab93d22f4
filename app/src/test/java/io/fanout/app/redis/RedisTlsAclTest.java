package io.fanout.app.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.TestCertificates;
import io.fanout.core.Settings;
import io.fanout.core.SettingsRefusedException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A managed-style Redis: Debian's redis-server 7 with TLS only (no plain port), client
 * certificates required, the default user off and one ACL user with a password. Certificates are
 * made by openssl when the class starts. Kafka is the suite's shared broker.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Redis with an ACL user, a password and TLS only")
class RedisTlsAclTest {
  private static final String USER = "fanout";
  /** Random, so that finding it in a log or an answer can only mean it leaked. */
  private static final String PASSWORD = "pw-" + UUID.randomUUID();
  private static final String WRONG_PASSWORD = "wrong-" + UUID.randomUUID();
  private static final long TASKS = 5_000;

  @TempDir
  static Path dir;
  private static RedisNodes nodes;
  private static TestCertificates certs;
  private static int port;

  @BeforeAll
  static void startRedis() {
    certs = TestCertificates.make(dir.resolve("certs"));
    port = FanoutUnderTest.freePort();
    nodes = new RedisNodes(dir);
    nodes.server("tls-acl", port, List.of(
        "port 0",
        "tls-port " + port,
        "tls-cert-file " + certs.serverCert(),
        "tls-key-file " + certs.serverKey(),
        "tls-ca-cert-file " + certs.caCert(),
        "tls-auth-clients yes",
        "user default off",
        "user " + USER + " on >" + PASSWORD + " ~* &* +@all"));
  }

  @AfterAll
  static void stopRedis() throws InterruptedException {
    nodes.close();
  }

  /** What an operator sets for this Redis: the password in REDIS_PASSWORD, not in the URL. */
  private static JsonObject settings() {
    return new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers())
        .put(Settings.REDIS_URL, "rediss://127.0.0.1:" + port)
        .put(Settings.REDIS_USER, USER)
        .put(Settings.REDIS_PASSWORD, PASSWORD)
        .put(Settings.REDIS_TLS_TRUST_PEM, certs.caCert().toString())
        .put(Settings.REDIS_TLS_CERT_PEM, certs.clientCert().toString())
        .put(Settings.REDIS_TLS_KEY_PEM, certs.clientKey().toString())
        // A cold JVM's first TLS handshake on a loaded 2-core machine has taken over 10 s; what
        // these tests wait for is the server's answer, not the default patience.
        .put(Settings.REDIS_CONNECT_TIMEOUT_MS, 60_000);
  }

  @Test
  @DisplayName("a 5,000-task job runs end to end over TLS as the ACL user, and neither /health nor /cluster shows the password")
  void jobRunsOverTlsWithAcl() {
    try (FanoutUnderTest fanout = FanoutUnderTest.start(settings())) {
      JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", TASKS),
          Duration.ofSeconds(120));
      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(TASKS);

      HttpResponse<Buffer> health = fanout.get("/health");
      assertThat(health.statusCode()).isEqualTo(200);
      JsonObject redis = health.bodyAsJsonObject().getJsonObject("redis");
      assertThat(redis.getString("status")).isEqualTo("UP");
      assertThat(redis.getString("role")).isEqualTo("master");
      assertThat(health.bodyAsString()).doesNotContain(PASSWORD);
      HttpResponse<Buffer> cluster = fanout.get("/cluster");
      assertThat(cluster.statusCode()).isEqualTo(200);
      assertThat(cluster.bodyAsString()).doesNotContain(PASSWORD);
    }
  }

  @Test
  @DisplayName("with a wrong REDIS_PASSWORD the process exits with status 1 after one error line that names the setting and not the password")
  void wrongPasswordRefusesToStart() throws Exception {
    // A cold JVM's first TLS handshake can take seconds on a busy machine; the refusal must come
    // from the password, not from a timeout.
    Map<String, String> env = settings().put(Settings.REDIS_PASSWORD, WRONG_PASSWORD)
        .put(Settings.REDIS_CONNECT_TIMEOUT_MS, 45_000)
        .put(Settings.HTTP_PORT, FanoutUnderTest.freePort()).put(Settings.PROGRESS_PORT, FanoutUnderTest.freePort())
        .stream().collect(Collectors.toMap(Map.Entry::getKey, entry -> String.valueOf(entry.getValue())));
    // The operators' logging, not the tests': what a user would see.
    ChildFanout child = ChildFanout.start("redis-wrong-password",
        List.of("-Xmx256m", "-Dlogback.configurationFile=" + Path.of("../conf/logback.xml").toAbsolutePath()),
        List.of(), env);
    try {
      assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).as("the process ends by itself").isTrue();
      assertThat(child.process().exitValue()).isEqualTo(1);
      String log = Files.readString(Path.of("target", "redis-wrong-password.log"));
      List<String> errors = log.lines().filter(line -> line.contains(" ERROR ")).toList();
      assertThat(errors).as("error lines in %s", log).hasSize(1);
      assertThat(errors.get(0)).contains("Fanout could not start", "Redis refused the credentials", "WRONGPASS",
          "REDIS_PASSWORD", "rediss://127.0.0.1:" + port);
      assertThat(log).doesNotContain(WRONG_PASSWORD).doesNotContain(PASSWORD);
      // Nothing else about Redis: no reconnect warnings, no client errors.
      assertThat(log.lines().filter(line -> line.toLowerCase(Locale.ROOT).contains("redis")))
          .as("lines about Redis in %s", log).hasSize(1);
    } finally {
      child.close();
    }
  }

  @Test
  @DisplayName("a wrong password in REDIS_URL, an untrusted certificate, plain redis:// to the TLS port and a closed port each refuse the start with one message naming what to fix")
  void otherMistakesAreNamed() {
    assertThat(refusal(settings().put(Settings.REDIS_URL, "rediss://" + USER + ":" + WRONG_PASSWORD + "@127.0.0.1:" + port)
        .putNull(Settings.REDIS_PASSWORD)))
        .contains("Redis refused the credentials", "REDIS_URL", "rediss://" + USER + ":***@127.0.0.1:" + port)
        .doesNotContain(WRONG_PASSWORD);
    assertThat(refusal(settings().putNull(Settings.REDIS_TLS_TRUST_PEM)))
        .contains("TLS with Redis failed", "REDIS_TLS_TRUST_PEM").doesNotContain(PASSWORD);
    // Those two are asked again until REDIS_CONNECT_TIMEOUT_MS: keep it short.
    assertThat(refusal(settings().put(Settings.REDIS_URL, "redis://127.0.0.1:" + port)
        .put(Settings.REDIS_CONNECT_TIMEOUT_MS, 1500)))
        .contains("REDIS_URL", "rediss://").doesNotContain(PASSWORD);
    assertThat(refusal(settings().put(Settings.REDIS_URL, "rediss://127.0.0.1:" + FanoutUnderTest.freePort())
        .put(Settings.REDIS_CONNECT_TIMEOUT_MS, 1500)))
        .contains("Redis does not answer", "REDIS_URL", "REDIS_CONNECT_TIMEOUT_MS").doesNotContain(PASSWORD);
  }

  private static String refusal(JsonObject settings) {
    Throwable[] thrown = new Throwable[1];
    assertThatThrownBy(() -> FanoutUnderTest.start(settings).close())
        .isInstanceOf(SettingsRefusedException.class)
        .satisfies(refused -> thrown[0] = refused);
    return thrown[0].getMessage();
  }
}
