package io.fanout.app.testing;

import io.vertx.core.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's redis-server 7 as child processes on 127.0.0.1, for the topologies Fanout meets in
 * production (ACL with TLS, Sentinel). Each node has its own directory, config file and log under
 * the given directory. A node can be killed with SIGKILL and started again on its port and config,
 * as a supervisor would; closing kills every process started here, by its PID.
 */
public final class RedisNodes implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final List<Node> nodes = new ArrayList<>();

  public RedisNodes(Path dir) {
    this.dir = dir;
  }

  /** One redis-server (or sentinel) process, with what it needs to start again. */
  public static final class Node {
    private final String name;
    private final int port;
    private final boolean sentinel;
    private final Path config;
    private final Path log;
    private Process process;

    private Node(String name, int port, boolean sentinel, Path config, Path log) {
      this.name = name;
      this.port = port;
      this.sentinel = sentinel;
      this.config = config;
      this.log = log;
    }

    public int port() {
      return port;
    }

    public long pid() {
      return process.pid();
    }

    public String name() {
      return name;
    }

    /** A crash: SIGKILL, no shutdown, nothing flushed that was not written. */
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }

    /** Starts the process again with its config (which a sentinel may have rewritten meanwhile). */
    public void restart() {
      start();
    }

    private void start() {
      List<String> command = new ArrayList<>(List.of("redis-server", config.toString()));
      if (sentinel) {
        command.add("--sentinel");
      }
      long logged = size(log);
      try {
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start redis-server (apt-get install redis-server)", e);
      }
      // Both a server and a sentinel say this once they listen (7.0: "... accept connections tcp").
      String ready = sentinel ? "Sentinel ID is" : "Ready to accept connections";
      Await.until(() -> Future.succeededFuture(read(log, logged)), text -> {
        if (!process.isAlive()) {
          throw new AssertionError(name + " exited at start: " + text);
        }
        return text.contains(ready);
      }, READY_TIMEOUT);
    }
  }

  /** Starts a redis-server whose config is {@code lines} plus its directory and log; {@code port} is its own. */
  public Node server(String name, int port, List<String> lines) {
    return start(name, port, false, lines);
  }

  /**
   * A plain Redis of a test's own on a free port, without persistence, for tests that count what
   * Redis holds and so must be alone in it; its URL.
   */
  public String standalone(String name) {
    int port = FanoutUnderTest.freePort();
    server(name, port, List.of("port " + port, "appendonly no"));
    return "redis://127.0.0.1:" + port;
  }

  /** Starts a sentinel on {@code port} with the given lines ({@code sentinel monitor ...}). */
  public Node sentinel(String name, int port, List<String> lines) {
    return start(name, port, true, lines);
  }

  private Node start(String name, int port, boolean sentinel, List<String> lines) {
    Path nodeDir = dir.resolve(name);
    try {
      Files.createDirectories(nodeDir);
      List<String> config = new ArrayList<>(List.of(
          "bind 127.0.0.1",
          "daemonize no",
          "dir " + nodeDir,
          "logfile \"\"",
          "save \"\""));
      config.addAll(lines);
      Path file = nodeDir.resolve(sentinel ? "sentinel.conf" : "redis.conf");
      Files.write(file, config);
      Node node = new Node(name, port, sentinel, file, nodeDir.resolve("out.log"));
      nodes.add(node);
      node.start();
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills every process started here that still runs. */
  @Override
  public void close() throws InterruptedException {
    for (Node node : nodes) {
      if (node.process != null && node.process.isAlive()) {
        node.kill();
      }
    }
  }

  private static long size(Path file) {
    try {
      return Files.exists(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the log holds past {@code from} bytes: the output of the latest start. */
  private static String read(Path file, long from) {
    try {
      if (!Files.exists(file)) {
        return "";
      }
      byte[] bytes = Files.readAllBytes(file);
      return new String(bytes, (int) Math.min(from, bytes.length), (int) Math.max(0, bytes.length - from));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
