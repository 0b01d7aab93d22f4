package io.fanout.app.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaNodes;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fanout against a Kafka that takes clients over SASL_SSL only (SCRAM-SHA-512, a certificate the
 * fixture makes with keytool), as managed Kafka services do, configured the way an operator
 * would: KAFKA_CLIENT_* variables. One node is enough here: what is tested is the client side.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Fanout runs jobs on a SASL_SSL Kafka, and refuses to start with one clear message when it cannot")
class SecuredKafkaTest {
  /** Shared with ReplicatedKafkaTest (every other database is some class's): flushed before use. */
  private static final int REDIS_DB = 15;
  private static final Duration REFUSAL_TIMEOUT = Duration.ofSeconds(90);

  private static KafkaNodes kafka;

  @BeforeAll
  static void start() {
    Vertx vertx = Vertx.vertx();
    try (RedisProbe redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB))) {
      redis.flush();
    } finally {
      vertx.close().await();
    }
    kafka = KafkaNodes.startSaslSsl("sasl", 1);
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  @DisplayName("a job runs through SASL_SSL with SCRAM credentials given as KAFKA_CLIENT_* settings; no answer shows the password")
  void jobThroughSaslSsl() {
    JsonObject settings = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.WORKER_GROUP, "sasl-" + ProcessHandle.current().pid());
    kafka.clientSettings(kafka.password()).forEach(settings::put);
    try (FanoutUnderTest fanout = FanoutUnderTest.start(settings)) {
      JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", 2000).put("partitions", 4),
          Duration.ofSeconds(60));
      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(2000);
      try (KafkaProbe probe = new KafkaProbe(fanout.app())) {
        // One per task and the job's end. (Task records may be more: a dispatcher whose lease ran
        // out on a loaded machine sends its last windows again, as the README says.)
        assertThat(probe.logRecords(job.getString("id"))).as("log records read over SASL_SSL, read_committed")
            .isEqualTo(2001);
      }
      for (String path : List.of("/health", "/cluster", "/stats", "/jobs/" + job.getString("id"))) {
        String answer = fanout.get(path).bodyAsString();
        assertThat(answer).as("GET %s", path).doesNotContain(kafka.password()).doesNotContain("jaas");
      }
      assertThat(fanout.get("/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  @DisplayName("with a wrong password Fanout exits non-zero with one error naming the credential setting, never the password")
  void wrongPasswordRefused() throws Exception {
    String wrong = "wrong-" + kafka.password();
    Map<String, String> env = new HashMap<>(kafka.clientSettings(wrong));
    env.put(Settings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    env.put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB));

    String log = refusedStart("sasl-wrong-password", env);

    assertThat(errorLines(log)).as("error lines of the refused start").hasSize(1);
    assertThat(errorLines(log).get(0))
        .contains("Fanout could not start")
        .contains("refused Fanout's credentials")
        .contains("KAFKA_CLIENT_SASL_JAAS_CONFIG")
        .contains(Settings.KAFKA_BOOTSTRAP_SERVERS + "=" + kafka.bootstrapServers());
    assertThat(log).as("the whole output").doesNotContain(wrong).doesNotContain(kafka.clientSettings(wrong)
        .get("KAFKA_CLIENT_SSL_TRUSTSTORE_PASSWORD"));
    assertThat(log).as("the settings it was given, shown at start").contains("sasl.jaas.config=[hidden]");
  }

  @Test
  @DisplayName("with no broker at KAFKA_BOOTSTRAP_SERVERS Fanout exits non-zero with one error naming the setting and the address")
  void unreachableRefused() throws Exception {
    String nowhere = "127.0.0.1:" + FanoutUnderTest.freePort();
    Map<String, String> env = new HashMap<>();
    env.put(Settings.KAFKA_BOOTSTRAP_SERVERS, nowhere);
    env.put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB));
    env.put(Settings.KAFKA_CHECK_TIMEOUT_MS, "4000");

    String log = refusedStart("kafka-unreachable", env);

    assertThat(errorLines(log)).as("error lines of the refused start").hasSize(1);
    assertThat(errorLines(log).get(0)).contains("Fanout could not start")
        .contains(Settings.KAFKA_BOOTSTRAP_SERVERS + "=" + nowhere).contains("4000 ms");
    assertThat(log).as("no stream of Kafka client warnings").doesNotContain("o.a.k.").doesNotContain("Connection to node");
  }

  /** Starts a Fanout process that must refuse to start; returns its output once it has exited non-zero. */
  private static String refusedStart(String name, Map<String, String> env) throws Exception {
    // Should it start after all, it must not take anyone's port.
    env.put(Settings.HTTP_PORT, Integer.toString(FanoutUnderTest.freePort()));
    ChildFanout child = ChildFanout.start(name, List.of("-Xmx256m"), List.of("--roles", "api,worker"), env);
    try {
      assertThat(child.process().waitFor(REFUSAL_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
          .as("the process exits within %s", REFUSAL_TIMEOUT).isTrue();
      assertThat(child.process().exitValue()).as("exit code").isNotZero();
    } finally {
      child.kill();
    }
    return Files.readString(child.log());
  }

  private static List<String> errorLines(String log) {
    return log.lines().filter(line -> line.contains("ERROR")).toList();
  }

}
