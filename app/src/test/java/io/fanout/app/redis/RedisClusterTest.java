package io.fanout.app.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.WebhookReceiver;
import io.fanout.core.RedisKeys;
import io.fanout.core.RedisScript;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fanout on a Redis Cluster of three masters (Debian's redis-server, started here as child
 * processes), against the shared Kafka: big jobs, datasets, cancel, retry, priorities and
 * idempotency work as on one Redis, a job's keys stay on one shard while jobs spread over all
 * three, and every Lua script Fanout has ran there.
 */
@ExtendWith(SharedBackends.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("On a Redis Cluster of three masters, Fanout works as on one Redis")
class RedisClusterTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);
  private static final int MASTERS = 3;
  private static final String WEBHOOK_SECRET = "whsec-cluster";

  private static RedisNodes nodes;
  private static final List<RedisNodes.Node> masters = new ArrayList<>();
  private static String clusterUrl;
  private static FanoutUnderTest fanout;
  private static Vertx vertx;
  private static Map<Integer, Redis> perNode;

  @BeforeAll
  static void startCluster() throws Exception {
    nodes = new RedisNodes(Files.createTempDirectory(Path.of("target"), "redis-cluster-"));
    for (int i = 0; i < MASTERS; i++) {
      int port = FanoutUnderTest.freePort();
      masters.add(nodes.server("master-" + i, port, List.of("port " + port, "cluster-enabled yes",
          "cluster-config-file nodes.conf", "appendonly no")));
    }
    List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    masters.forEach(master -> create.add("127.0.0.1:" + master.port()));
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Process creating = new ProcessBuilder(create).redirectErrorStream(true).start();
    String said = new String(creating.getInputStream().readAllBytes());
    assertThat(creating.waitFor()).as("redis-cli --cluster create: %s", said).isZero();

    vertx = Vertx.vertx();
    perNode = masters.stream().collect(Collectors.toMap(RedisNodes.Node::port,
        master -> Redis.createClient(vertx, "redis://127.0.0.1:" + master.port())));
    for (Redis node : perNode.values()) {
      Await.until(() -> node.send(Request.cmd(Command.CLUSTER).arg("INFO")).map(Response::toString),
          info -> info.contains("cluster_state:ok"), Duration.ofSeconds(30));
    }
    clusterUrl = masters.stream().map(master -> "redis://127.0.0.1:" + master.port()).collect(Collectors.joining(","));
    // One job at a time in each lane, so the priority test can hold the queue with one running
    // job; a short retention, so that the janitor retires finished jobs while the tests run.
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.REDIS_TYPE, "cluster")
        .put(Settings.REDIS_URL, clusterUrl)
        .put(Settings.MAX_ACTIVE_JOBS, 1)
        .put(Settings.MAX_ACTIVE_SMALL_JOBS, 1)
        .put(Settings.TOPIC_RETENTION_MS, 5_000)
        .put(Settings.JANITOR_INTERVAL_MS, 1_000)
        .put(Settings.CALLBACK_SECRET, WEBHOOK_SECRET)
        .put(Settings.CALLBACK_ALLOWED_HOSTS, "127.0.0.1")
        .put(Settings.CALLBACK_BACKOFF_MS, 100)
        .put(Settings.CALLBACK_POLL_MS, 100)
        .put(Settings.SCHEDULE_POLL_MS, 100));
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    if (fanout != null) {
      fanout.close();
    }
    if (vertx != null) {
      Await.result(vertx.close());
    }
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("a 100,000-task job completes with every task counted once, its keys all on one shard")
  void bigJob() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", 100_000), JOB_TIMEOUT);

    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).isEqualTo(100_000);
    List<Integer> holders = holdersOf(RedisKeys.job(job.getString("id")) + "*");
    assertThat(holders).as("the shards holding the job's keys").hasSize(1);
  }

  @Test
  @Order(2)
  @DisplayName("a dataset job hashes every item, and jobs spread over all three shards while the queue's keys stay on one")
  void datasetAndSpread() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "sha256")
        .put("items", new JsonArray().add("alpha").add("beta").add("gamma")), JOB_TIMEOUT);
    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).isEqualTo(3);
    JsonArray log = fanout.get("/jobs/" + job.getString("id") + "/log?from=0&limit=10").bodyAsJsonObject()
        .getJsonArray("records");
    Map<Long, String> digests = new TreeMap<>();
    log.stream().map(entry -> ((JsonObject) entry).getJsonObject("record")).filter(record -> record.containsKey("index"))
        .forEach(record -> digests.put(record.getLong("index"), record.getJsonObject("result").getString("value")));
    assertThat(digests).isEqualTo(Map.of(0L, sha256("alpha"), 1L, sha256("beta"), 2L, sha256("gamma")));
    // A purge is two steps on two shards (the job's keys, then the queue's indexes): both are done.
    assertThat(fanout.delete("/jobs/" + job.getString("id") + "?purge=true").statusCode()).isEqualTo(204);
    assertThat(holdersOf(RedisKeys.job(job.getString("id")) + "*")).as("shards holding the purged job's keys").isEmpty();
    assertThat(fanout.get("/jobs/" + job.getString("id")).statusCode()).isEqualTo(404);

    // Forty one-task jobs: that they miss one of the three shards (3 x (2/3)^40) would happen about
    // once in 3.7 million runs. Twelve, as before, missed one once in 43 (3 x (2/3)^12), and did.
    List<String> small = IntStream.range(0, 40).mapToObj(i -> fanout.submit(new JsonObject().put("type", "compute")
        .put("payload", new JsonObject().put("input", "spread-" + i)))).toList();
    small.forEach(id -> assertThat(fanout.awaitFinal(id, JOB_TIMEOUT).getString("status")).isEqualTo("completed"));
    Set<Integer> jobShards = small.stream().flatMap(id -> holdersOf(RedisKeys.job(id)).stream())
        .collect(Collectors.toSet());
    assertThat(jobShards).as("shards holding the jobs").hasSize(MASTERS);
    assertThat(holdersOf("{queue}:*")).as("shards holding the queue's keys").hasSize(1);
  }

  @Test
  @Order(3)
  @DisplayName("a running job is cancelled, leaves the active set, and the next job runs")
  void cancel() {
    String running = fanout.submit(new JsonObject().put("type", "sleep").put("count", 100_000)
        .put("payload", new JsonObject().put("ms", 5)));
    Await.until(() -> Future.succeededFuture(fanout.get("/jobs/" + running).bodyAsJsonObject()),
        job -> job.getLong("done") > 0, JOB_TIMEOUT);

    assertThat(fanout.delete("/jobs/" + running).statusCode()).isEqualTo(200);

    JsonObject cancelled = fanout.get("/jobs/" + running).bodyAsJsonObject();
    assertThat(cancelled.getString("status")).isEqualTo("cancelled");
    assertThat(cancelled.getLong("done")).isLessThan(100_000);
    assertThat(fanout.get("/stats").bodyAsJsonObject().getLong("active")).isZero();
    JsonObject next = fanout.runToEnd(new JsonObject().put("type", "count").put("count", 10), JOB_TIMEOUT);
    assertThat(next.getString("status")).isEqualTo("completed");
  }

  @Test
  @Order(4)
  @DisplayName("a failed job's failed tasks run again with retry-failed")
  void retryFailed() {
    JsonObject failed = fanout.runToEnd(new JsonObject().put("type", "fail").put("count", 20).put("maxAttempts", 1)
        .put("payload", new JsonObject().put("p", 1.0)), JOB_TIMEOUT);
    assertThat(failed.getString("status")).isEqualTo("failed");
    assertThat(failed.getLong("failed")).isEqualTo(20);
    String id = failed.getString("id");

    HttpResponse<Buffer> retried = fanout.post("/jobs/" + id + "/retry-failed", new JsonObject());

    assertThat(retried.statusCode()).isEqualTo(202);
    Await.until(() -> Future.succeededFuture(fanout.get("/jobs/" + id).bodyAsJsonObject()),
        job -> job.getString("startedAt") != null && Instant.parse(job.getString("startedAt"))
            .isAfter(Instant.parse(failed.getString("finishedAt"))), JOB_TIMEOUT);
    JsonObject again = fanout.awaitFinal(id, JOB_TIMEOUT);
    assertThat(again.getString("status")).isEqualTo("failed");
    assertThat(again.getLong("failed")).isEqualTo(20);
    assertThat(fanout.get("/jobs/" + id + "/failures?from=0&limit=100").bodyAsJsonObject().getJsonArray("failures"))
        .hasSize(20);
  }

  @Test
  @Order(5)
  @DisplayName("queued jobs start by priority, a changed priority included, and an idempotency key gives the same job")
  void priorityAndIdempotency() {
    // A small job, as are the jobs it holds back in their lane.
    String blocker = fanout.submit(new JsonObject().put("type", "sleep").put("count", 1_000)
        .put("payload", new JsonObject().put("ms", 100)));
    Await.until(() -> Future.succeededFuture(fanout.get("/jobs/" + blocker).bodyAsJsonObject()),
        job -> "running".equals(job.getString("status")), JOB_TIMEOUT);
    String low = fanout.submit(count(5).put("priority", 1));
    String high = fanout.submit(count(5).put("priority", 10));
    String mid = fanout.submit(count(5).put("priority", 5).put("idempotencyKey", "cluster-order-1"));
    HttpResponse<Buffer> again = fanout.post("/jobs", count(5).put("priority", 5).put("idempotencyKey", "cluster-order-1"));
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.bodyAsJsonObject().getString("jobId")).isEqualTo(mid);
    HttpResponse<Buffer> raised = Await.result(fanout.http().patch("/jobs/" + low)
        .sendJsonObject(new JsonObject().put("priority", 20)));
    assertThat(raised.statusCode()).isEqualTo(200);
    assertThat(fanout.get("/stats").bodyAsJsonObject().getLong("waiting")).isEqualTo(3);

    assertThat(fanout.delete("/jobs/" + blocker).statusCode()).isEqualTo(200);

    List<JsonObject> inExpectedOrder = Stream.of(low, high, mid).map(id -> fanout.awaitFinal(id, JOB_TIMEOUT)).toList();
    for (int i = 0; i + 1 < inExpectedOrder.size(); i++) {
      JsonObject earlier = inExpectedOrder.get(i);
      JsonObject later = inExpectedOrder.get(i + 1);
      assertThat(Instant.parse(earlier.getString("finishedAt")))
          .as("priority %s ends before priority %s starts", earlier.getInteger("priority"), later.getInteger("priority"))
          .isBeforeOrEqualTo(Instant.parse(later.getString("startedAt")));
    }
  }

  @Test
  @Order(6)
  @DisplayName("a webhook is retried and delivered, its tries kept on its job's shard, and a schedule fires, pauses and goes")
  void webhooksAndSchedules() {
    try (WebhookReceiver receiver = new WebhookReceiver(WEBHOOK_SECRET, n -> n == 1 ? 503 : 200)) {
      String id = fanout.submit(count(2).put("callbackUrl", receiver.url()));
      assertThat(receiver.awaitDelivered(JOB_TIMEOUT).signatureValid()).isTrue();
      JsonObject callbacks = Await.until(() -> fanout.http().get("/jobs/" + id + "/callbacks").send()
          .map(HttpResponse::bodyAsJsonObject), answer -> "delivered".equals(answer.getString("state")), JOB_TIMEOUT);
      assertThat(callbacks.getJsonArray("attempts")).hasSize(2);
      assertThat(holdersOf("job:{" + id + "}*")).as("shards holding the job's keys, its webhook's tries included")
          .hasSize(1);
    }
    HttpResponse<Buffer> created = fanout.post("/schedules", new JsonObject().put("cron", "* * * * * *")
        .put("template", count(1).put("delayMs", 3_600_000)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    String schedule = "/schedules/" + created.bodyAsJsonObject().getString("id");
    Await.until(() -> fanout.http().get(schedule).send().map(r -> r.bodyAsJsonObject().getJsonArray("firings")),
        firings -> !firings.isEmpty(), JOB_TIMEOUT);
    assertThat(Await.result(fanout.http().patch(schedule).sendJsonObject(new JsonObject().put("paused", true)))
        .statusCode()).isEqualTo(200);
    assertThat(fanout.delete(schedule).statusCode()).isEqualTo(204);
  }

  @Test
  @Order(7)
  @DisplayName("every Lua script of Fanout has run on the cluster")
  void everyScriptRan() throws Exception {
    // A node that stops cleanly leaves the cluster list: the one script the jobs above do not run.
    FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.ROLES, "api")
        .put(Settings.REDIS_TYPE, "cluster").put(Settings.REDIS_URL, clusterUrl)).close();

    Map<String, String> scripts = new TreeMap<>();
    scripts.putAll(scriptsBeside(RedisScript.class, "lua"));
    scripts.putAll(scriptsBeside(Class.forName("io.fanout.progress.ProgressStore"), "."));
    assertThat(scripts).isNotEmpty();
    // The janitor's retiring of finished jobs runs on its own clock, within seconds.
    List<String> neverRan = Await.until(() -> Future.succeededFuture(neverRan(scripts)), List::isEmpty,
        Duration.ofSeconds(30));
    assertThat(neverRan).as("scripts that never ran on the cluster").isEmpty();
  }

  private static List<String> neverRan(Map<String, String> scripts) {
    List<String> neverRan = new ArrayList<>();
    scripts.forEach((name, sha) -> {
      boolean cached = perNode.values().stream().anyMatch(node ->
          Await.result(node.send(Request.cmd(Command.SCRIPT).arg("EXISTS").arg(sha))).get(0).toLong() == 1);
      if (!cached) {
        neverRan.add(name);
      }
    });
    return neverRan;
  }

  private static JsonObject count(int tasks) {
    return new JsonObject().put("type", "count").put("count", tasks);
  }

  /** The ports of the masters that hold keys matching the pattern. */
  private static List<Integer> holdersOf(String pattern) {
    return perNode.entrySet().stream()
        .filter(node -> Await.result(node.getValue().send(Request.cmd(Command.KEYS).arg(pattern))).size() > 0)
        .map(Map.Entry::getKey)
        .toList();
  }

  /** The SHA-1 of every {@code .lua} resource in {@code folder} of {@code owner}'s package, by file name. */
  private static Map<String, String> scriptsBeside(Class<?> owner, String folder) throws IOException, URISyntaxException {
    URI uri = owner.getResource(owner.getSimpleName() + ".class").toURI();
    if ("jar".equals(uri.getScheme())) {
      try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
        return digests(jar.provider().getPath(uri).getParent().resolve(folder));
      }
    }
    return digests(Path.of(uri).getParent().resolve(folder));
  }

  private static Map<String, String> digests(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(file -> file.toString().endsWith(".lua")).collect(Collectors.toMap(
          file -> file.getFileName().toString(), file -> sha1(read(file))));
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String text) {
    return hex("SHA-1", text);
  }

  private static String sha256(String text) {
    return hex("SHA-256", text);
  }

  private static String hex(String algorithm, String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(text.getBytes()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
