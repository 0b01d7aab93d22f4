package io.fanout.app;

import io.fanout.app.embedded.EmbeddedKafka;
import io.fanout.app.embedded.EmbeddedRedis;
import io.fanout.core.FanoutConfig;
import io.fanout.core.Settings;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Fanout process: its settings, the embedded Kafka and Redis it starts when none are given,
 * its Vert.x instance (clustered or not) and the verticles of its roles. Closing it stops the
 * verticles first, so workers can finish and commit, then the broker, then Redis.
 */
public final class FanoutApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FanoutApp.class);

  private final Settings settings;
  private final Vertx vertx;
  private final EmbeddedKafka kafka;
  private final EmbeddedRedis redis;

  private FanoutApp(Settings settings, Vertx vertx, EmbeddedKafka kafka, EmbeddedRedis redis) {
    this.settings = settings;
    this.vertx = vertx;
    this.kafka = kafka;
    this.redis = redis;
  }

  /**
   * Starts a process with the layered configuration plus {@code overrides}. Blocks until every
   * verticle is deployed; call it from a plain thread, not an event loop.
   */
  public static FanoutApp start(JsonObject overrides) {
    Settings settings = loadSettings(overrides);
    Set<Role> roles = roles(settings);
    boolean needsKafka = roles.stream().anyMatch(Role::needsKafka);
    boolean needsRedis = roles.stream().anyMatch(Role::needsRedis);
    Path dataDir = Path.of(settings.string(Settings.DATA_DIR));
    EmbeddedKafka kafka = null;
    EmbeddedRedis redis = null;
    JsonObject resolved = settings.asJson();
    try {
      if (needsRedis && settings.optionalString(Settings.REDIS_URL) == null) {
        redis = EmbeddedRedis.start(dataDir.resolve("redis"), 0);
        resolved.put(Settings.REDIS_URL, redis.url());
      }
      if (needsKafka && settings.optionalString(Settings.KAFKA_BOOTSTRAP_SERVERS) == null) {
        kafka = EmbeddedKafka.start(dataDir.resolve("kafka"), 0);
        resolved.put(Settings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      }
      Settings running = new Settings(resolved);
      Vertx vertx = createVertx(running);
      FanoutApp app = new FanoutApp(running, vertx, kafka, redis);
      app.deploy(roles).await();
      LOG.info("Fanout is up with roles {}{}: API at http://{}:{}/, progress at http://{}:{}/eventbus",
          roles, running.bool(Settings.CLUSTER) ? " in a cluster" : "",
          running.string(Settings.HTTP_HOST), running.integer(Settings.HTTP_PORT),
          running.string(Settings.HTTP_HOST), running.integer(Settings.PROGRESS_PORT));
      return app;
    } catch (RuntimeException e) {
      closeQuietly(kafka);
      closeQuietly(redis);
      throw e;
    }
  }

  public Settings settings() {
    return settings;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Stops the verticles (workers drain and commit), then Kafka, then Redis. */
  @Override
  public void close() {
    try {
      vertx.close().await();
    } finally {
      closeQuietly(kafka);
      closeQuietly(redis);
    }
    LOG.info("Fanout stopped");
  }

  private Future<Void> deploy(Set<Role> roles) {
    List<Future<String>> deployed = new ArrayList<>();
    for (Role role : roles) {
      for (Role.Deployment deployment : role.deployments()) {
        int instances = settings.integer(deployment.instancesSetting());
        // Zero instances leaves one part of a role out, e.g. a process that only dispatches.
        if (instances > 0) {
          DeploymentOptions options = new DeploymentOptions().setConfig(settings.asJson()).setInstances(instances);
          deployed.add(vertx.deployVerticle(deployment.verticle(), options));
        }
      }
    }
    return Future.all(deployed).mapEmpty();
  }

  private static Settings loadSettings(JsonObject overrides) {
    Vertx bootstrap = Vertx.vertx();
    try {
      return FanoutConfig.load(bootstrap, overrides).await();
    } finally {
      bootstrap.close().await();
    }
  }

  private static Set<Role> roles(Settings settings) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    settings.list(Settings.ROLES).forEach(name -> roles.add(Role.parse(name)));
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("ROLES names no role; give one or more of api, worker, progress");
    }
    return roles;
  }

  private static Vertx createVertx(Settings settings) {
    VertxOptions options = new VertxOptions();
    if (!settings.bool(Settings.CLUSTER)) {
      return Vertx.builder().with(options).build();
    }
    String host = settings.string(Settings.CLUSTER_HOST);
    options.getEventBusOptions().setHost(host).setPort(0);
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(ConfigUtil.loadConfig());
    return Vertx.builder().with(options).withClusterManager(clusterManager).buildClustered().await();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.warn("Could not close {} cleanly: {}", closeable, e.toString());
    }
  }
}
