package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.LocalCluster;
import io.fanout.app.LocalCluster.Node;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobState;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.OffsetSpec;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three JVMs clustered on loopback (api+progress, worker, worker) on the shared Kafka and Redis.
 * One worker JVM is killed with {@code kill -9} while the job runs: its uncommitted tasks must run
 * again on the survivor, and be counted once. The progress is sampled from Redis throughout, so
 * the stall after the kill is measured, and reported rather than asserted (timing on a shared
 * 2-core machine is no contract).
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Three clustered processes lose no task when a worker process is killed with kill -9")
class ClusterFailoverTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFailoverTest.class);
  private static final int REDIS_DB = 8;
  private static final long TASKS = 50_000;
  private static final int PARTITIONS = 8;
  private static final long KILL_AT = 12_000;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(150);
  private static final Duration GONE_TIMEOUT = Duration.ofSeconds(10);
  private static final long SAMPLE_MS = 20;
  private static final long OFFSETS_EVERY_MS = 250;

  /** The job's counts in Redis at one moment. */
  private record Sample(long nanos, long done, long failed, long total, String status) {
    boolean isFinal() {
      return JobState.fromWire(status).isFinal();
    }
  }

  private Vertx vertx;
  private LocalCluster cluster;
  private RedisProbe redis;
  private KafkaAdminClient admin;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    cluster = ProcessCluster.onSharedBackends("failover", REDIS_DB);
    redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB));
    redis.flush();
    admin = KafkaAdminClient.create(vertx,
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SharedBackends.bootstrapServers()));
  }

  @AfterEach
  void stop() {
    cluster.close();
    Await.result(admin.close());
    redis.close();
    Await.result(vertx.close());
  }

  @Test
  @DisplayName("a 50,000-task job ends with done exactly 50,000 though one of its two worker processes was killed mid-job")
  void workerKilledMidJob() throws InterruptedException {
    Node api = cluster.awaitReady(cluster.start("api", ProcessCluster.httpPorts(), "--roles", "api,progress",
        "--cluster"), ProcessCluster.READY_TIMEOUT);
    Node doomed = cluster.start("worker-1", Map.of(), "--roles", "worker", "--cluster");
    Node survivor = cluster.start("worker-2", Map.of(), "--roles", "worker", "--cluster");
    cluster.awaitReady(doomed, ProcessCluster.READY_TIMEOUT);
    cluster.awaitReady(survivor, ProcessCluster.READY_TIMEOUT);
    NodeApi http = new NodeApi(vertx, api);
    assertThat(nodeIds(http)).as("GET /cluster lists the three processes")
        .containsExactlyInAnyOrder(api.id(), doomed.id(), survivor.id());

    long submittedAt = System.nanoTime();
    String jobId = http.submit(new JsonObject().put("type", "sleep").put("count", TASKS)
        .put("partitions", PARTITIONS).put("payload", new JsonObject().put("ms", 1)));
    List<Sample> samples = new ArrayList<>();
    Sample sample;
    do {
      sample = sample(jobId);
      samples.add(sample);
      Thread.sleep(SAMPLE_MS);
      // The worker alone dies: once every task is in Kafka, no dispatcher lease is in play
      // (DispatcherFailoverTest covers that one).
    } while ((sample.done() < KILL_AT || fanOutRunning(jobId)) && !sample.isFinal() && !late(submittedAt));
    assertThat(sample.isFinal()).as("the job is still running when the worker is killed").isFalse();

    String doomedId = doomed.id();
    String group = doomed.settings().get(Settings.WORKER_GROUP);
    cluster.kill(doomed);
    long killedAt = System.nanoTime();
    Sample atKill = sample(jobId);
    samples.add(atKill);
    Map<Integer, Long> committedAtKill = committed(group, jobId);
    Map<Integer, Long> endsAtKill = ends(jobId);

    // Until the job ends: its counts every 20 ms; committed offsets and the node list every 250 ms.
    Map<Integer, Long> resumedAfterMs = new TreeMap<>();
    Long goneAfterMs = null;
    long lastCheck = 0;
    while (!sample.isFinal()) {
      assertThat(late(submittedAt)).as("the job ends within %s", JOB_TIMEOUT).isFalse();
      Thread.sleep(SAMPLE_MS);
      sample = sample(jobId);
      samples.add(sample);
      if (sample.nanos() - lastCheck >= OFFSETS_EVERY_MS * 1_000_000) {
        lastCheck = sample.nanos();
        long elapsedMs = (sample.nanos() - killedAt) / 1_000_000;
        committed(group, jobId).forEach((partition, offset) -> {
          if (offset > committedAtKill.getOrDefault(partition, 0L)) {
            resumedAfterMs.putIfAbsent(partition, elapsedMs);
          }
        });
        if (goneAfterMs == null && !nodeIds(http).contains(doomedId)) {
          goneAfterMs = elapsedMs;
        }
      }
    }
    long finishedAt = System.nanoTime();
    // Offsets are committed a moment after the counts: follow them until every partition is done.
    while (resumedAfterMs.size() < waitedAtKill(committedAtKill, endsAtKill).size()
        && System.nanoTime() - finishedAt < GONE_TIMEOUT.toNanos()) {
      Thread.sleep(OFFSETS_EVERY_MS);
      long elapsedMs = (System.nanoTime() - killedAt) / 1_000_000;
      committed(group, jobId).forEach((partition, offset) -> {
        if (offset > committedAtKill.getOrDefault(partition, 0L)) {
          resumedAfterMs.putIfAbsent(partition, elapsedMs);
        }
      });
    }
    while (goneAfterMs == null && System.nanoTime() - killedAt < GONE_TIMEOUT.toNanos()) {
      if (!nodeIds(http).contains(doomedId)) {
        goneAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
      }
      Thread.sleep(SAMPLE_MS);
    }

    assertThat(sample.status()).isEqualTo("completed");
    assertThat(sample.done()).as("done").isEqualTo(TASKS);
    assertThat(sample.failed()).as("failed").isZero();
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(jobId)).toLong()).as("tasks with their bit set")
        .isEqualTo(TASKS);
    for (int i = 1; i < samples.size(); i++) {
      assertThat(samples.get(i).done()).as("done never goes down").isGreaterThanOrEqualTo(samples.get(i - 1).done());
      assertThat(samples.get(i).done()).as("done never passes total").isLessThanOrEqualTo(TASKS);
    }
    assertThat(goneAfterMs).as("ms until the killed node left GET /cluster (null: not within %s)", GONE_TIMEOUT)
        .isNotNull();
    assertThat(nodeIds(http)).contains(api.id(), survivor.id());

    // Partitions that still had work at the kill: the killed worker's are the ones that waited.
    Map<Integer, Long> waited = new TreeMap<>();
    waitedAtKill(committedAtKill, endsAtKill).forEach(partition ->
        waited.put(partition, resumedAfterMs.getOrDefault(partition, -1L)));
    LOG.info("FAILOVER job {}: killed worker-1 (pid {}) at done={} ({} ms after submit, every task in Kafka); "
            + "longest stall of the job's progress after the kill {} ms; committed offsets of unfinished partitions "
            + "first moved again after (ms, by partition) {}; node gone from GET /cluster after {} ms; "
            + "job finished {} ms after the kill, {} ms after submit; {} Redis samples",
        jobId, doomed.pid(), atKill.done(), (killedAt - submittedAt) / 1_000_000, longestStallMs(samples, killedAt),
        waited, goneAfterMs, (finishedAt - killedAt) / 1_000_000, (finishedAt - submittedAt) / 1_000_000,
        samples.size());
  }

  private Sample sample(String jobId) {
    Response counts = redis.send(Command.HMGET, RedisKeys.job(jobId), "done", "failed", "total", "status");
    return new Sample(System.nanoTime(), number(counts.get(0)), number(counts.get(1)), number(counts.get(2)),
        counts.get(3).toString());
  }

  private boolean fanOutRunning(String jobId) {
    return redis.send(Command.ZSCORE, RedisKeys.LEASES, jobId) != null
        || redis.send(Command.HGET, RedisKeys.job(jobId), "produced") == null;
  }

  /** The partitions that had records left to commit when the worker was killed. */
  private static List<Integer> waitedAtKill(Map<Integer, Long> committed, Map<Integer, Long> ends) {
    List<Integer> waiting = new ArrayList<>();
    ends.forEach((partition, end) -> {
      if (committed.getOrDefault(partition, 0L) < end) {
        waiting.add(partition);
      }
    });
    return waiting;
  }

  /** The longest time after the kill during which done did not move. */
  private static long longestStallMs(List<Sample> samples, long killedAt) {
    long longest = 0;
    long lastMove = killedAt;
    long lastDone = -1;
    for (Sample sample : samples) {
      if (sample.nanos() < killedAt) {
        continue;
      }
      if (lastDone < 0) {
        lastDone = sample.done();
      } else if (sample.done() > lastDone) {
        longest = Math.max(longest, sample.nanos() - lastMove);
        lastMove = sample.nanos();
        lastDone = sample.done();
      }
    }
    return longest / 1_000_000;
  }

  private Map<Integer, Long> committed(String group, String jobId) {
    Map<Integer, Long> offsets = new HashMap<>();
    Await.result(admin.listConsumerGroupOffsets(group)).forEach((partition, offset) -> {
      if (partition.getTopic().equals(Topics.tasks(jobId))) {
        offsets.put(partition.getPartition(), offset.getOffset());
      }
    });
    return offsets;
  }

  private Map<Integer, Long> ends(String jobId) {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      latest.put(new TopicPartition(Topics.tasks(jobId), p), OffsetSpec.LATEST);
    }
    Map<Integer, Long> ends = new HashMap<>();
    Await.result(admin.listOffsets(latest)).forEach((partition, info) -> ends.put(partition.getPartition(),
        info.getOffset()));
    return ends;
  }

  private static List<String> nodeIds(NodeApi http) {
    JsonArray nodes = http.get("/cluster").getJsonArray("nodes");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      ids.add(nodes.getJsonObject(i).getString("id"));
    }
    return ids;
  }

  private static boolean late(long since) {
    return System.nanoTime() - since > JOB_TIMEOUT.toNanos();
  }

  private static long number(Response value) {
    return value == null ? 0 : value.toLong();
  }
}
