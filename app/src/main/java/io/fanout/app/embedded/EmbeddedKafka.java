package io.fanout.app.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.bootstrap.BootstrapDirectory;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.metadata.properties.MetaProperties;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.properties.MetaPropertiesVersion;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one node) running inside this
 * JVM. It uses the Kafka server of the same version as the kafka-clients on the classpath, so the
 * two cannot disagree about protocol or classes.
 *
 * <p>The data lives in the given directory. The first start formats it (a fresh cluster id); later
 * starts on the same directory reuse it as is, so topics, records and committed offsets survive a
 * restart. Ports may change between starts.
 */
public final class EmbeddedKafka extends EmbeddedServer {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private static final int NODE_ID = 1;
  /** Only retried when we picked the ports ourselves: someone may grab a free port before Kafka binds it. */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final String META_PROPERTIES = "meta.properties";
  /** The file Kafka's LogManager locks while a broker owns the directory. */
  private static final String LOCK_FILE = ".lock";
  /** Loggers of the broker (and of Kafka's clients, which share the org.apache.kafka prefix). */
  private static final List<String> KAFKA_LOGGERS = List.of(
      "kafka", "org.apache.kafka", "state.change.logger",
      // Loaded by the broker for its TLS helpers; logs at INFO from a static initializer.
      "org.apache.zookeeper");

  /**
   * Data directories of the brokers running in this JVM. In combined mode Kafka locks the
   * directory only when the broker half starts, after the controller half is already running on
   * the metadata log, so a second broker on the same directory must be stopped before that.
   */
  private static final Set<Path> DIRS_IN_USE = ConcurrentHashMap.newKeySet();

  private final Path dir;
  private final int port;
  private final int controllerPort;
  private final KafkaRaftServer server;

  private EmbeddedKafka(Path dir, int port, int controllerPort, KafkaRaftServer server) {
    // Kafka's own main() installs a hook for a clean shutdown; in-process we must do it ourselves,
    // or a JVM stopped without close() leaves no clean-shutdown marker and the next start runs log recovery.
    super("embedded-kafka-shutdown");
    this.dir = dir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.server = server;
  }

  /**
   * Starts a broker whose data is in {@code dir} (created if missing) and returns once it answers
   * requests. {@code port} is the client (PLAINTEXT) port on 127.0.0.1; 0 picks a free one. The
   * controller listener gets a free port.
   */
  public static EmbeddedKafka start(Path dir, int port) {
    return start(dir, port, 0);
  }

  /** As {@link #start(Path, int)}, with the controller listener's port too (0 picks a free one). */
  public static EmbeddedKafka start(Path dir, int port, int controllerPort) {
    Objects.requireNonNull(dir, "dir");
    if (port != 0 && port == controllerPort) {
      throw new IllegalArgumentException("Broker and controller need different ports, both are " + port);
    }
    if (dir.toAbsolutePath().normalize().toString().contains(",")) {
      // log.dirs is a comma-separated list; a comma in the path would split it.
      throw new IllegalArgumentException("Kafka data directory must not contain a comma: " + dir);
    }
    Path logDir = dataDir(dir, "Kafka");
    quietKafkaLoggersUnlessConfigured();
    if (!DIRS_IN_USE.add(logDir)) {
      throw new IllegalStateException("Kafka data directory " + logDir + " is in use by a broker in this JVM");
    }
    try {
      ensureNoOtherProcessUses(logDir);
      return startRetryingBinds("The Kafka broker", port == 0 || controllerPort == 0, () -> {
        int brokerPort = LocalPorts.available(port, "the Kafka broker");
        int ctrlPort = LocalPorts.available(controllerPort, "the Kafka controller");
        while (ctrlPort == brokerPort) {
          ctrlPort = LocalPorts.freePort();
        }
        return startOnce(logDir, brokerPort, ctrlPort);
      }, EmbeddedKafka::isBindFailure);
    } catch (RuntimeException e) {
      DIRS_IN_USE.remove(logDir);
      throw e;
    }
  }

  private static EmbeddedKafka startOnce(Path logDir, int port, int controllerPort) {
    long startedAt = System.nanoTime();
    KafkaConfig config = new KafkaConfig(brokerProperties(logDir, port, controllerPort), false);
    String clusterId = formatIfNeeded(logDir);

    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    try {
      startupWithoutHalting(server);
    } catch (RuntimeException e) {
      // A half-started server still owns threads, sockets and the log directory lock.
      shutdownQuietly(server);
      throw e;
    }
    EmbeddedKafka kafka = new EmbeddedKafka(logDir, port, controllerPort, server);
    try {
      awaitReady(kafka.bootstrapServers());
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
    LOG.info("Kafka broker ready on {} (cluster {}, data {}) in {} ms",
        kafka.bootstrapServers(), clusterId, logDir, elapsedMillis(startedAt));
    return kafka;
  }

  /**
   * Runs {@code server.startup()} with Kafka's Exit procedures defused. When the controller half
   * fails to start (its port is taken, say), Kafka 3.7 hands the error to a fault handler that
   * calls Exit.halt: in-process, that kills the whole application without a word, shutdown hooks
   * and all. While startup runs, a halt or exit request is only recorded; Kafka's startup code
   * then carries on with its own cleanup and rethrows the real cause, and a request that came
   * from elsewhere still fails the start.
   *
   * <p>The procedures are global, so they are reset to Kafka's defaults afterwards (Exit offers
   * no way to read the previous ones). From then on, a fatal fault in the running broker halts
   * the JVM as Kafka intends: a broker with corrupt metadata must not keep serving.
   */
  private static void startupWithoutHalting(KafkaRaftServer server) {
    AtomicReference<String> terminationRequest = new AtomicReference<>();
    Exit.Procedure record = (status, message) -> {
      terminationRequest.compareAndSet(null, "status " + status + (message == null ? "" : ": " + message));
      LOG.error("Kafka asked to terminate the JVM during startup ({}); failing the start instead",
          terminationRequest.get());
    };
    synchronized (Exit.class) {
      Exit.setHaltProcedure(record);
      Exit.setExitProcedure(record);
      try {
        server.startup();
      } finally {
        Exit.resetHaltProcedure();
        Exit.resetExitProcedure();
      }
    }
    if (terminationRequest.get() != null) {
      throw new IllegalStateException("Kafka failed during startup and asked to terminate the JVM ("
          + terminationRequest.get() + "); see the Kafka errors logged above");
    }
  }

  private static Properties brokerProperties(Path logDir, int port, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", String.valueOf(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@" + LocalPorts.LOOPBACK + ":" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + LocalPorts.LOOPBACK + ":" + port
        + ",CONTROLLER://" + LocalPorts.LOOPBACK + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + LocalPorts.LOOPBACK + ":" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toString());

    // One node: every internal topic must be satisfiable with a single replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    // Workers' first transactions wait for this topic to be created: a few partitions do for one node.
    p.put("transaction.state.log.num.partitions", "4");
    // A killed worker's open transaction blocks its partitions' next owner until it is aborted:
    // look for timed-out transactions every second, not every ten.
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("num.partitions", "1");

    // Consumers join at once instead of waiting 3 s for more members that may never come.
    p.put("group.initial.rebalance.delay.ms", "0");
    // Topics are created on purpose, with their partition counts; a typo must fail, not create a topic.
    p.put("auto.create.topics.enable", "false");
    // The log cleaner allocates its whole dedupe buffer (128 MiB by default) on the heap of the
    // JVM that hosts the broker, which here is the application's; only the small compacted
    // internal topics use it, for which 8 MiB is plenty.
    p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    return p;
  }

  /**
   * Formats {@code logDir} like {@code kafka-storage.sh format} when it holds no meta.properties,
   * and returns the cluster id. An already formatted directory is left alone: reformatting would
   * give it a new cluster id and the broker would refuse the existing data.
   *
   * <p>These are the steps of StorageTool.formatCommand, done with the same Kafka classes (they
   * write meta.properties with a fresh directory id, and bootstrap.checkpoint with the
   * metadata.version). The tool itself is not called: its main() ends in Exit, and in 3.7.1 even
   * formatCommand prints a debugging line straight to System.out.
   */
  private static String formatIfNeeded(Path logDir) {
    Path metaFile = logDir.resolve(META_PROPERTIES);
    if (Files.exists(metaFile)) {
      String clusterId = readClusterId(metaFile);
      LOG.debug("Kafka storage {} already formatted for cluster {}", logDir, clusterId);
      return clusterId;
    }
    String dir = logDir.toString();
    String clusterId = Uuid.randomUuid().toString();
    MetadataVersion metadataVersion = MetadataVersion.LATEST_PRODUCTION;
    try {
      MetaPropertiesEnsemble ensemble = new MetaPropertiesEnsemble.Loader().addLogDir(dir).load();
      if (!ensemble.errorLogDirs().isEmpty()) {
        throw new IllegalStateException("Cannot read Kafka storage " + dir);
      }
      MetaPropertiesEnsemble.Copier copier = new MetaPropertiesEnsemble.Copier(ensemble);
      copier.setLogDirProps(dir, new MetaProperties.Builder()
          .setVersion(MetaPropertiesVersion.V1)
          .setClusterId(clusterId)
          .setNodeId(NODE_ID)
          .setDirectoryId(copier.generateValidDirectoryId())
          .build());
      BootstrapMetadata bootstrap = BootstrapMetadata.fromVersion(metadataVersion, "format command");
      copier.setPreWriteHandler((directory, isNew, properties) ->
          new BootstrapDirectory(directory, Optional.empty()).writeBinaryFile(bootstrap));
      copier.setWriteErrorHandler((directory, e) -> {
        throw new IOException("Cannot write meta.properties in " + directory, e);
      });
      copier.writeLogDirChanges();
    } catch (IOException e) {
      throw new UncheckedIOException("Formatting Kafka storage " + dir + " failed", e);
    }
    LOG.info("Formatted Kafka storage {} for new cluster {} with metadata.version {}",
        dir, clusterId, metadataVersion);
    return clusterId;
  }

  /**
   * Fails if a broker in another process holds the directory's lock file. Only another process
   * can be asked this way: closing a channel releases every lock this JVM holds on the file, so
   * the check must never run while a broker of ours holds it (DIRS_IN_USE sees to that).
   */
  private static void ensureNoOtherProcessUses(Path logDir) {
    Path lockFile = logDir.resolve(LOCK_FILE);
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw new IllegalStateException("Kafka data directory " + logDir + " is in use by another process");
      }
      lock.release();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot check the lock on " + lockFile, e);
    }
  }

  private static String readClusterId(Path metaFile) {
    Properties meta = new Properties();
    try (InputStream in = Files.newInputStream(metaFile)) {
      meta.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + metaFile, e);
    }
    return meta.getProperty("cluster.id", "?");
  }

  /**
   * Returns when the broker answers a metadata request with itself in it. startup() already
   * waits for the broker to be unfenced, but asking over the wire is what clients will do and
   * proves the listener is open.
   */
  private static void awaitReady(String bootstrapServers) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-readiness");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Exception lastError = null;
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadline) {
        try {
          Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          if (!nodes.isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          lastError = e;
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for Kafka on " + bootstrapServers, e);
    }
    throw new IllegalStateException("Kafka on " + bootstrapServers + " did not answer within "
        + READY_TIMEOUT.toSeconds() + " s", lastError);
  }

  /** The address clients connect to, {@code 127.0.0.1:port}. */
  public String bootstrapServers() {
    return LocalPorts.LOOPBACK + ":" + port;
  }

  /** The client (PLAINTEXT) port. */
  public int port() {
    return port;
  }

  /** The KRaft controller's port. */
  public int controllerPort() {
    return controllerPort;
  }

  /** The data directory (log.dirs and the metadata log). */
  public Path dir() {
    return dir;
  }

  /** Shuts the broker down cleanly and waits until it has. */
  @Override
  protected void stopGracefully() {
    long startedAt = System.nanoTime();
    shutdownQuietly(server);
    DIRS_IN_USE.remove(dir);
    LOG.info("Kafka broker on {} stopped in {} ms", bootstrapServers(), elapsedMillis(startedAt));
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      LOG.warn("Kafka broker did not shut down cleanly", e);
    }
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("failed to bind"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Kafka logs every config value and each step of its life at INFO, hundreds of lines per
   * start. Unless the logging configuration names these loggers itself, keep them at WARN.
   */
  private static void quietKafkaLoggersUnlessConfigured() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      for (String name : KAFKA_LOGGERS) {
        ch.qos.logback.classic.Logger logger = context.getLogger(name);
        if (logger.getLevel() == null) {
          logger.setLevel(Level.WARN);
        }
      }
    }
  }
}
