package io.fanout.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka client settings shared by every role, built from {@link Settings}: the one place a client
 * config is made, so the operator's own settings ({@link KafkaClientSettings}: SASL, TLS, tuning)
 * reach every client. Those go on top of Fanout's, bar the few Fanout keeps for itself.
 */
public final class KafkaClients {
  private KafkaClients() {}

  public static Map<String, String> admin(Settings settings, String clientId) {
    return withOperatorSettings(settings, common(settings, clientId), AdminClientConfig.configNames());
  }


  /**
   * Idempotent, fully acknowledged: a task or log record is written once and not lost. One
   * request in flight per broker: with more, a request to a just-created partition can fail
   * (NOT_LEADER_OR_FOLLOWER) while the next one succeeds, and the first is then refused as out
   * of sequence until it expires, losing its records (KAFKA-15591, unfixed in clients 3.7).
   * Batches stay large (linger, batch size), so one request carries many tasks.
   */
  public static Map<String, String> producer(Settings settings, String clientId) {
    return withOperatorSettings(settings, producerDefaults(settings, clientId), ProducerConfig.configNames());
  }

  private static Map<String, String> producerDefaults(Settings settings, String clientId) {
    Map<String, String> config = common(settings, clientId);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(128 * 1024));
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // A new job's partitions have leaders before its tasks are sent, but the broker can still
    // answer NOT_LEADER_OR_FOLLOWER for a moment: retry soon, not after Kafka's 100 ms.
    config.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "20");
    return config;
  }

  /**
   * A producer whose records become visible together with the consumer offsets sent in the same
   * transaction. Kept to one transaction id per consumer: with the group's generation checked
   * at commit (KIP-447), a worker that lost its partitions cannot commit for them. An open
   * transaction holds back read_committed readers of its partitions, and the next owner's read
   * of their committed offsets, until it ends: one left by a killed worker must be aborted soon.
   * A worker's transaction lasts as long as its round's count in Redis (milliseconds; the worker
   * gives up waiting for it after 2 s) and the sends.
   */
  public static Map<String, String> transactionalProducer(Settings settings, String transactionalId) {
    Map<String, String> config = producerDefaults(settings, transactionalId);
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "5000");
    return withOperatorSettings(settings, config, ProducerConfig.configNames());
  }

  /**
   * Offsets are committed by hand, after the effect; a new job's topic is found by the next
   * metadata refresh, so its period bounds how long a new job waits for the workers.
   */
  public static Map<String, String> consumer(Settings settings, String clientId, String groupId) {
    Map<String, String> config = common(settings, clientId);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Log and dead-letter records are written in transactions: never show a reader an aborted one.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, Integer.toString(settings.integer(Settings.TOPIC_DISCOVERY_MS)));
    // Commits are synchronous in the client: bound them, so a broker going away cannot hang a worker.
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    // A worker killed without leaving is noticed after this long; its tasks then move on.
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
    // A consumer has one fetch in flight per broker, held open this long when there is nothing to
    // read; a new job's partitions wait behind it. Kafka's 500 ms would be most of a small job's
    // run; idle workers pay with a few more (cheap) fetches a second.
    config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1500");
    // Metadata asked for a new job's topic, and offsets of partitions just assigned, are asked
    // again this soon when not ready yet; Kafka's 100 ms is a tenth of a one-task job's run.
    config.put(ConsumerConfig.RETRY_BACKOFF_MS_CONFIG, "20");
    config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, PerTopicAssignor.class.getName());
    return withOperatorSettings(settings, config, ConsumerConfig.configNames());
  }

  /**
   * A reader of one partition by offset, outside any group: the dispatcher reading a dataset's
   * staging topic (an item's offset is its task index). Nothing is committed; where to read is
   * the fan-out's checkpoint in Redis.
   */
  public static Map<String, String> reader(Settings settings, String clientId) {
    Map<String, String> config = common(settings, clientId);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    return withOperatorSettings(settings, config, ConsumerConfig.configNames());
  }

  private static Map<String, String> common(Settings settings, String clientId) {
    Map<String, String> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(settings));
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
    return config;
  }

  /** The operator's settings this kind of client knows, over Fanout's. */
  private static Map<String, String> withOperatorSettings(Settings settings, Map<String, String> config,
      Set<String> clientNames) {
    config.putAll(KafkaClientSettings.forClient(settings.kafkaClient(), clientNames));
    return config;
  }

  private static String bootstrapServers(Settings settings) {
    String servers = settings.optionalString(Settings.KAFKA_BOOTSTRAP_SERVERS);
    if (servers == null) {
      throw new IllegalStateException("KAFKA_BOOTSTRAP_SERVERS is not set and no embedded Kafka was started");
    }
    return servers;
  }
}
