package io.fanout.app;

import io.fanout.core.SettingsRefusedException;
import io.fanout.app.embedded.EmbeddedInfrastructure;
import io.fanout.core.FanoutConfig;
import io.fanout.core.KafkaClientSettings;
import io.fanout.core.Settings;
import com.hazelcast.cluster.Address;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.JsonArray;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
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
  private final EmbeddedInfrastructure embedded;

  private FanoutApp(Settings settings, Vertx vertx, EmbeddedInfrastructure embedded) {
    this.settings = settings;
    this.vertx = vertx;
    this.embedded = embedded;
  }

  /**
   * Starts a process with the layered configuration plus {@code overrides}. Blocks until every
   * verticle is deployed and the node is listed in the registry; call it from a plain thread,
   * not an event loop.
   */
  public static FanoutApp start(JsonObject overrides) {
    long startedAtMs = System.currentTimeMillis();
    Settings settings = loadSettings(overrides);
    Set<Role> roles = roles(settings);
    OpenAccessCheck.verify(settings, roles);
    boolean needsKafka = roles.stream().anyMatch(Role::needsKafka);
    Path dataDir = Path.of(settings.string(Settings.DATA_DIR));
    // Every role reads jobs from Redis (the bridge reads their counts for snapshots).
    OptionalInt embeddedRedis = settings.optionalString(Settings.REDIS_URL) == null
        ? OptionalInt.of(settings.integer(Settings.EMBEDDED_REDIS_PORT)) : OptionalInt.empty();
    OptionalInt embeddedKafka = needsKafka && settings.optionalString(Settings.KAFKA_BOOTSTRAP_SERVERS) == null
        ? OptionalInt.of(settings.integer(Settings.EMBEDDED_KAFKA_PORT)) : OptionalInt.empty();
    EmbeddedInfrastructure embedded = null;
    Vertx vertx = null;
    JsonObject resolved = settings.asJson();
    try {
      if (embeddedKafka.isPresent()) {
        refuseSecurityForEmbeddedKafka(settings);
      } else if (needsKafka) {
        if (!settings.kafkaClient().isEmpty()) {
          LOG.info("Kafka clients get the operator's settings {}", KafkaClientSettings.redacted(settings.kafkaClient()));
        }
        KafkaCheck.run(settings);
      }
      embedded = EmbeddedInfrastructure.start(dataDir, embeddedKafka, embeddedRedis);
      // This process stops them itself, after its verticles (close()).
      embedded.leaveShutdownToOwner();
      if (embedded.redis() != null) {
        resolved.put(Settings.REDIS_URL, embedded.redisUrl());
      }
      if (embedded.kafka() != null) {
        resolved.put(Settings.KAFKA_BOOTSTRAP_SERVERS, embedded.bootstrapServers());
      }
      if (roles.equals(EnumSet.of(Role.BACKENDS)) && embedded.isEmpty()) {
        LOG.warn("Role backends with KAFKA_BOOTSTRAP_SERVERS and REDIS_URL both set starts nothing");
      }
      // A Redis Fanout cannot use stops the start before anything is deployed. The check runs while
      // the process joins its cluster, which takes seconds of its own.
      CompletableFuture<Void> redisChecked = RedisStartupCheck.begin(new Settings(resolved.copy()));
      HazelcastClusterManager clusterManager = settings.bool(Settings.CLUSTER)
          ? new HazelcastClusterManager(ClusterJoin.hazelcastConfig(settings))
          : null;
      // Named per process: tests run several Fanout processes in one JVM, each with its own meters.
      String metricsRegistry = "fanout-" + UUID.randomUUID();
      vertx = createVertx(settings, clusterManager, metricsRegistry);
      RedisStartupCheck.finish(redisChecked);
      resolved.put(Settings.NODE_ID, nodeId(settings, clusterManager));
      resolved.put(Settings.METRICS_REGISTRY, metricsRegistry);
      Settings running = new Settings(resolved);
      FanoutApp app = new FanoutApp(running, vertx, embedded);
      JsonObject node = app.describe(roles, clusterManager, startedAtMs);
      // The API's processes keep the cluster-wide gauges: a worker's start and its clients stay lean.
      MetricsEndpoint metrics = new MetricsEndpoint(!roles.contains(Role.API), roles.contains(Role.API));
      app.deploy(roles)
          .compose(deployed -> app.deploy(metrics))
          .compose(deployed -> {
            if (metrics.port() > 0) {
              node.getJsonObject("ports").put("metrics", metrics.port());
            }
            return app.deploy(new NodeHeartbeat(node, startedAtMs));
          })
          .await();
      LOG.info("Fanout node {} is up with roles {}{}, ports {}{}", node.getString("id"), node.getJsonArray("roles"),
          // The configured name: with CLUSTER_SECRET the name Hazelcast uses is the join credential.
          clusterManager == null ? "" : " in cluster " + clusterName(settings)
              + " at " + node.getString("clusterAddress"),
          node.getJsonObject("ports"),
          roles.contains(Role.API) ? "; the page is at http://" + running.string(Settings.HTTP_HOST) + ":"
              + running.integer(Settings.HTTP_PORT) + "/" : "");
      return app;
    } catch (RuntimeException e) {
      if (vertx != null) {
        Vertx started = vertx;
        closeQuietly(() -> started.close().await());
      }
      closeQuietly(embedded);
      throw e;
    }
  }

  public Settings settings() {
    return settings;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** Stops the verticles (workers drain and commit), then the embedded servers (Kafka, then Redis). */
  @Override
  public void close() {
    try {
      vertx.close().await();
    } finally {
      closeQuietly(embedded);
    }
    LOG.info("Fanout stopped");
  }

  private Future<Void> deploy(Set<Role> roles) {
    List<Future<String>> deployed = new ArrayList<>();
    for (Role role : roles) {
      for (Role.Deployment deployment : role.deployments()) {
        // Zero instances leaves one part of a role out, e.g. a process that only dispatches.
        deployed.add(deploy(() -> deployment.verticle().apply(roles), settings.integer(deployment.instancesSetting())));
      }
    }
    return Future.all(deployed).mapEmpty();
  }

  private Future<String> deploy(Supplier<? extends Deployable> verticle, int instances) {
    if (instances <= 0) {
      return Future.succeededFuture();
    }
    DeploymentOptions options = new DeploymentOptions().setConfig(settings.asJson()).setInstances(instances);
    return vertx.deployVerticle(verticle, options);
  }

  private Future<String> deploy(Deployable verticle) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(settings.asJson()));
  }

  /** What this node tells the registry about itself that does not change while it runs. */
  private JsonObject describe(Set<Role> roles, HazelcastClusterManager clusterManager, long startedAtMs) {
    JsonObject ports = new JsonObject();
    if (roles.contains(Role.API)) {
      ports.put("http", settings.integer(Settings.HTTP_PORT));
      // Prometheus finds /metrics on the API's port; other processes list their own once it is open.
      ports.put("metrics", settings.integer(Settings.HTTP_PORT));
    }
    if (roles.contains(Role.PROGRESS)) {
      ports.put("progress", settings.integer(Settings.PROGRESS_PORT));
    }
    if (embedded.kafka() != null) {
      ports.put("kafka", embedded.kafka().port());
    }
    if (embedded.redis() != null) {
      ports.put("redis", embedded.redis().port());
    }
    JsonObject node = new JsonObject()
        .put("id", settings.string(Settings.NODE_ID))
        .put("roles", new JsonArray(roles.stream().map(Role::wireName).toList()))
        .put("host", hostName())
        .put("pid", ProcessHandle.current().pid())
        .put("ports", ports)
        .put("clustered", clusterManager != null)
        .put("startedAt", Instant.ofEpochMilli(startedAtMs).toString());
    if (clusterManager != null) {
      Address member = clusterManager.getHazelcastInstance().getCluster().getLocalMember().getAddress();
      ports.put("cluster", member.getPort()).put("eventBus", clusterManager.getNodeInfo().port());
      node.put("clusterAddress", member.getHost() + ":" + member.getPort());
    }
    return node;
  }

  private static Settings loadSettings(JsonObject overrides) {
    Vertx bootstrap = Vertx.vertx();
    try {
      Settings loaded = FanoutConfig.load(bootstrap, overrides).await();
      loaded.topicReplicationFactor();
      return loaded;
    } catch (IllegalArgumentException refused) {
      // A setting that cannot be used (a Kafka client setting Fanout keeps, an unreadable file,
      // a replication factor that is no number), said before anything starts.
      throw new SettingsRefusedException(refused.getMessage());
    } finally {
      bootstrap.close().await();
    }
  }

  /**
   * The embedded broker takes plain connections only: TLS or SASL settings meant for a managed
   * Kafka, given without its address, would make every client fail against it.
   */
  private static void refuseSecurityForEmbeddedKafka(Settings settings) {
    settings.kafkaClient().keySet().stream()
        .filter(name -> name.equals("security.protocol") || name.startsWith("sasl.") || name.startsWith("ssl."))
        .findFirst()
        .ifPresent(name -> {
          throw new SettingsRefusedException(KafkaClientSettings.variableName(name) + " is set but "
              + Settings.KAFKA_BOOTSTRAP_SERVERS + " is empty: the embedded Kafka takes plain connections only;"
              + " set " + Settings.KAFKA_BOOTSTRAP_SERVERS + " to the brokers these settings are for");
        });
  }

  private static Set<Role> roles(Settings settings) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    settings.list(Settings.ROLES).forEach(name -> roles.add(Role.parse(name)));
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("ROLES names no role; give one or more of " + Role.names());
    }
    return roles;
  }

  private static Vertx createVertx(Settings settings, HazelcastClusterManager clusterManager, String metricsRegistry) {
    // Vert.x's own metrics (HTTP, event bus, pools, the Redis client) and the JVM's go to the same
    // Prometheus registry as Fanout's meters and the Kafka clients'.
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setRegistryName(metricsRegistry));
    MicrometerMetricsFactory metrics = new MicrometerMetricsFactory(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    if (clusterManager == null) {
      return Vertx.builder().with(options).withMetrics(metrics).build();
    }
    // With no CLUSTER_HOST the event bus takes the address Hazelcast chose, as containers need.
    String address = ClusterJoin.bindAddress(settings);
    if (address != null) {
      options.getEventBusOptions().setHost(address);
    }
    options.getEventBusOptions().setPort(0);
    return Vertx.builder().with(options).withMetrics(metrics).withClusterManager(clusterManager).buildClustered()
        .await();
  }

  private static String clusterName(Settings settings) {
    String name = settings.optionalString(Settings.CLUSTER_NAME);
    return (name == null ? "of cluster.xml" : name)
        + (settings.optionalString(Settings.CLUSTER_SECRET) == null ? "" : " (secret required)");
  }

  /** NODE_ID if set; else the Hazelcast node id, so the registry and the cluster agree; else a new one. */
  private static String nodeId(Settings settings, HazelcastClusterManager clusterManager) {
    String configured = settings.optionalString(Settings.NODE_ID);
    if (configured != null) {
      return configured;
    }
    return clusterManager != null ? clusterManager.getNodeId() : UUID.randomUUID().toString();
  }

  private static String hostName() {
    String fromEnvironment = System.getenv("HOSTNAME");
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return fromEnvironment;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
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
