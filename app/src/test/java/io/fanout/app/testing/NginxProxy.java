package io.fanout.app.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx as a child process, reverse-proxying one port on 127.0.0.1 to a Fanout API, as
 * an operator's single-origin proxy would (HTTP/1.1 upstream, WebSocket upgrade passed on). Its
 * configuration, logs and pid file live in a temporary directory; it is stopped by its own PID.
 */
public final class NginxProxy implements AutoCloseable {
  private static final Path NGINX = Path.of(System.getenv().getOrDefault("NGINX_BIN", "/usr/sbin/nginx"));
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final Process process;
  private final Path dir;
  private final int port;

  private NginxProxy(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** Starts nginx on a free loopback port in front of {@code 127.0.0.1:upstreamPort}. */
  public static NginxProxy inFrontOf(int upstreamPort) {
    if (!Files.isExecutable(NGINX)) {
      throw new IllegalStateException("the reverse-proxy test needs " + NGINX + ": apt-get install nginx (.ci/run does)");
    }
    try {
      Path dir = Files.createTempDirectory(Path.of("target"), "nginx-").toAbsolutePath();
      int port = freePort();
      Files.writeString(dir.resolve("nginx.conf"), config(dir, port, upstreamPort));
      Process process = new ProcessBuilder(NGINX.toString(), "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("stdout.log").toFile())
          .start();
      NginxProxy proxy = new NginxProxy(process, dir, port);
      proxy.awaitListening();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String url() {
    return "http://127.0.0.1:" + port + "/";
  }

  /** What nginx logged for each request, for assertions about what went through it. */
  public String accessLog() {
    try {
      return Files.readString(dir.resolve("access.log"));
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    // "daemon off" keeps the master in the foreground: it is the child we started, and it stops its workers.
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static String config(Path dir, int port, int upstreamPort) {
    return """
        daemon off;
        master_process on;
        # As root (CI) the workers would otherwise run as nobody and could not write this temp directory;
        # as any other user nginx ignores this line with a warning.
        user root;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log warn;
        events { worker_connections 256; }
        http {
          access_log %1$s/access.log;
          client_body_temp_path %1$s/client_body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          map $http_upgrade $connection_upgrade { default upgrade; '' close; }
          server {
            listen 127.0.0.1:%2$d;
            location / {
              proxy_pass http://127.0.0.1:%3$d;
              proxy_http_version 1.1;
              proxy_set_header Upgrade $http_upgrade;
              proxy_set_header Connection $connection_upgrade;
              proxy_set_header Host $host;
              proxy_read_timeout 120s;
              proxy_buffering off;
            }
          }
        }
        """.formatted(dir, port, upstreamPort);
  }

  private void awaitListening() {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("nginx exited with " + process.exitValue() + ": " + read("stdout.log")
            + read("error.log"));
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        pause();
      }
    }
    close();
    throw new IllegalStateException("nginx did not listen on " + port + " within " + START_TIMEOUT);
  }

  /** A refused connect returns at once: poll the port a few times a second, not in a busy loop. */
  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for nginx", e);
    }
  }

  private String read(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (IOException e) {
      return "";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
