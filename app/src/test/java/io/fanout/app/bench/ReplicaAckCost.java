package io.fanout.app.bench;

import io.fanout.app.FanoutApp;
import io.fanout.app.embedded.EmbeddedKafka;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisProbe;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What REDIS_MIN_REPLICAS_ACK=1 costs: the same count job, run alternately with and without the
 * replica's acknowledgement, on a Debian redis-server 7 master with one replica (append-only file
 * on both) and an embedded Kafka broker, all on this machine; plus the bare price of one WAIT.
 *
 * <pre>bin/replica-ack-bench [--runs 3] [--count 1000000]</pre>
 */
public final class ReplicaAckCost {
  private static final PrintStream OUT = System.out;
  private static final Path LOG = Path.of("app/target/replica-ack-bench.log");

  private ReplicaAckCost() {}

  public static void main(String[] args) throws Exception {
    int runs = option(args, "--runs", 3);
    int count = option(args, "--count", 1_000_000);
    Path data = Files.createTempDirectory("fanout-ack-bench-");
    // Log lines (Fanout's, the broker's) go to a file, the figures to the console.
    Files.createDirectories(LOG.getParent());
    System.setOut(new PrintStream(Files.newOutputStream(LOG), true, StandardCharsets.UTF_8));
    OUT.println("Load average at start: " + Machine.loadAverage() + "; log: " + LOG);
    Vertx vertx = Vertx.vertx();
    try (RedisNodes nodes = new RedisNodes(data.resolve("redis"));
        EmbeddedKafka kafka = EmbeddedKafka.start(data.resolve("kafka"), 0)) {
      int masterPort = FanoutUnderTest.freePort();
      nodes.server("master", masterPort, List.of("port " + masterPort, "appendonly yes"));
      int replicaPort = FanoutUnderTest.freePort();
      nodes.server("replica", replicaPort, List.of("port " + replicaPort, "appendonly yes",
          "replicaof 127.0.0.1 " + masterPort));
      String url = "redis://127.0.0.1:" + masterPort;
      try (RedisProbe probe = new RedisProbe(vertx, url)) {
        Await.until(() -> Future.succeededFuture(probe.send(Command.ROLE)), role -> role.get(2).size() == 1,
            Duration.ofSeconds(30));
      }
      OUT.printf("One WAIT: SET alone %.0f µs, SET then WAIT 1 on its connection %.0f µs (10,000 each)%n",
          microsPerWrite(vertx, url, false), microsPerWrite(vertx, url, true));
      List<Double> without = new ArrayList<>();
      List<Double> with = new ArrayList<>();
      for (int run = 1; run <= runs; run++) {
        // Each goes first every other run: neither gets the warmer JIT or the quieter minute every time.
        if (run % 2 == 1) {
          without.add(rate(kafka, url, 0, count, data));
          with.add(rate(kafka, url, 1, count, data));
        } else {
          with.add(rate(kafka, url, 1, count, data));
          without.add(rate(kafka, url, 0, count, data));
        }
        OUT.printf("run %d: %,d count tasks: %,.0f tasks/s without, %,.0f tasks/s with REDIS_MIN_REPLICAS_ACK=1%n",
            run, count, without.get(run - 1), with.get(run - 1));
      }
      List<Double> paired = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        paired.add(with.get(i) / without.get(i));
      }
      // The ratio run by run, as bin/bench pairs its figures: the machine's pace moves between runs.
      OUT.printf(Locale.ROOT, "median: %,.0f tasks/s without, %,.0f with; median of the paired ratios %.2f "
          + "(%s): the acknowledgement costs %.0f %%%n", median(without), median(with), median(paired),
          String.join(" / ", paired.stream().map(ratio -> String.format(Locale.ROOT, "%.2f", ratio)).toList()),
          100 * (1 - median(paired)));
    } finally {
      Await.result(vertx.close());
      try (var files = Files.walk(data)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
      }
    }
  }

  /** One Fanout with the given acknowledgement: a warm-up job, then the timed one. */
  private static double rate(EmbeddedKafka kafka, String redisUrl, int replicas, int count, Path data) {
    JsonObject overrides = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, kafka.bootstrapServers())
        .put(Settings.REDIS_URL, redisUrl)
        .put(Settings.REDIS_MIN_REPLICAS_ACK, replicas)
        .put(Settings.HTTP_PORT, Ports.free())
        .put(Settings.PROGRESS_PORT, Ports.free())
        .put(Settings.DATA_DIR, data.resolve("fanout").toString());
    try (FanoutApp app = FanoutApp.start(overrides);
        FanoutHttp http = new FanoutHttp(app.vertx(), app.settings().integer(Settings.HTTP_PORT), 4);
        TopicOffsets offsets = new TopicOffsets(kafka.bootstrapServers())) {
      EndToEndThroughput e2e = new EndToEndThroughput(http, offsets, Duration.ofMinutes(5));
      e2e.runs(new JsonObject().put("type", "count").put("count", Math.max(1, count / 5)), 1);
      return e2e.runs(new JsonObject().put("type", "count").put("count", count), 1).get(0).rate();
    }
  }

  /** Microseconds per SET, one at a time on one connection, with or without a WAIT 1 after each. */
  private static double microsPerWrite(Vertx vertx, String url, boolean wait) {
    Redis client = Redis.createClient(vertx, url);
    RedisConnection connection = Await.result(client.connect());
    try {
      int writes = 10_000;
      long started = System.nanoTime();
      Future<?> chain = Future.succeededFuture();
      for (int i = 0; i < writes; i++) {
        Request set = Request.cmd(Command.SET).arg("ack-bench").arg(i);
        chain = chain.compose(done -> connection.send(set))
            .compose(done -> wait ? connection.send(Request.cmd(Command.WAIT).arg(1).arg(1000)) : Future.succeededFuture());
      }
      Await.result(chain, Duration.ofMinutes(2));
      return (System.nanoTime() - started) / 1000.0 / writes;
    } finally {
      connection.close();
      client.close();
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  private static int option(String[] args, String name, int fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1].replace("_", ""));
      }
    }
    return fallback;
  }
}
