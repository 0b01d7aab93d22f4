package io.fanout.app.embedded;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Kafka broker and Redis server of the one-command default, with their data under
 * one directory: {@code <dir>/kafka} and {@code <dir>/redis}. Starting again on the same
 * directory finds the topics, records and keys of the previous run. A process given an outside
 * Kafka or Redis starts only the other one; the order of start and stop is the same, kept here.
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

  /** Both servers under {@code dir} (created if missing); a port of 0 picks a free one. */
  public static EmbeddedInfrastructure start(Path dir, int kafkaPort, int redisPort) {
    return start(dir, OptionalInt.of(kafkaPort), OptionalInt.of(redisPort));
  }

  /**
   * Starts Redis, then Kafka, under {@code dir} (created if missing); a server whose port is
   * empty is left out, and a port of 0 picks a free one. If Kafka fails to start, the Redis
   * already started is stopped again.
   */
  public static EmbeddedInfrastructure start(Path dir, OptionalInt kafkaPort, OptionalInt redisPort) {
    Objects.requireNonNull(dir, "dir");
    Path root = dir.toAbsolutePath().normalize();
    long startedAt = System.nanoTime();
    // Redis first: it starts in a fraction of the time Kafka takes, and a failure there is cheap.
    EmbeddedRedis redis = redisPort.isPresent() ? EmbeddedRedis.start(root.resolve("redis"), redisPort.getAsInt()) : null;
    EmbeddedKafka kafka = null;
    try {
      if (kafkaPort.isPresent()) {
        kafka = EmbeddedKafka.start(root.resolve("kafka"), kafkaPort.getAsInt());
      }
    } catch (RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      throw e;
    }
    EmbeddedInfrastructure started = new EmbeddedInfrastructure(root, kafka, redis);
    if (!started.isEmpty()) {
      LOG.info("Embedded Kafka {} and Redis {} ready under {} in {} ms", started.bootstrapServers(),
          started.redisUrl(), root, (System.nanoTime() - startedAt) / 1_000_000);
    }
    return started;
  }

  /** Whether neither server was wanted: Kafka and Redis are both outside this process. */
  public boolean isEmpty() {
    return kafka == null && redis == null;
  }

  /** {@code 127.0.0.1:port} of the Kafka broker, or null when it was not started here. */
  public String bootstrapServers() {
    return kafka == null ? null : kafka.bootstrapServers();
  }

  /** {@code redis://127.0.0.1:port}, or null when it was not started here. */
  public String redisUrl() {
    return redis == null ? null : redis.url();
  }

  /**
   * For an owner that closes this itself on shutdown, after what depends on it (the verticles):
   * the servers' own JVM hooks must not run at the same time as the owner's.
   */
  public void leaveShutdownToOwner() {
    if (kafka != null) {
      kafka.leaveShutdownToOwner();
    }
    if (redis != null) {
      redis.leaveShutdownToOwner();
    }
  }

  /** The broker, or null when it was not started here. */
  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** The Redis server, or null when it was not started here. */
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
      if (kafka != null) {
        kafka.close();
      }
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }
}
