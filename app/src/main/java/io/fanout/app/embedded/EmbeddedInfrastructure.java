package io.fanout.app.embedded;

import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Kafka broker and Redis server of the one-command default, with their data under
 * one directory: {@code <dir>/kafka} and {@code <dir>/redis}. Starting again on the same
 * directory finds the topics, records and keys of the previous run.
 */
public final class EmbeddedInfrastructure implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedInfrastructure.class);

  private final Path dir;
  private final EmbeddedKafka kafka;
  private final EmbeddedRedis redis;

  private EmbeddedInfrastructure(Path dir, EmbeddedKafka kafka, EmbeddedRedis redis) {
    this.dir = dir;
    this.kafka = kafka;
    this.redis = redis;
  }

  /** Both servers on free ports. */
  public static EmbeddedInfrastructure start(Path dir) {
    return start(dir, 0, 0);
  }

  /**
   * Starts Redis, then Kafka, under {@code dir} (created if missing). A port of 0 picks a free
   * one. If Kafka fails to start, the Redis already started is stopped again.
   */
  public static EmbeddedInfrastructure start(Path dir, int kafkaPort, int redisPort) {
    Objects.requireNonNull(dir, "dir");
    Path root = dir.toAbsolutePath().normalize();
    long startedAt = System.nanoTime();
    // Redis first: it starts in a fraction of the time Kafka takes, and a failure there is cheap.
    EmbeddedRedis redis = EmbeddedRedis.start(root.resolve("redis"), redisPort);
    EmbeddedKafka kafka;
    try {
      kafka = EmbeddedKafka.start(root.resolve("kafka"), kafkaPort);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
    LOG.info("Embedded Kafka {} and Redis {} ready under {} in {} ms", kafka.bootstrapServers(),
        redis.url(), root, (System.nanoTime() - startedAt) / 1_000_000);
    return new EmbeddedInfrastructure(root, kafka, redis);
  }

  /** {@code 127.0.0.1:port} of the Kafka broker. */
  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** {@code redis://127.0.0.1:port}. */
  public String redisUrl() {
    return redis.url();
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  public EmbeddedRedis redis() {
    return redis;
  }

  public Path dir() {
    return dir;
  }

  /**
   * Stops Kafka, then Redis. Kafka goes first because, while the application is still shutting
   * down, whatever it is doing with Kafka may still write to Redis; Redis going last loses none
   * of that. Redis is stopped even if stopping Kafka fails.
   */
  @Override
  public void close() {
    try {
      kafka.close();
    } finally {
      redis.close();
    }
  }
}
