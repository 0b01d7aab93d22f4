package io.fanout.app.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.engine.TallyHandler;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.RedisNodes;
import io.fanout.app.testing.RedisNodes.Node;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobState;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis Sentinel as production runs it: a master, one replica and three sentinels (quorum 2), all
 * Debian redis-server 7 processes. Fanout reaches the master through the sentinels and waits for
 * one replica to acknowledge each round's counts (REDIS_MIN_REPLICAS_ACK=1) before it commits the
 * round's Kafka offsets. The master is killed with kill -9 mid-job; once the sentinels have
 * promoted the replica, the killed node is started again, as a supervisor would, and becomes the
 * new master's replica. Timings are reported, not asserted: this machine is shared.
 * A task's count is acknowledged before its offset is committed, so the stall that matters is the
 * time without a committed round; the job's done in Redis can rise meanwhile with counts the new
 * master holds but no replica has acknowledged yet.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Redis Sentinel: the master killed with kill -9 mid-job loses no count")
class RedisSentinelFailoverTest {
  private static final Logger LOG = LoggerFactory.getLogger(RedisSentinelFailoverTest.class);
  private static final String MASTER_NAME = "fanout-master";
  private static final long TASKS = 60_000;
  private static final long KILL_AT = 15_000;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);
  private static final long SAMPLE_MS = 20;
  private static final long HEALTH_EVERY_MS = 200;

  @TempDir
  static Path dir;
  private static RedisNodes nodes;
  private static Node master;
  private static List<Node> sentinels = new ArrayList<>();
  private static Vertx vertx;

  @BeforeAll
  static void startSentinelTopology() {
    nodes = new RedisNodes(dir);
    vertx = Vertx.vertx();
    int masterPort = FanoutUnderTest.freePort();
    master = nodes.server("master", masterPort, List.of("port " + masterPort, "appendonly yes"));
    int replicaPort = FanoutUnderTest.freePort();
    nodes.server("replica", replicaPort, List.of("port " + replicaPort, "appendonly yes",
        "replicaof 127.0.0.1 " + masterPort));
    for (int i = 1; i <= 3; i++) {
      int port = FanoutUnderTest.freePort();
      sentinels.add(nodes.sentinel("sentinel-" + i, port, List.of("port " + port,
          "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
          "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
          "sentinel failover-timeout " + MASTER_NAME + " 10000",
          "sentinel parallel-syncs " + MASTER_NAME + " 1")));
    }
    // A failover needs the replica in sync and the sentinels to know it and each other.
    try (RedisProbe probe = new RedisProbe(vertx, "redis://127.0.0.1:" + masterPort);
        RedisProbe sentinel = new RedisProbe(vertx, "redis://127.0.0.1:" + sentinels.get(0).port())) {
      Await.until(() -> Future.succeededFuture(probe.send(Command.ROLE)), role -> role.get(2).size() == 1,
          Duration.ofSeconds(30));
      Await.until(() -> Future.succeededFuture(sentinel.send(Command.SENTINEL, "sentinels", MASTER_NAME).size()),
          known -> known == 2, Duration.ofSeconds(30));
    }
  }

  @AfterAll
  static void stopSentinelTopology() throws InterruptedException {
    nodes.close();
    Await.result(vertx.close());
  }

  @Test
  @DisplayName("a 60,000-task job ends with done exactly 60,000, every task's bit set once, though the master was killed at 15,000")
  void masterKilledMidJob() throws Exception {
    JsonObject settings = new JsonObject()
        .put(Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers())
        .put(Settings.REDIS_TYPE, "sentinel")
        .put(Settings.REDIS_URL, String.join(",", sentinels.stream()
            .map(sentinel -> "redis://127.0.0.1:" + sentinel.port()).toList()))
        .put(Settings.REDIS_MASTER_NAME, MASTER_NAME)
        .put(Settings.REDIS_MIN_REPLICAS_ACK, 1)
        .put(Settings.TASK_TYPES, "tally");
    try (FanoutUnderTest fanout = FanoutUnderTest.start(settings);
        RedisProbe sentinel = new RedisProbe(vertx, "redis://127.0.0.1:" + sentinels.get(1).port());
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      assertThat(fanout.get("/health").statusCode()).as("health before the kill").isEqualTo(200);
      int deployed = fanout.app().vertx().deploymentIDs().size();
      String id = fanout.submit(new JsonObject().put("type", "tally").put("count", TASKS).put("partitions", 8)
          .put("payload", new JsonObject().put("ms", 1)));
      long submittedAt = System.nanoTime();
      JsonObject job = Await.until(() -> fanout.http().get("/jobs/" + id).send().map(HttpResponse::bodyAsJsonObject),
          polled -> polled.getLong("done") >= KILL_AT || JobState.fromWire(polled.getString("status")).isFinal(),
          JOB_TIMEOUT);
      assertThat(job.getString("status")).as("the job still runs at the kill").isIn("running");

      master.kill();
      long killedAt = System.nanoTime();
      long doneAtKill = job.getLong("done");
      Long promotedAfterMs = null;
      long restartedAfterMs = 0;
      boolean healthDown = false;
      String downReason = null;
      long lastHealth = 0;
      long lastMove = killedAt;
      long longestStallNanos = 0;
      long mostDone = doneAtKill;
      boolean wentBack = false;
      // Redis's done also rises with counts no replica acknowledged yet (their rounds are counted
      // again); what the workers commit in Kafka rises only with acknowledged ones.
      String group = fanout.app().settings().string(Settings.WORKER_GROUP);
      long committed = committed(kafka, group, id);
      long lastCommitMove = killedAt;
      long longestCommitStallNanos = 0;
      while (!JobState.fromWire(job.getString("status")).isFinal()) {
        assertThat(System.nanoTime() - submittedAt).as("the job ends within %s", JOB_TIMEOUT)
            .isLessThan(JOB_TIMEOUT.toNanos());
        Thread.sleep(SAMPLE_MS);
        long now = System.nanoTime();
        if (promotedAfterMs == null && masterPort(sentinel) != master.port()) {
          promotedAfterMs = (now - killedAt) / 1_000_000;
          // The supervisor's part: the killed node comes back, and the sentinels make it a replica.
          master.restart();
          restartedAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
        }
        if (now - lastHealth >= HEALTH_EVERY_MS * 1_000_000) {
          lastHealth = now;
          long committedNow = committed(kafka, group, id);
          if (committedNow > committed) {
            longestCommitStallNanos = Math.max(longestCommitStallNanos, now - lastCommitMove);
            lastCommitMove = now;
            committed = committedNow;
          }
          HttpResponse<Buffer> health = Await.result(fanout.http().get("/health").send());
          if (health.statusCode() == 503 && !healthDown) {
            healthDown = true;
            downReason = health.bodyAsJsonObject().getJsonObject("checks").getString("redis");
          }
        }
        // The API reads the master; while there is none, there is no sample.
        JsonObject polled = Await.result(fanout.http().get("/jobs/" + id).send()
            .map(response -> response.statusCode() == 200 ? response.bodyAsJsonObject() : null));
        if (polled == null) {
          continue;
        }
        job = polled;
        long done = job.getLong("done");
        assertThat(done).as("done never passes total").isLessThanOrEqualTo(TASKS);
        // Counts a dead master had not replicated are gone, and counted again: progress is a new high.
        wentBack |= done < mostDone;
        if (done > mostDone) {
          longestStallNanos = Math.max(longestStallNanos, now - lastMove);
          lastMove = now;
          mostDone = done;
        }
      }
      long finishedAt = System.nanoTime();
      // Redis says completed as soon as the last count is made; its round commits only once a replica
      // has acknowledged it, which can be after the restarted node has resynced: the last stretch
      // without a commit ends there.
      long inKafka = kafka.taskRecords(id, 8);
      long groupCommitted = Await.until(() -> Future.succeededFuture(committed(kafka, group, id)),
          offsets -> offsets >= inKafka, Duration.ofSeconds(120));
      if (groupCommitted > committed) {
        longestCommitStallNanos = Math.max(longestCommitStallNanos, System.nanoTime() - lastCommitMove);
      }

      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).as("done").isEqualTo(TASKS);
      assertThat(job.getLong("failed")).as("failed").isZero();
      assertThat(promotedAfterMs).as("the sentinels promoted the replica").isNotNull();
      assertThat(healthDown).as("/health answered 503 while Redis had no usable master").isTrue();
      try (RedisProbe newMaster = new RedisProbe(vertx, "redis://127.0.0.1:" + masterPort(sentinel))) {
        assertThat(newMaster.send(Command.BITCOUNT, RedisKeys.doneBits(id)).toLong()).as("tasks with their bit set")
            .isEqualTo(TASKS);
      }
      assertThat(TallyHandler.runsOf(id)).as("tasks that ran at least once").hasSize((int) TASKS);
      Await.until(() -> fanout.http().get("/health").send().map(HttpResponse::statusCode), status -> status == 200,
          Duration.ofSeconds(30));
      assertThat(fanout.app().vertx().deploymentIDs()).as("verticles still deployed").hasSize(deployed);
      long reruns = TallyHandler.runsOf(id).values().stream().filter(runs -> runs.get() > 1).count();
      LOG.info("SENTINEL FAILOVER job {}: master killed at done={}, {} ms after submit. Sentinels promoted the "
              + "replica {} ms after the kill; the killed node was up again at {} ms. Longest time without a committed "
              + "round (Kafka offsets, sampled every {} ms) after the kill: {} ms; without a new high of done in Redis: "
              + "{} ms. /health said: {}. done went back in a sample: {}. Tasks run more than once: {}. "
              + "The job finished {} ms after the kill.",
          id, doneAtKill, TimeUnit.NANOSECONDS.toMillis(killedAt - submittedAt), promotedAfterMs, restartedAfterMs,
          HEALTH_EVERY_MS, TimeUnit.NANOSECONDS.toMillis(longestCommitStallNanos),
          TimeUnit.NANOSECONDS.toMillis(longestStallNanos), downReason, wentBack, reruns,
          TimeUnit.NANOSECONDS.toMillis(finishedAt - killedAt));
    }
  }

  /** Task records of the job the workers' group has committed past. */
  private static long committed(KafkaProbe kafka, String group, String jobId) {
    return Await.result(kafka.admin().listConsumerGroupOffsets(group)).entrySet().stream()
        .filter(entry -> entry.getKey().getTopic().equals(Topics.tasks(jobId)))
        .mapToLong(entry -> entry.getValue().getOffset())
        .sum();
  }

  private static int masterPort(RedisProbe sentinel) {
    Response address = sentinel.send(Command.SENTINEL, "get-master-addr-by-name", MASTER_NAME);
    return address.get(1).toInteger();
  }
}
