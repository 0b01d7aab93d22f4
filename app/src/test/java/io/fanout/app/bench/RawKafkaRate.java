package io.fanout.app.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import io.fanout.core.PerTopicAssignor;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's own limit on this machine, for ratios: a plain kafka-clients producer and consumer
 * loop over 100-byte records, what Kafka's ProducerPerformance and ConsumerPerformance do (those
 * tools are not in kafka_2.13 3.7.1, so not on this classpath). The producer keeps the client's
 * defaults, as the perf tool does unless told otherwise; a second producer run with Fanout's own
 * producer settings shows what those settings cost.
 */
final class RawKafkaRate {
  private static final Logger LOG = LoggerFactory.getLogger(RawKafkaRate.class);
  static final int RECORD_BYTES = 100;
  private static final Duration LIMIT = Duration.ofSeconds(120);

  /** Records per second of one run; consumeRate reads back the records of the default producer. */
  record Rates(double produceRate, double consumeRate, double fanoutProducerRate) {}

  private final String bootstrapServers;
  private final int partitions;

  RawKafkaRate(String bootstrapServers, int partitions) {
    this.bootstrapServers = bootstrapServers;
    this.partitions = partitions;
  }

  Rates measure(int records, int run, Map<String, String> fanoutProducer) throws Exception {
    String plain = "bench.raw." + run;
    String tuned = "bench.raw-fanout-settings." + run;
    createTopics(List.of(plain, tuned));
    Map<String, Object> defaults = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    Produced produced = produce(plain, records, defaults);
    double consume = consume(plain, produced.inTopic());
    Map<String, Object> fanout = new HashMap<>(fanoutProducer);
    fanout.put(ProducerConfig.CLIENT_ID_CONFIG, "bench-raw-fanout-settings");
    return new Rates(produced.rate(), consume, produce(tuned, records, fanout).rate());
  }

  /**
   * The client-default producer alone, on a topic of its own: the reference one Fanout run is
   * paired with, measured just before it, so that both see the JVM and the machine as they are then.
   */
  double produceRate(int records, String name) throws Exception {
    String topic = "bench.raw-paired." + name;
    createTopics(List.of(topic));
    return produce(topic, records, Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers)).rate();
  }

  /** The timed rate, and how many records the topic then holds (the warm-up ones included). */
  private record Produced(double rate, long inTopic) {}

  private void createTopics(List<String> names) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      List<NewTopic> topics = new ArrayList<>();
      // The cluster's replication factor, as Fanout's own topics get: RF 3 on a 3-node cluster.
      names.forEach(name -> topics.add(new NewTopic(name, Optional.of(partitions), Optional.empty())));
      admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
      // Producing before every partition has a leader would time the metadata wait, not the broker.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && !haveLeaders(admin, names)) {
        FanoutHttp.pause(20);
      }
    }
  }

  /**
   * The Kafka work of a no-op task without the rest of Fanout: a record produced with Fanout's
   * producer settings, read back by a read_committed group member, and answered with a log-sized
   * record produced in a transaction that also commits the member's offsets, one transaction per
   * 20 ms as a worker does. Records per second through the whole chain, first send to last commit.
   */
  double pipelineRate(int records, String run, Map<String, String> fanoutProducer) throws Exception {
    String in = "bench.pipe-in." + run;
    String out = "bench.pipe-out." + run;
    createTopics(List.of(in));
    new RawKafkaRate(bootstrapServers, 1).createTopics(List.of(out));
    Map<String, Object> producerSettings = new HashMap<>(fanoutProducer);
    producerSettings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producerSettings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    Map<String, Object> transactional = new HashMap<>(producerSettings);
    transactional.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-pipe-" + UUID.randomUUID());
    Map<String, Object> member = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "bench-pipe-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    ExecutorService feeder = Executors.newSingleThreadExecutor();
    try (KafkaProducer<String, String> logger = new KafkaProducer<>(transactional);
         KafkaConsumer<String, String> worker = new KafkaConsumer<>(member)) {
      logger.initTransactions();
      worker.subscribe(List.of(in));
      long start = System.nanoTime();
      Future<?> fed = feeder.submit(() -> {
        try (KafkaProducer<String, String> dispatcher = new KafkaProducer<>(producerSettings)) {
          for (int i = 0; i < records; i++) {
            dispatcher.send(new ProducerRecord<>(in, Integer.toString(i), null));
          }
        }
        return null;
      });
      long deadline = start + LIMIT.toNanos();
      long processed = 0;
      long transactionStart = 0;
      boolean inTransaction = false;
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      while (processed < records && System.nanoTime() < deadline) {
        for (var record : worker.poll(Duration.ofMillis(5))) {
          if (!inTransaction) {
            logger.beginTransaction();
            inTransaction = true;
            transactionStart = System.nanoTime();
          }
          logger.send(new ProducerRecord<>(out, record.key(), "{\"jobId\":\"" + in + "\",\"index\":" + record.key()
              + ",\"status\":\"done\",\"attempts\":1,\"worker\":\"bench\",\"at\":" + System.currentTimeMillis()
              + ",\"result\":{\"value\":" + record.key() + "}}"));
          offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
          processed++;
        }
        if (inTransaction && (processed >= records || System.nanoTime() - transactionStart >= 20_000_000L)) {
          logger.sendOffsetsToTransaction(offsets, worker.groupMetadata());
          logger.commitTransaction();
          inTransaction = false;
        }
      }
      fed.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
      return processed / ((System.nanoTime() - start) / 1e9);
    } finally {
      feeder.shutdownNow();
    }
  }

  /**
   * What per-job topics cost the broker: pairs of one-partition topics (a one-task job's tasks and
   * log) created per second, each request waited for until its topics have leaders, as a
   * dispatcher does. {@code creators} send requests side by side, each of {@code pairsPerRequest}
   * pairs. Deleted after.
   */
  double topicPairRate(int pairs, int creators, int pairsPerRequest) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      List<String> created = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger next = new AtomicInteger();
      int requests = (pairs + pairsPerRequest - 1) / pairsPerRequest;
      ExecutorService pool = Executors.newFixedThreadPool(creators);
      long start = System.nanoTime();
      try {
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < creators; c++) {
          running.add(pool.submit(() -> {
            while (next.getAndIncrement() < requests) {
              List<String> names = new ArrayList<>();
              for (int i = 0; i < pairsPerRequest; i++) {
                String base = "bench-pair-" + UUID.randomUUID();
                names.add(base + ".tasks");
                names.add(base + ".log");
              }
              admin.createTopics(names.stream().map(name -> new NewTopic(name, Optional.of(1), Optional.empty())).toList())
                  .all().get(30, TimeUnit.SECONDS);
              created.addAll(names);
              while (!haveLeaders(admin, names)) {
                FanoutHttp.pause(5);
              }
            }
            return null;
          }));
        }
        for (Future<?> creator : running) {
          creator.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        }
        return requests * pairsPerRequest / ((System.nanoTime() - start) / 1e9);
      } finally {
        pool.shutdownNow();
        admin.deleteTopics(created).all().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * How fast a consumer group starts reading new topics, which is what a one-task job waits for
   * after its topics exist. One plain group member with Fanout's consumer settings (its
   * assignor, a pattern subscription, 50 ms fetch waits, 20 ms retries) reads while topics are
   * created {@code perRequest} at a time, one record produced into each; after each request the
   * member subscribes again, as workers do when a dispatcher announces a job's topics. New topics
   * per second from the first request to the last record read. No Redis, no Vert.x. Deleted after.
   */
  double newTopicsReadRate(int topics, int perRequest) throws Exception {
    String prefix = "bench-discover-" + UUID.randomUUID().toString().substring(0, 8);
    Pattern pattern = Pattern.compile(Pattern.quote(prefix) + "\\..+");
    AtomicBoolean subscribeAgain = new AtomicBoolean();
    List<String> created = Collections.synchronizedList(new ArrayList<>());
    Map<String, Object> member = new HashMap<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, prefix,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50",
        ConsumerConfig.RETRY_BACKOFF_MS_CONFIG, "20",
        ConsumerConfig.METADATA_MAX_AGE_CONFIG, "1000",
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, PerTopicAssignor.class.getName(),
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()));
    Map<String, Object> sender = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1",
        ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "20",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    ExecutorService creator = Executors.newSingleThreadExecutor();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
         KafkaProducer<String, String> producer = new KafkaProducer<>(sender);
         KafkaConsumer<String, String> consumer = new KafkaConsumer<>(member)) {
      consumer.subscribe(pattern);
      consumer.poll(Duration.ofMillis(100));
      long start = System.nanoTime();
      Future<?> creating = creator.submit(() -> {
        for (int from = 0; from < topics; from += perRequest) {
          List<String> names = new ArrayList<>();
          for (int i = from; i < Math.min(topics, from + perRequest); i++) {
            names.add(prefix + "." + i);
          }
          admin.createTopics(names.stream().map(name -> new NewTopic(name, Optional.of(1), Optional.empty())).toList())
              .all().get(30, TimeUnit.SECONDS);
          created.addAll(names);
          while (!haveLeaders(admin, names)) {
            FanoutHttp.pause(5);
          }
          names.forEach(name -> producer.send(new ProducerRecord<>(name, 0, "0", null)));
          producer.flush();
          subscribeAgain.set(true);
        }
        return null;
      });
      long deadline = start + LIMIT.toNanos();
      int read = 0;
      while (read < topics && System.nanoTime() < deadline) {
        if (subscribeAgain.getAndSet(false)) {
          consumer.subscribe(pattern);
        }
        read += consumer.poll(Duration.ofMillis(20)).count();
      }
      creating.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
      return read / ((System.nanoTime() - start) / 1e9);
    } finally {
      creator.shutdownNow();
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
        admin.deleteTopics(created).all().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The floor under a small job's start: one record at a time produced with Fanout's producer
   * settings and read by a consumer with the workers' settings that already holds the partition
   * (no group, so no rebalance in the way). Each round trip in ms, from the send to the poll that
   * returns the record. Deleted after.
   */
  List<Double> roundTripsMs(int records, Map<String, String> fanoutProducer, Map<String, String> fanoutConsumer)
      throws Exception {
    String topic = "bench.round-trip." + UUID.randomUUID();
    new RawKafkaRate(bootstrapServers, 1).createTopics(List.of(topic));
    Map<String, Object> reader = new HashMap<>(fanoutConsumer);
    reader.remove(ConsumerConfig.GROUP_ID_CONFIG);
    List<Double> trips = new ArrayList<>();
    TopicPartition partition = new TopicPartition(topic, 0);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.copyOf(fanoutProducer));
         KafkaConsumer<String, String> consumer = new KafkaConsumer<>(reader)) {
      consumer.assign(List.of(partition));
      consumer.seekToEnd(List.of(partition));
      consumer.position(partition);
      // One untimed trip: the producer's first send waits for the topic's metadata.
      producer.send(new ProducerRecord<>(topic, 0, "warm-up", null)).get(30, TimeUnit.SECONDS);
      awaitRecords(consumer, 1);
      for (int i = 0; i < records; i++) {
        long sent = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, 0, Integer.toString(i), null));
        awaitRecords(consumer, 1);
        trips.add((System.nanoTime() - sent) / 1e6);
      }
    } finally {
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
        admin.deleteTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
      }
    }
    return trips;
  }

  private static void awaitRecords(KafkaConsumer<String, String> consumer, int records) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int read = 0;
    while (read < records) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("a record produced did not come back within 30 s");
      }
      read += consumer.poll(Duration.ofMillis(100)).count();
    }
  }

  private static boolean haveLeaders(Admin admin, List<String> names) throws InterruptedException {
    try {
      return admin.describeTopics(names).allTopicNames().get().values().stream()
          .flatMap(description -> description.partitions().stream())
          .allMatch(partition -> partition.leader() != null);
    } catch (ExecutionException notYetKnown) {
      // A topic created a moment ago can be unknown to the metadata for a few milliseconds more.
      return false;
    }
  }

  /**
   * Sends {@code records} 100-byte values as fast as the producer takes them; rate up to the last
   * ack. One record per partition goes first, untimed and one at a time: a partition created a
   * moment ago can still answer NOT_LEADER_OR_FOLLOWER, and with several requests in flight the
   * idempotent producer's retry is then refused as out of sequence until the delivery timeout
   * (KAFKA-15591), which would time the bug instead of the broker.
   */
  private Produced produce(String topic, int records, Map<String, Object> config) throws Exception {
    Map<String, Object> settings = new HashMap<>(config);
    settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    byte[] value = new byte[RECORD_BYTES];
    // Random bytes, as the perf tool sends: compressible payloads would flatter a compressing producer.
    new Random(42).nextBytes(value);
    AtomicLong failed = new AtomicLong();
    AtomicReference<Exception> firstFailure = new AtomicReference<>();
    long deadline = System.nanoTime() + LIMIT.toNanos();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(settings)) {
      for (int partition = 0; partition < partitions; partition++) {
        producer.send(new ProducerRecord<>(topic, partition, null, value)).get(60, TimeUnit.SECONDS);
      }
      long start = System.nanoTime();
      int sent = 0;
      for (; sent < records && System.nanoTime() < deadline; sent++) {
        producer.send(new ProducerRecord<>(topic, value), (metadata, error) -> {
          if (error != null) {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, error);
          }
        });
      }
      producer.flush();
      double seconds = (System.nanoTime() - start) / 1e9;
      if (failed.get() > 0) {
        LOG.warn("{} of {} raw records to {} failed, first: {}", failed.get(), sent, topic,
            firstFailure.get().toString());
      }
      return new Produced((sent - failed.get()) / seconds, partitions + sent - failed.get());
    }
  }

  /** Reads the topic from the beginning with a fresh consumer; rate up to the last record. */
  private double consume(String topic, long records) {
    Map<String, Object> settings = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings)) {
      List<TopicPartition> assigned = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(assigned);
      consumer.seekToBeginning(assigned);
      long start = System.nanoTime();
      long deadline = start + LIMIT.toNanos();
      long read = 0;
      long bytes = 0;
      while (read < records && System.nanoTime() < deadline) {
        for (var record : consumer.poll(Duration.ofMillis(100))) {
          read++;
          bytes += record.value().length;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      LOG.debug("Read {} records, {} bytes, from {} in {} s", read, bytes, topic, seconds);
      return read / seconds;
    }
  }
}
