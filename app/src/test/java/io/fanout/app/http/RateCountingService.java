package io.fanout.app.http;

import io.fanout.app.testing.Await;
import io.fanout.core.http.HttpTaskOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A service that answers every POST with 200 and counts the requests by the second they arrive in,
 * in a small JVM of its own: the test's JVM also runs a Kafka broker, whose collections and CPU use
 * would move arrivals across a second's edge and blame the rate limit for it. Beside each second's
 * arrivals it counts those sent on a rate slot of an earlier second ({@link
 * HttpTaskOptions#RATE_SECOND_HEADER}), which the workers sent in time and reached it late, and the
 * requests sent on each second's slots, which the rate limit alone decides. Before it reports its
 * port it serves warm-up requests on fresh connections of its own: a JVM that has not yet run its
 * HTTP code read the workers' first requests (sent 120-570 ms into their slot's second) 0.9 to
 * 1.5 s after they were sent, into the next second's count (full runs saw 255 or 236 in one of
 * the job's first whole seconds at a rate of 200). The child listens on 127.0.0.1, prints its port,
 * serves its counts at {@code GET /counts}, and ends when the test closes it or its standard input
 * closes (the test's JVM died).
 */
final class RateCountingService implements AutoCloseable {
  private static final String LISTENING = "listening on port ";
  private static final String ARRIVED = "arrived";
  private static final String ON_EARLIER_SLOTS = "onEarlierSlots";
  private static final String SLOTS_USED = "slotsUsed";
  private static final String WARM_UP_PATH = "/warm-up";
  /** Enough requests, each round on new connections, for the JIT to compile the service's accept and HTTP code. */
  private static final int WARM_UP_ROUNDS = 5;
  private static final int WARM_UP_CONNECTIONS = 200;
  private static final int WARM_UP_REQUESTS_PER_ROUND = 400;

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
      // Its log shares standard output (a blocked event loop's warning during the warm-up, on a busy
      // machine), so the port is the first line that says it, and the rest is drained to the
      // test's own output, that the child never waits on a full pipe.
      StringBuilder before = new StringBuilder();
      String line = output.readLine();
      while (line != null && !line.startsWith(LISTENING)) {
        before.append(line).append('\n');
        line = output.readLine();
      }
      if (line == null) {
        process.destroyForcibly();
        throw new AssertionError("the rate-counting service did not start: " + before);
      }
      System.err.print(before);
      Thread drain = new Thread(() -> {
        try {
          output.lines().forEach(System.err::println);
        } catch (UncheckedIOException closed) {
          // The child was stopped: nothing more to read.
        }
      }, "rate-counting-service-output");
      drain.setDaemon(true);
      drain.start();
      return new RateCountingService(process, Integer.parseInt(line.substring(LISTENING.length()).trim()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "http://127.0.0.1:" + port + "/work";
  }

  /**
   * What the service counted so far, by epoch second: {@code arrived}, the requests that arrived in
   * it; {@code onEarlierSlots}, those of them sent on a slot of an earlier second; {@code slotsUsed},
   * the requests sent on its own slots, wherever they arrived.
   */
  record Counts(TreeMap<Long, Long> arrived, Map<Long, Long> onEarlierSlots, Map<Long, Long> slotsUsed) {
    /** One second's counts, to say whether a second over the rate was granted too much or counted late. */
    String of(long second) {
      return second + ": " + arrived.getOrDefault(second, 0L) + " arrived, "
          + onEarlierSlots.getOrDefault(second, 0L) + " of them on earlier seconds' slots (sent in time, arrived late), "
          + slotsUsed.getOrDefault(second, 0L) + " sent on its own slots";
    }
  }

  Counts counts() {
    JsonObject counts = Await.result(client.get(port, "127.0.0.1", "/counts").send(), Duration.ofSeconds(30))
        .bodyAsJsonObject();
    return new Counts(perSecond(counts.getJsonObject(ARRIVED)), perSecond(counts.getJsonObject(ON_EARLIER_SLOTS)),
        perSecond(counts.getJsonObject(SLOTS_USED)));
  }

  private static TreeMap<Long, Long> perSecond(JsonObject counts) {
    TreeMap<Long, Long> perSecond = new TreeMap<>();
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
    Map<Long, AtomicLong> arrived = new ConcurrentHashMap<>();
    Map<Long, AtomicLong> onEarlierSlots = new ConcurrentHashMap<>();
    Map<Long, AtomicLong> slotsUsed = new ConcurrentHashMap<>();
    int port = Await.result(vertx.createHttpServer().requestHandler(request -> {
      if (request.path().equals("/counts")) {
        JsonObject counts = new JsonObject().put(ARRIVED, asJson(arrived))
            .put(ON_EARLIER_SLOTS, asJson(onEarlierSlots)).put(SLOTS_USED, asJson(slotsUsed));
        request.response().putHeader("Content-Type", "application/json").end(counts.encode());
        return;
      }
      if (!request.path().equals(WARM_UP_PATH)) {
        long second = System.currentTimeMillis() / 1000;
        increment(arrived, second);
        String slotSecond = request.getHeader(HttpTaskOptions.RATE_SECOND_HEADER);
        if (slotSecond != null) {
          increment(slotsUsed, Long.parseLong(slotSecond));
          if (Long.parseLong(slotSecond) < second) {
            increment(onEarlierSlots, second);
          }
        }
      }
      request.body().onSuccess(body -> request.response().putHeader("Content-Type", "application/json").end("{}"));
    }).listen(0, "127.0.0.1")).actualPort();
    warmUp(vertx, port);
    System.out.println(LISTENING + port);
    System.out.flush();
    while (System.in.read() != -1) {
      // Nothing is sent on standard input; its end means the test's JVM is gone.
    }
    System.exit(0);
  }

  private static void increment(Map<Long, AtomicLong> perSecond, long second) {
    perSecond.computeIfAbsent(second, key -> new AtomicLong()).incrementAndGet();
  }

  private static JsonObject asJson(Map<Long, AtomicLong> perSecond) {
    JsonObject counts = new JsonObject();
    perSecond.forEach((second, count) -> counts.put(Long.toString(second), count.get()));
    return counts;
  }

  /** Serves requests on fresh connections from a client of its own, none of them counted. */
  private static void warmUp(Vertx vertx, int port) {
    for (int round = 0; round < WARM_UP_ROUNDS; round++) {
      HttpClient client = vertx.httpClientBuilder()
          .with(new PoolOptions().setHttp1MaxSize(WARM_UP_CONNECTIONS)).build();
      List<Future<Buffer>> answered = new ArrayList<>();
      for (int n = 0; n < WARM_UP_REQUESTS_PER_ROUND; n++) {
        answered.add(client.request(HttpMethod.POST, port, "127.0.0.1", WARM_UP_PATH)
            .compose(request -> request.send(new JsonObject().put("index", 0).encode()))
            .compose(HttpClientResponse::body));
      }
      Await.result(Future.all(answered));
      Await.result(client.close());
    }
  }
}
