package io.fanout.app.http;

import io.fanout.app.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A service that answers every POST with 200 and counts the requests by the second they arrive in,
 * in a small JVM of its own: the test's JVM also runs a Kafka broker, whose collections and CPU use
 * would move arrivals across a second's edge and blame the rate limit for it. The child listens on
 * 127.0.0.1, prints its port, serves its counts at {@code GET /counts}, and ends when the test
 * closes it or its standard input closes (the test's JVM died).
 */
final class RateCountingService implements AutoCloseable {
  private static final String LISTENING = "listening on port ";

  private final Process process;
  private final Vertx vertx = Vertx.vertx();
  private final WebClient client = WebClient.create(vertx);
  private final int port;

  private RateCountingService(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static RateCountingService start() {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        RateCountingService.class.getName());
    try {
      Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader output =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = output.readLine();
      if (line == null || !line.startsWith(LISTENING)) {
        process.destroyForcibly();
        throw new AssertionError("the rate-counting service did not start: " + line);
      }
      return new RateCountingService(process, Integer.parseInt(line.substring(LISTENING.length()).trim()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + port + "/work";
  }

  /** Requests counted so far, by the epoch second they arrived in. */
  Map<Long, Long> requestsPerSecond() {
    JsonObject counts = Await.result(client.get(port, "127.0.0.1", "/counts").send(), Duration.ofSeconds(30))
        .bodyAsJsonObject();
    Map<Long, Long> perSecond = new TreeMap<>();
    counts.forEach(entry -> perSecond.put(Long.parseLong(entry.getKey()), ((Number) entry.getValue()).longValue()));
    return perSecond;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
    Await.result(vertx.close());
  }

  /** The child's side: serve until standard input closes. */
  public static void main(String[] args) throws IOException {
    Vertx vertx = Vertx.vertx();
    Map<Long, AtomicLong> perSecond = new ConcurrentHashMap<>();
    int port = Await.result(vertx.createHttpServer().requestHandler(request -> {
      if (request.path().equals("/counts")) {
        JsonObject counts = new JsonObject();
        perSecond.forEach((second, count) -> counts.put(Long.toString(second), count.get()));
        request.response().putHeader("Content-Type", "application/json").end(counts.encode());
        return;
      }
      perSecond.computeIfAbsent(System.currentTimeMillis() / 1000, second -> new AtomicLong()).incrementAndGet();
      request.body().onSuccess(body -> request.response().putHeader("Content-Type", "application/json").end("{}"));
    }).listen(0, "127.0.0.1")).actualPort();
    System.out.println(LISTENING + port);
    System.out.flush();
    while (System.in.read() != -1) {
      // Nothing is sent on standard input; its end means the test's JVM is gone.
    }
    System.exit(0);
  }
}
