package io.fanout.app.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Runs the real broker and the real redis-server; nothing is mocked. Kafka is driven with plain
 * kafka-clients and Redis with Jedis (which embedded-redis brings), so these tests do not depend
 * on the application's own Kafka or Redis code.
 */
@DisplayName("Embedded Kafka and Redis")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedInfrastructureTest {

  private static final Duration CONSUME_TIMEOUT = Duration.ofSeconds(15);

  @Test
  @DisplayName("a fresh start creates a topic, takes a record and gives it back, and Redis stores and returns a key")
  void freshStartServesKafkaAndRedis(@TempDir Path dir) throws Exception {
    try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start(dir)) {
      assertThat(Files.exists(dir.resolve("kafka/meta.properties"))).as("Kafka storage formatted").isTrue();

      createTopic(infra.bootstrapServers(), "fresh-topic", 3);
      RecordMetadata written = produce(infra.bootstrapServers(), "fresh-topic", "job-1", "hello");
      assertThat(written.offset()).isZero();

      List<ConsumerRecord<String, String>> read = consume(infra.bootstrapServers(), "fresh-topic", 1);
      assertThat(read).singleElement().satisfies(record -> {
        assertThat(record.key()).isEqualTo("job-1");
        assertThat(record.value()).isEqualTo("hello");
      });

      try (Jedis jedis = new Jedis(URI.create(infra.redisUrl()))) {
        assertThat(jedis.set("fresh-key", "fresh-value")).isEqualTo("OK");
        assertThat(jedis.get("fresh-key")).isEqualTo("fresh-value");
      }
    }
  }

  @Test
  @DisplayName("after a close and a new start on the same directory, the topic, its record and the Redis key are still there")
  void dataSurvivesRestartOnSameDirectory(@TempDir Path dir) throws Exception {
    String clusterIdBefore;
    try (EmbeddedInfrastructure first = EmbeddedInfrastructure.start(dir)) {
      clusterIdBefore = clusterId(first.bootstrapServers());
      createTopic(first.bootstrapServers(), "kept-topic", 2);
      produce(first.bootstrapServers(), "kept-topic", "job-7", "still here");
      try (Jedis jedis = new Jedis(URI.create(first.redisUrl()))) {
        jedis.set("kept-key", "kept-value");
      }
    }

    // Ports 0 again: the second start may land on other ports; the data must not care.
    try (EmbeddedInfrastructure second = EmbeddedInfrastructure.start(dir)) {
      assertThat(clusterId(second.bootstrapServers())).as("cluster id after restart").isEqualTo(clusterIdBefore);
      try (Admin admin = admin(second.bootstrapServers())) {
        assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).contains("kept-topic");
        assertThat(admin.describeTopics(Set.of("kept-topic")).allTopicNames().get(10, TimeUnit.SECONDS)
            .get("kept-topic").partitions()).hasSize(2);
      }
      List<ConsumerRecord<String, String>> read = consume(second.bootstrapServers(), "kept-topic", 1);
      assertThat(read).singleElement().satisfies(record -> {
        assertThat(record.key()).isEqualTo("job-7");
        assertThat(record.value()).isEqualTo("still here");
      });

      try (Jedis jedis = new Jedis(URI.create(second.redisUrl()))) {
        assertThat(jedis.get("kept-key")).isEqualTo("kept-value");
      }
    }
  }

  private static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  private static String clusterId(String bootstrapServers) throws Exception {
    try (Admin admin = admin(bootstrapServers)) {
      return admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
    }
  }

  private static void createTopic(String bootstrapServers, String topic, int partitions) throws Exception {
    try (Admin admin = admin(bootstrapServers)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(10, TimeUnit.SECONDS);
    }
  }

  private static RecordMetadata produce(String bootstrapServers, String topic, String key, String value)
      throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
           new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      return producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
    }
  }

  /** Reads from the beginning with a new consumer group, as a restarted worker would. */
  private static List<ConsumerRecord<String, String>> consume(String bootstrapServers, String topic, int expected) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
           new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + CONSUME_TIMEOUT.toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }
}
