package io.fanout.tools;

import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fanout processes on this machine: child JVMs running {@link #MAIN_CLASS} on this JVM's classpath
 * (the Fanout jar beside the tools jar for bin/cluster-demo and bin/scale-bench, the test
 * classpath for the multi-process tests). Each is known by its PID and stopped by it, within a bounded time, and each writes its
 * heartbeat to a file here, which says when it is ready.
 */
public final class LocalCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  /**
   * Fanout's launcher, by name: the tools are built without the app module (whose tests use
   * them), and find it on the classpath they run with.
   */
  public static final String MAIN_CLASS = "io.fanout.app.Fanout";
  /** How long a stopped process may take to drain before it is killed. */
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
  /**
   * Options for a child JVM: a bounded heap, an exit rather than a limp on OOM, and the JDK
   * internals Hazelcast asks for (it warns at every start without them).
   */
  public static final List<String> JVM_OPTIONS = List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError",
      "--add-modules", "java.se",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");
  private static final long POLL_MS = 50;
  private static final int LOG_TAIL_LINES = 40;

  /** One child process, the settings it was given, and where it logs and heartbeats. */
  public record Node(String name, Process process, Path log, Path heartbeatFile, Map<String, String> settings) {
    public long pid() {
      return process.pid();
    }

    public int port(String setting) {
      return Integer.parseInt(settings.get(setting));
    }

    /** What the node last wrote to its heartbeat file, or null before its first beat and after it stopped. */
    public JsonObject heartbeat() {
      try {
        return new JsonObject(Files.readString(heartbeatFile, StandardCharsets.UTF_8));
      } catch (NoSuchFileException e) {
        return null;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The node id it registered under; it must be ready. */
    public String id() {
      JsonObject heartbeat = heartbeat();
      if (heartbeat == null) {
        throw new IllegalStateException(name + " has not heartbeated");
      }
      return heartbeat.getString("id");
    }
  }

  private final Path dir;
  private final Map<String, String> shared;
  private final List<String> jvmOptions;
  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private final Thread stopOnExit = new Thread(this::stopAllAtExit, "local-cluster-stop");

  /**
   * Processes logging under {@code dir}, each started with {@code shared} settings (as
   * environment variables) plus its own, and these JVM options.
   */
  public LocalCluster(Path dir, Map<String, String> shared, List<String> jvmOptions) {
    this.dir = dir.toAbsolutePath();
    this.shared = new LinkedHashMap<>(shared);
    this.jvmOptions = List.copyOf(jvmOptions);
    try {
      Files.createDirectories(this.dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // A launcher stopped with Ctrl-C must not leave its children behind.
    Runtime.getRuntime().addShutdownHook(stopOnExit);
  }

  public Path dir() {
    return dir;
  }

  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  /** Starts {@code java ... io.fanout.app.Fanout <args>} with the shared settings and {@code settings}. */
  public Node start(String name, Map<String, String> settings, String... args) {
    Map<String, String> all = new LinkedHashMap<>(shared);
    all.putAll(settings);
    Path heartbeat = dir.resolve(name + ".heartbeat");
    all.put(Settings.NODE_HEARTBEAT_FILE, heartbeat.toString());
    Path log = dir.resolve(name + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(classpath());
    command.add(MAIN_CLASS);
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(all);
    try {
      Files.deleteIfExists(heartbeat);
      Node node = new Node(name, builder.start(), log, heartbeat, Map.copyOf(all));
      nodes.add(node);
      LOG.info("Started {} (pid {}): {}", name, node.pid(), String.join(" ", args));
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /**
   * Starts a cluster member and waits until it is ready, so that the next one starts once this one
   * has joined. Members started at the same moment on one machine (each taking the next free port
   * after CLUSTER_PORT) were seen to sit over a minute in Hazelcast's join, waiting for a connection
   * to one another that did not come (it waits up to hazelcast.connect.all.wait.seconds, 120 s).
   */
  public Node startJoined(String name, Map<String, String> settings, Duration timeout, String... args) {
    return awaitReady(start(name, settings, args), timeout);
  }

  /** Waits for the node's first heartbeat, failing with its log's last lines if it dies or is late. */
  public Node awaitReady(Node node, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (node.heartbeat() == null) {
      if (!node.process().isAlive()) {
        throw new IllegalStateException(node.name() + " exited with " + node.process().exitValue()
            + " before it was ready; its log ends with:\n" + tail(node.log()));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(node.name() + " was not ready within " + timeout
            + "; its log ends with:\n" + tail(node.log()));
      }
      pause();
    }
    return node;
  }

  /** {@code kill -9}: no shutdown hook runs, nothing is drained or committed, no one is told. */
  public void kill(Node node) {
    node.process().destroyForcibly();
    waitFor(node, STOP_TIMEOUT);
    nodes.remove(node);
    LOG.info("Killed {} (pid {})", node.name(), node.pid());
  }

  /** {@code kill -TERM}, then {@code kill -9} if it has not stopped within {@link #STOP_TIMEOUT}. */
  public void stop(Node node) {
    node.process().destroy();
    if (!waitFor(node, STOP_TIMEOUT)) {
      LOG.warn("{} (pid {}) did not stop within {}; killing it", node.name(), node.pid(), STOP_TIMEOUT);
      node.process().destroyForcibly();
      waitFor(node, STOP_TIMEOUT);
    }
    nodes.remove(node);
  }

  /** Stops every process still running, the last started first (backends, started first, go last). */
  @Override
  public void close() {
    List<Node> running = new ArrayList<>(nodes);
    Collections.reverse(running);
    running.forEach(this::stop);
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or about to: nothing left for it to do.
    }
  }

  /** A loopback port that was free a moment ago. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The last lines of a log, to say why a process did not come up. */
  public static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(no log at " + log + ")";
    }
  }

  /** At JVM exit: every child asked to stop at once, and killed if it outlasts the timeout. */
  private void stopAllAtExit() {
    nodes.forEach(node -> node.process().destroy());
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (Node node : nodes) {
      waitFor(node, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      node.process().destroyForcibly();
    }
  }

  private static boolean waitFor(Node node, Duration timeout) {
    try {
      return node.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String classpath() {
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      entries.add(Path.of(entry).toAbsolutePath().toString());
    }
    return String.join(java.io.File.pathSeparator, entries);
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
