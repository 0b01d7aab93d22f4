package io.fanout.app.embedded;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

/**
 * A real redis-server process (the binary shipped in embedded-redis) bound to 127.0.0.1, with its
 * data in the given directory and the append-only file on, fsynced every second. A later start on
 * the same directory loads that file, so keys survive a restart.
 *
 * <p>Only the binary comes from embedded-redis; the process is run here because its
 * {@code RedisServer} does not fit a long-running, persistent server: it cannot pick a free port
 * (Redis takes port 0 as "no TCP listener"), it closes the server's stdout once the server is
 * ready so everything Redis logs afterwards is lost, and every start adds a JVM shutdown hook that
 * is never removed. Here Redis logs to {@code redis.log} in the data directory instead.
 */
public final class EmbeddedRedis extends EmbeddedServer {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);

  /** Generous: a big append-only file takes a while to load, and Redis answers LOADING meanwhile. */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final int SOCKET_TIMEOUT_MS = 2_000;
  private static final String CONFIG_FILE = "redis.conf";
  private static final String LOG_FILE = "redis.log";
  private static final String PID_FILE = "redis.pid";
  private static final long MAX_LOG_BYTES = 10L * 1024 * 1024;

  /** The binary is extracted from the jar once per JVM (it is ~10 MB), not once per start. */
  private static File executable;

  private final Path dir;
  private final int port;
  private final Process process;

  private EmbeddedRedis(Path dir, int port, Process process) {
    // Redis is a child process: if the JVM exits without close() it would keep running,
    // holding the port and the append-only file. SIGTERM makes Redis flush the file and exit.
    super("embedded-redis-shutdown");
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /**
   * Starts redis-server with its data in {@code dir} (created if missing), listening on
   * 127.0.0.1:{@code port} (0 picks a free port), and returns once it answers PING.
   */
  public static EmbeddedRedis start(Path dir, int port) {
    Path dataDir = dataDir(dir, "Redis");
    stopLeftoverServer(dataDir);
    return startRetryingBinds("redis-server", port == 0,
        () -> startOnce(dataDir, LocalPorts.available(port, "Redis")), ServerExited.class::isInstance);
  }

  private static EmbeddedRedis startOnce(Path dataDir, int port) {
    long startedAt = System.nanoTime();
    Path config = dataDir.resolve(CONFIG_FILE);
    try {
      Files.writeString(config, configuration(dataDir, port), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + config, e);
    }
    rotateLog(dataDir.resolve(LOG_FILE));
    Process process;
    try {
      process = new ProcessBuilder(executable().getAbsolutePath(), config.toString())
          .directory(dataDir.toFile())
          .redirectErrorStream(true)
          // A file, not a pipe: nobody has to drain it, and it outlives this JVM for post-mortems.
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve(LOG_FILE).toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start redis-server", e);
    }
    EmbeddedRedis redis = new EmbeddedRedis(dataDir, port, process);
    try {
      redis.awaitReady();
    } catch (RuntimeException e) {
      // Not close(): its SHUTDOWN would go to whatever answers on the port, maybe not our server.
      redis.abort(redis::terminate);
      throw e;
    }
    LOG.info("Redis ready on {} (pid {}, data {}) in {} ms",
        redis.url(), process.pid(), dataDir, elapsedMillis(startedAt));
    return redis;
  }

  private static String configuration(Path dataDir, int port) {
    return String.join("\n",
        "bind " + LocalPorts.LOOPBACK,
        "port " + port,
        "protected-mode yes",
        "daemonize no",
        "dir " + quote(dataDir.toString()),
        "pidfile " + quote(dataDir.resolve(PID_FILE).toString()),
        // Empty: log to stdout, which start() sends to redis.log.
        "logfile \"\"",
        "loglevel notice",
        // Every write goes to the append-only file, fsynced once a second: at most one
        // second of writes is lost if the machine (not just the process) dies.
        "appendonly yes",
        "appendfilename \"appendonly.aof\"",
        "appendfsync everysec",
        // RDB snapshots off: the append-only file already holds everything, and a snapshot
        // at every shutdown would make stopping as slow as the dataset is big. Rewrites
        // still keep the file compact (with an RDB preamble).
        "save \"\"",
        "aof-use-rdb-preamble yes",
        "");
  }

  /** Every start appends to redis.log; keep one previous generation once it gets big. */
  private static void rotateLog(Path log) {
    try {
      if (Files.exists(log) && Files.size(log) > MAX_LOG_BYTES) {
        Files.move(log, log.resolveSibling(LOG_FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.debug("Cannot rotate {}", log, e);
    }
  }

  /** Redis config syntax: a double-quoted string with backslash escapes, so paths may hold spaces. */
  private static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static synchronized File executable() throws IOException {
    if (executable == null || !executable.canExecute()) {
      executable = ExecutableProvider.newJarResourceProvider().get();
    }
    return executable;
  }

  /**
   * A JVM killed with SIGKILL leaves its redis-server running on the data directory. Two
   * servers appending to one file would corrupt it, so stop the old one (SIGTERM, so it flushes)
   * before starting a new one. Its pid file tells us who it is. A server whose parent is still a
   * live JVM (this one or another) is in use, not left over: refuse to start rather than stop it.
   */
  private static void stopLeftoverServer(Path dataDir) {
    Path pidFile = dataDir.resolve(PID_FILE);
    if (!Files.exists(pidFile)) {
      return;
    }
    Optional<ProcessHandle> leftover;
    try {
      long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
      leftover = ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().command().map(c -> c.contains("redis-server")).orElse(false));
    } catch (IOException | NumberFormatException e) {
      leftover = Optional.empty();
    }
    if (leftover.isPresent()) {
      ProcessHandle old = leftover.get();
      Optional<ProcessHandle> owner = old.parent().filter(EmbeddedRedis::isLiveJvm);
      if (owner.isPresent()) {
        throw new IllegalStateException("Redis data directory " + dataDir + " is in use by redis-server pid "
            + old.pid() + ", started by the running JVM pid " + owner.get().pid());
      }
      LOG.warn("Stopping redis-server pid {} left running on {} by an earlier run", old.pid(), dataDir);
      old.destroy();
      try {
        old.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("Leftover redis-server pid {} did not stop on SIGTERM, killing it", old.pid());
        old.destroyForcibly();
      }
    }
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      LOG.debug("Cannot delete stale {}", pidFile, e);
    }
  }

  private static boolean isLiveJvm(ProcessHandle process) {
    return process.isAlive()
        && (process.pid() == ProcessHandle.current().pid()
            || process.info().command().map(c -> c.endsWith("/java") || c.equals("java")).orElse(false));
  }

  /**
   * Waits for PONG. Before that Redis refuses connections (still starting) or answers -LOADING
   * (reading the append-only file). It must also be our process answering, not another server
   * that happens to hold the port: INFO tells us its pid.
   */
  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String lastAnswer = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new ServerExited("redis-server exited with status " + process.exitValue()
            + " before answering; see " + dir.resolve(LOG_FILE) + ": " + tailOfLog());
      }
      try (Connection connection = connect()) {
        lastAnswer = connection.command("PING");
        if ("+PONG".equals(lastAnswer)) {
          String info = connection.command("INFO", "server");
          if (!info.contains("process_id:" + process.pid() + "\r\n")) {
            throw new ServerExited("Another server answers on port " + port);
          }
          return;
        }
      } catch (IOException e) {
        lastAnswer = e.toString();
      }
      pause(20);
    }
    throw new IllegalStateException("redis-server on port " + port + " not ready within "
        + READY_TIMEOUT.toSeconds() + " s, last answer: " + lastAnswer);
  }

  /** {@code redis://127.0.0.1:port}. */
  public String url() {
    return "redis://" + LocalPorts.LOOPBACK + ":" + port;
  }

  public int port() {
    return port;
  }

  /** The data directory (append-only file, redis.conf, redis.log). */
  public Path dir() {
    return dir;
  }

  /**
   * Shuts Redis down gracefully and waits for the process to end. SHUTDOWN makes Redis write and
   * fsync what is left of the append-only file before it exits; if it cannot be asked, SIGTERM
   * does the same.
   */
  @Override
  protected void stopGracefully() {
    long startedAt = System.nanoTime();
    if (process.isAlive()) {
      try (Connection connection = connect()) {
        // On success the server closes the connection without a reply; an error reply
        // (e.g. it could not write the file) means it is still running.
        String reply = connection.command("SHUTDOWN");
        LOG.warn("Redis refused SHUTDOWN: {}; sending SIGTERM", reply);
        process.destroy();
      } catch (IOException e) {
        // Connection closed by the exiting server: the expected outcome.
      }
    }
    awaitExit();
    LOG.info("Redis on {} stopped in {} ms", url(), elapsedMillis(startedAt));
  }

  /** At JVM exit: no time for a conversation, and SIGTERM is just as graceful. */
  @Override
  protected void stopAtExit() {
    terminate();
  }

  /** By signal only: also for a server that never became ready. */
  private void terminate() {
    process.destroy();
    awaitExit();
  }

  private void awaitExit() {
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        LOG.error("redis-server pid {} still running {} s after shutdown, killing it",
            process.pid(), STOP_TIMEOUT.toSeconds());
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private Connection connect() throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(LocalPorts.LOOPBACK, port), SOCKET_TIMEOUT_MS);
      socket.setSoTimeout(SOCKET_TIMEOUT_MS);
      return new Connection(socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private String tailOfLog() {
    try {
      List<String> lines = Files.readAllLines(dir.resolve(LOG_FILE), StandardCharsets.UTF_8);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while waiting for redis-server", e);
    }
  }

  /**
   * Just enough RESP for PING, INFO and SHUTDOWN, one command at a time; a full client would be
   * one more dependency for three commands.
   */
  private static final class Connection implements Closeable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
      this.in = new BufferedInputStream(socket.getInputStream());
    }

    /**
     * Sends one command and returns the reply: a status or error line as sent
     * ({@code +PONG}, {@code -LOADING ...}), or the payload of a bulk string.
     */
    String command(String... args) throws IOException {
      StringBuilder request = new StringBuilder().append('*').append(args.length).append("\r\n");
      for (String arg : args) {
        request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
            .append(arg).append("\r\n");
      }
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();

      String line = readLine();
      if (line.startsWith("$")) {
        int length = Integer.parseInt(line.substring(1));
        if (length < 0) {
          return "";
        }
        byte[] payload = in.readNBytes(length + 2);
        return new String(payload, 0, Math.min(length, payload.length), StandardCharsets.UTF_8);
      }
      return line;
    }

    private String readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) != -1) {
        if (b == '\n') {
          byte[] bytes = line.toByteArray();
          int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
          return new String(bytes, 0, end, StandardCharsets.UTF_8);
        }
        line.write(b);
      }
      throw new IOException("Connection closed by redis-server");
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** The process ended, or someone else holds the port, before our server answered: a new port may help. */
  private static final class ServerExited extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ServerExited(String message) {
      super(message);
    }
  }
}
