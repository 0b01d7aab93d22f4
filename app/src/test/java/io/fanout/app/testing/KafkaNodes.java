package io.fanout.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka cluster of KRaft nodes for a test class, each node a child JVM (broker and
 * controller, {@code -Xmx512m}) run from the Kafka 4.1 classpath that the kafka-broker module
 * resolves: never the tests' own, which holds the 3.7 clients Fanout runs with. Everything binds
 * to 127.0.0.1 on free ports. Replication as production has it: every topic RF = nodes,
 * {@code min.insync.replicas} 2 (1 for a single node). Optionally clients must come over a
 * SASL_SSL listener (SCRAM-SHA-512, a certificate made here with the JDK's keytool); brokers
 * speak plain text among themselves. Nodes are killed by their PID: by {@link #kill} (SIGKILL), at
 * {@link #close}, and by a shutdown hook if the test JVM ends first.
 */
public final class KafkaNodes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaNodes.class);
  private static final String LOOPBACK = "127.0.0.1";
  private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
  /** The user a SASL_SSL cluster knows. */
  public static final String USER = "fanout";
  public static final String SCRAM = "SCRAM-SHA-512";

  /** One node: its ports (broker-to-broker and test probes, clients, controller) and its process. */
  private record Node(int id, Path dir, int internalPort, int clientPort, int controllerPort, Process[] process) {
    Process running() {
      return process[0];
    }
  }

  private final Path dir;
  private final List<Node> nodes;
  private final boolean saslSsl;
  private final String password;
  private final Path truststore;
  private final String truststorePassword;
  private final Thread killer;

  private KafkaNodes(Path dir, List<Node> nodes, boolean saslSsl, String password, Path truststore,
      String truststorePassword) {
    this.dir = dir;
    this.nodes = nodes;
    this.saslSsl = saslSsl;
    this.password = password;
    this.truststore = truststore;
    this.truststorePassword = truststorePassword;
    this.killer = new Thread(this::killAll, "kafka-nodes-killer");
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /** {@code count} nodes taking plain-text clients. */
  public static KafkaNodes start(String name, int count) {
    return start(name, count, false);
  }

  /** {@code count} nodes whose clients must use SASL_SSL with SCRAM-SHA-512 as {@link #USER}. */
  public static KafkaNodes startSaslSsl(String name, int count) {
    return start(name, count, true);
  }

  private static KafkaNodes start(String name, int count, boolean saslSsl) {
    long startedAt = System.nanoTime();
    Path dir = createDir(name);
    List<Node> nodes = IntStream.rangeClosed(1, count)
        .mapToObj(id -> new Node(id, dir.resolve("node-" + id), FanoutUnderTest.freePort(), FanoutUnderTest.freePort(),
            FanoutUnderTest.freePort(), new Process[1]))
        .toList();
    String password = saslSsl ? "pw-" + UUID.randomUUID() : null;
    String storePassword = saslSsl ? "ks-" + UUID.randomUUID() : null;
    Path keystore = saslSsl ? makeKeystore(dir.resolve("tls"), storePassword) : null;
    Path truststore = saslSsl ? makeTruststore(dir.resolve("tls"), keystore, storePassword) : null;
    KafkaNodes cluster = new KafkaNodes(dir, nodes, saslSsl, password, truststore, storePassword);
    try {
      Path log4j = writeLog4j(dir);
      String voters = nodes.stream().map(node -> node.id() + "@" + LOOPBACK + ":" + node.controllerPort())
          .collect(Collectors.joining(","));
      for (Node node : nodes) {
        Files.createDirectories(node.dir());
        write(node.dir().resolve("server.properties"), cluster.serverProperties(node, voters, count, keystore));
      }
      cluster.format(Uuid.randomUuid().toString());
      for (Node node : nodes) {
        node.process()[0] = cluster.launch(node, log4j);
      }
      cluster.awaitReady();
    } catch (IOException e) {
      cluster.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
    LOG.info("Kafka cluster {} of {} nodes{} ready in {} ms: {} (pids {})", name, count,
        saslSsl ? " (clients over SASL_SSL)" : "", (System.nanoTime() - startedAt) / 1_000_000,
        cluster.bootstrapServers(), cluster.pids());
    return cluster;
  }

  /** Where Fanout connects: the SASL_SSL listeners of a secured cluster, else the plain ones. */
  public String bootstrapServers() {
    return nodes.stream().map(node -> LOOPBACK + ":" + (saslSsl ? node.clientPort() : node.internalPort()))
        .collect(Collectors.joining(","));
  }

  /** The plain-text listeners, open in both kinds: for a test's own probes, which need no credentials. */
  public String plainBootstrapServers() {
    return nodes.stream().map(node -> LOOPBACK + ":" + node.internalPort()).collect(Collectors.joining(","));
  }

  /** An admin client on the plain-text listeners; the caller closes it. */
  public Admin admin() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, plainBootstrapServers());
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "kafka-nodes-probe");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    return Admin.create(props);
  }

  /**
   * The environment a Fanout process needs for a secured cluster, as an operator would give it:
   * KAFKA_CLIENT_* variables with the given password (the right one is {@link #password()}).
   */
  public Map<String, String> clientSettings(String withPassword) {
    if (!saslSsl) {
      return Map.of();
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL");
    settings.put("KAFKA_CLIENT_SASL_MECHANISM", SCRAM);
    settings.put("KAFKA_CLIENT_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
        + "username=\"" + USER + "\" password=\"" + withPassword + "\";");
    settings.put("KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION", truststore.toString());
    settings.put("KAFKA_CLIENT_SSL_TRUSTSTORE_PASSWORD", truststorePassword);
    settings.put("KAFKA_CLIENT_SSL_TRUSTSTORE_TYPE", "PKCS12");
    return settings;
  }

  public String password() {
    return password;
  }

  public List<Integer> nodeIds() {
    return nodes.stream().map(Node::id).toList();
  }

  public long pid(int nodeId) {
    return node(nodeId).running().pid();
  }

  public boolean isAlive(int nodeId) {
    return node(nodeId).running().isAlive();
  }

  /** The node that leads the partition now. */
  public int leaderOf(String topic, int partition) {
    try (Admin admin = admin()) {
      TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS)
          .get(topic);
      return description.partitions().get(partition).leader().id();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot describe " + topic, e);
    }
  }

  /** Ends a node as a crash would: SIGKILL to its PID, nothing flushed, no controlled shutdown. */
  public void kill(int nodeId) {
    Process process = node(nodeId).running();
    LOG.info("Killing Kafka node {} (pid {}) with SIGKILL", nodeId, process.pid());
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts a killed node again on its data, as an operator restarting a crashed broker; waits until every node answers. */
  public void restart(int nodeId) {
    Node node = node(nodeId);
    if (node.running().isAlive()) {
      throw new IllegalStateException("Kafka node " + nodeId + " is running");
    }
    try {
      node.process()[0] = launch(node, dir.resolve("log4j2.properties"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitReady();
  }

  /** Starts again every node that was killed, so the next test finds the whole cluster. */
  public void restartKilled() {
    nodes.stream().filter(node -> !node.running().isAlive()).map(Node::id).toList().forEach(this::restart);
  }

  public Path dir() {
    return dir;
  }

  /** Kills every node by PID and removes their data; the node logs stay under target/ for reading. */
  @Override
  public void close() {
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(killer);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to: it does the same.
    }
    for (Node node : nodes) {
      deleteTree(node.dir().resolve("data"));
    }
  }

  private void killAll() {
    for (Node node : nodes) {
      Process process = node.running();
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
    for (Node node : nodes) {
      Process process = node.running();
      if (process != null) {
        try {
          process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private Properties serverProperties(Node node, String voters, int count, Path keystore) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(node.id()));
    p.put("controller.quorum.voters", voters);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    String plain = "PLAINTEXT://" + LOOPBACK + ":" + node.internalPort();
    String secured = "SASL_SSL://" + LOOPBACK + ":" + node.clientPort();
    p.put("listeners", plain + (saslSsl ? "," + secured : "") + ",CONTROLLER://" + LOOPBACK + ":" + node.controllerPort());
    p.put("advertised.listeners", plain + (saslSsl ? "," + secured : ""));
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", node.dir().resolve("data").toString());
    if (saslSsl) {
      p.put("sasl.enabled.mechanisms", SCRAM);
      p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      p.put("ssl.keystore.location", keystore.toString());
      p.put("ssl.keystore.password", truststorePassword);
      p.put("ssl.key.password", truststorePassword);
      p.put("ssl.keystore.type", "PKCS12");
    }
    // Replication as a production cluster has it (what issue 12 was filed against).
    String minIsr = Integer.toString(Math.min(2, count));
    p.put("default.replication.factor", Integer.toString(count));
    p.put("min.insync.replicas", minIsr);
    p.put("offsets.topic.replication.factor", Integer.toString(count));
    p.put("transaction.state.log.replication.factor", Integer.toString(count));
    p.put("transaction.state.log.min.isr", minIsr);
    // Small internal topics start faster on a shared 2-core machine; the timings that matter
    // (sessions, fencing, elections) keep Kafka's defaults.
    p.put("offsets.topic.num.partitions", "10");
    p.put("transaction.state.log.num.partitions", "10");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    // As the embedded broker: a killed worker's transaction is aborted within a second of its timeout.
    p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
    return p;
  }

  /** Formats every node's storage with one cluster id, the nodes side by side (each a JVM of its own). */
  private void format(String clusterId) throws IOException {
    List<Process> formats = new ArrayList<>();
    for (Node node : nodes) {
      List<String> command = new ArrayList<>(List.of(java(), "-Xmx256m", "-cp", brokerClasspath(),
          "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", node.dir().resolve("server.properties").toString()));
      if (saslSsl) {
        command.addAll(List.of("--add-scram", SCRAM + "=[name=" + USER + ",password=" + password + "]"));
      }
      formats.add(new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(node.dir().resolve("format.log").toFile()).start());
    }
    for (int i = 0; i < formats.size(); i++) {
      Process format = formats.get(i);
      try {
        if (!format.waitFor(FORMAT_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || format.exitValue() != 0) {
          format.destroyForcibly();
          throw new IllegalStateException("formatting Kafka node " + nodes.get(i).id() + " failed; see "
              + nodes.get(i).dir().resolve("format.log"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private Process launch(Node node, Path log4j) throws IOException {
    List<String> command = List.of(java(), "-Xmx512m", "-Xms128m", "-XX:+UseG1GC",
        "-Dlog4j2.configurationFile=" + log4j, "-cp", brokerClasspath(), "kafka.Kafka",
        node.dir().resolve("server.properties").toString());
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(node.dir().resolve("out.log").toFile())).start();
  }

  /** Until every node is registered, unfenced, and answers on the plain listener. */
  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Exception last = null;
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        for (Node node : nodes) {
          if (!node.running().isAlive()) {
            throw new IllegalStateException("Kafka node " + node.id() + " exited with " + node.running().exitValue()
                + "; see " + node.dir().resolve("out.log"));
          }
        }
        try {
          if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == nodes.size()) {
            return;
          }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          last = e;
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    throw new IllegalStateException("the Kafka nodes did not all answer within " + READY_TIMEOUT + "; see " + dir, last);
  }

  private Node node(int nodeId) {
    return nodes.stream().filter(node -> node.id() == nodeId).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node " + nodeId));
  }

  private String pids() {
    return nodes.stream().map(node -> Long.toString(node.running().pid())).collect(Collectors.joining(", "));
  }

  /** The Kafka 4.1 classpath that the kafka-broker module wrote; never this JVM's. */
  private static String brokerClasspath() {
    Path file = Path.of(System.getProperty("fanout.broker.classpath", "../kafka-broker/target/broker.classpath"));
    try {
      return Files.readString(file).trim();
    } catch (IOException e) {
      throw new IllegalStateException("no broker classpath at " + file.toAbsolutePath()
          + "; build the kafka-broker module first (mvn -pl app -am ...)", e);
    }
  }

  /** A key pair for 127.0.0.1 (its subject alternative name, which clients check), in PKCS12. */
  private static Path makeKeystore(Path tls, String password) {
    Path keystore = tls.resolve("broker.p12");
    keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=" + LOOPBACK, "-ext", "SAN=ip:" + LOOPBACK, "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", password, "-keypass", password);
    return keystore;
  }

  /** The broker's certificate alone, which clients trust. */
  private static Path makeTruststore(Path tls, Path keystore, String password) {
    Path certificate = tls.resolve("broker.crt");
    Path truststore = tls.resolve("truststore.p12");
    keytool("-exportcert", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", password,
        "-file", certificate.toString());
    keytool("-importcert", "-noprompt", "-alias", "broker", "-file", certificate.toString(), "-storetype", "PKCS12",
        "-keystore", truststore.toString(), "-storepass", password);
    return truststore;
  }

  private static void keytool(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    try {
      Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(keytool.getInputStream().readAllBytes());
      if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
        throw new IllegalStateException("keytool " + args[0] + " failed: " + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path writeLog4j(Path dir) throws IOException {
    Path file = dir.resolve("log4j2.properties");
    Files.writeString(file, String.join("\n",
        "status = error",
        "appender.out.type = Console",
        "appender.out.name = out",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = %d{HH:mm:ss.SSS} %-5p [%c{1}] %m%n",
        "rootLogger.level = warn",
        "rootLogger.appenderRef.out.ref = out",
        ""));
    return file;
  }

  private static void write(Path file, Properties properties) throws IOException {
    try (var out = Files.newOutputStream(file)) {
      properties.store(out, "written by KafkaNodes");
    }
  }

  private static Path createDir(String name) {
    try {
      Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "kafka-" + name + "-");
      Files.createDirectories(dir.resolve("tls"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }


  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      LOG.warn("Could not delete {}: {}", root, e.toString());
    }
  }
}
