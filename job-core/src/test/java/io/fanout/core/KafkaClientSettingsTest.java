package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaClientSettingsTest {
  private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
      + "username=\"fanout\" password=\"s3cret-pw\";";

  private static Vertx vertx;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @Test
  @DisplayName("KAFKA_CLIENT_<NAME> variables map to Kafka's names and win over the properties file")
  void variablesOverFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nlinger.ms=7\n");
    JsonObject merged = new JsonObject()
        .put(Settings.KAFKA_CLIENT_PROPERTIES, file.toString())
        .put("KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL")
        .put("KAFKA_CLIENT_SASL_JAAS_CONFIG", JAAS)
        .put("KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION", "/etc/ca.p12")
        .put("HTTP_PORT", 8080);

    JsonObject resolved = KafkaClientSettings.resolve(vertx, merged).await();

    assertThat(resolved.getMap()).containsOnly(
        Map.entry("security.protocol", "SASL_SSL"),
        Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
        Map.entry("sasl.jaas.config", JAAS),
        Map.entry("ssl.truststore.location", "/etc/ca.p12"),
        Map.entry("linger.ms", "7"));
  }

  @Test
  @DisplayName("every client gets the settings its kind knows, and a plugin's unknown setting goes to all")
  void perClientKind() {
    Settings settings = new Settings(new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, "broker:9093")
        .put(Settings.TOPIC_DISCOVERY_MS, 1000)
        .put(Settings.KAFKA_CLIENT, new JsonObject()
            .put("security.protocol", "SASL_SSL")
            .put("linger.ms", "50")
            .put("max.poll.records", "100")
            .put("acme.plugin.region", "eu")));

    Map<String, String> admin = KafkaClients.admin(settings, "a");
    Map<String, String> producer = KafkaClients.transactionalProducer(settings, "p");
    Map<String, String> consumer = KafkaClients.consumer(settings, "c", "g");

    assertThat(admin).containsEntry("security.protocol", "SASL_SSL").containsEntry("acme.plugin.region", "eu")
        .doesNotContainKeys("linger.ms", "max.poll.records");
    assertThat(producer).containsEntry("security.protocol", "SASL_SSL").containsEntry("linger.ms", "50")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all").containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "p")
        .doesNotContainKey("max.poll.records");
    assertThat(consumer).containsEntry("security.protocol", "SASL_SSL").containsEntry("max.poll.records", "100")
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed").doesNotContainKey("linger.ms");
    assertThat(consumer.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)).isEqualTo("broker:9093");
  }

  @Test
  @DisplayName("a setting Fanout's guarantees rest on is refused, naming the variable")
  void fanoutsOwnSettingsRefused() {
    JsonObject merged = new JsonObject().put("KAFKA_CLIENT_ISOLATION_LEVEL", "read_uncommitted");

    assertThatThrownBy(() -> KafkaClientSettings.resolve(vertx, merged).await())
        .hasMessageContaining("KAFKA_CLIENT_ISOLATION_LEVEL").hasMessageContaining("isolation.level");
    assertThatThrownBy(() -> KafkaClientSettings.resolve(vertx,
        new JsonObject().put("KAFKA_CLIENT_BOOTSTRAP_SERVERS", "x:1")).await())
        .hasMessageContaining(Settings.KAFKA_BOOTSTRAP_SERVERS);
  }

  @Test
  @DisplayName("an unreadable properties file is refused, naming KAFKA_CLIENT_PROPERTIES")
  void missingFile(@TempDir Path dir) {
    JsonObject merged = new JsonObject().put(Settings.KAFKA_CLIENT_PROPERTIES, dir.resolve("none").toString());

    assertThatThrownBy(() -> KafkaClientSettings.resolve(vertx, merged).await())
        .hasMessageContaining(Settings.KAFKA_CLIENT_PROPERTIES).hasMessageContaining("none");
  }

  @Test
  @DisplayName("TOPIC_REPLICATION_FACTOR empty leaves the factor to the cluster; a number sets it; anything else is refused by name")
  void replicationFactor() {
    assertThat(new Settings(new JsonObject().put(Settings.TOPIC_REPLICATION_FACTOR, "")).topicReplicationFactor())
        .isEmpty();
    assertThat(new Settings(new JsonObject().put(Settings.TOPIC_REPLICATION_FACTOR, "3")).topicReplicationFactor())
        .contains((short) 3);
    assertThatThrownBy(() -> new Settings(new JsonObject().put(Settings.TOPIC_REPLICATION_FACTOR, "0"))
        .topicReplicationFactor()).hasMessageContaining(Settings.TOPIC_REPLICATION_FACTOR);
    assertThatThrownBy(() -> new Settings(new JsonObject().put(Settings.TOPIC_REPLICATION_FACTOR, "three"))
        .topicReplicationFactor()).hasMessageContaining(Settings.TOPIC_REPLICATION_FACTOR);
  }

  @Test
  @DisplayName("passwords, JAAS lines and key material are hidden wherever settings are shown")
  void secretsHidden() {
    Map<String, String> given = Map.of(
        "security.protocol", "SASL_SSL",
        "sasl.jaas.config", JAAS,
        "ssl.truststore.password", "trust-pw",
        "ssl.keystore.key", "-----BEGIN PRIVATE KEY-----",
        "acme.api.secret", "xyz123");

    Map<String, String> shown = KafkaClientSettings.redacted(given);

    assertThat(shown).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.jaas.config", "[hidden]")
        .containsEntry("ssl.truststore.password", "[hidden]")
        .containsEntry("ssl.keystore.key", "[hidden]")
        .containsEntry("acme.api.secret", "[hidden]");
    assertThat(KafkaClientSettings.scrub("login with password s3cret-pw failed; jaas " + JAAS, given))
        .doesNotContain("s3cret-pw").contains("[hidden]");
  }
}
