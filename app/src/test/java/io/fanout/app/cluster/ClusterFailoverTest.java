package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.JobTimeline;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.fanout.tools.LocalCluster;
import io.fanout.tools.LocalCluster.Node;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.admin.ConsumerGroupDescription;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.MemberDescription;
import io.vertx.redis.client.Command;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.ConsumerGroupState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three JVMs clustered on loopback (api+progress, worker, worker) on the shared Kafka and Redis.
 * One worker JVM is killed with {@code kill -9} while the job runs: the tasks it held uncommitted
 * must run again on the survivor, and be counted once. Progress is sampled from Redis throughout,
 * and the consumer group watched, so the stall after the kill is measured; it is reported rather
 * than asserted (timing on a shared 2-core machine is no contract).
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Three clustered processes lose no task when a worker process is killed with kill -9")
class ClusterFailoverTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFailoverTest.class);
  private static final int REDIS_DB = 8;
  private static final long TASKS = 50_000;
  private static final int PARTITIONS = 8;
  private static final long KILL_AT = 15_000;
  /** Long enough per task that the fan-out is over well before the job: the kill hits a worker alone. */
  private static final int TASK_MS = 2;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(150);
  private static final Duration GONE_TIMEOUT = Duration.ofSeconds(10);
  private static final long SAMPLE_MS = 20;
  private static final long GROUP_EVERY_MS = 250;

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
    Node api = cluster.startJoined("api", ProcessCluster.httpPorts(), ProcessCluster.READY_TIMEOUT,
        "--roles", "api,progress", "--cluster");
    Node doomed = cluster.startJoined("worker-1", Map.of(), ProcessCluster.READY_TIMEOUT, "--roles", "worker", "--cluster");
    Node survivor = cluster.startJoined("worker-2", Map.of(), ProcessCluster.READY_TIMEOUT, "--roles", "worker", "--cluster");
    NodeApi http = new NodeApi(vertx, api);
    assertThat(nodeIds(http.get("/cluster"))).as("GET /cluster lists the three processes")
        .containsExactlyInAnyOrder(api.id(), doomed.id(), survivor.id());
    // A node is listed once its verticles are up; its consumer joins the group on its first poll.
    String group = doomed.settings().get(Settings.WORKER_GROUP);
    Await.until(() -> group(group), described -> described.getMembers().size() == 2
        && described.getState() == ConsumerGroupState.STABLE, ProcessCluster.READY_TIMEOUT);

    long submittedAt = System.nanoTime();
    String jobId = http.submit(new JsonObject().put("type", "sleep").put("count", TASKS)
        .put("partitions", PARTITIONS).put("payload", new JsonObject().put("ms", TASK_MS)));
    JobTimeline progress = new JobTimeline(redis, jobId);
    JobTimeline.Sample sample;
    do {
      sample = progress.sample();
      Thread.sleep(SAMPLE_MS);
      // The worker alone dies: once every task is in Kafka, no dispatcher lease is in play
      // (DispatcherFailoverTest covers that one).
    } while ((sample.done() < KILL_AT || fanOutRunning(jobId)) && !sample.isFinal() && !late(submittedAt));
    assertThat(sample.isFinal()).as("the job is still running when the worker is killed").isFalse();

    String doomedId = doomed.id();
    List<String> survivorWorkers = workerIds(http.get("/cluster"), survivor.id());
    int heldByDoomed = PARTITIONS - partitionsOf(Await.result(group(group)), survivorWorkers, jobId);
    // Each job's partitions are spread over the workers (PerTopicAssignor): the kill takes some away.
    assertThat(heldByDoomed).as("partitions of the job held by the worker about to be killed").isPositive();
    cluster.kill(doomed);
    long killedAt = System.nanoTime();
    long doneAtKill = progress.sample().done();

    // Until the job ends: its counts every 20 ms; the group and the node list every 250 ms.
    Long takenOverAfterMs = null;
    Long goneAfterMs = null;
    long lastCheck = 0;
    List<String> timeline = new ArrayList<>();
    while (!sample.isFinal()) {
      assertThat(late(submittedAt)).as("the job ends within %s", JOB_TIMEOUT).isFalse();
      Thread.sleep(SAMPLE_MS);
      sample = progress.sample();
      if (sample.nanos() - lastCheck >= GROUP_EVERY_MS * 1_000_000) {
        lastCheck = sample.nanos();
        long elapsedMs = (sample.nanos() - killedAt) / 1_000_000;
        if (takenOverAfterMs == null
            && partitionsOf(Await.result(group(group)), survivorWorkers, jobId) == PARTITIONS) {
          takenOverAfterMs = elapsedMs;
        }
        JsonObject listed = http.get("/cluster");
        if (goneAfterMs == null && !nodeIds(listed).contains(doomedId)) {
          goneAfterMs = elapsedMs;
        }
        if (elapsedMs / 1000 >= timeline.size()) {
          JsonObject figures = workersOf(listed, survivor.id());
          timeline.add(String.format("%.1fs done=%d (survivor: %d done, %d in hand)", elapsedMs / 1000.0,
              sample.done(), figures.getLong("tasksDone"), figures.getLong("inFlight")));
        }
      }
    }
    long finishedAt = System.nanoTime();
    while (goneAfterMs == null && System.nanoTime() - killedAt < GONE_TIMEOUT.toNanos()) {
      if (!nodeIds(http.get("/cluster")).contains(doomedId)) {
        goneAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
      }
      Thread.sleep(SAMPLE_MS);
    }

    assertThat(sample.status()).isEqualTo("completed");
    assertThat(sample.done()).as("done").isEqualTo(TASKS);
    assertThat(sample.failed()).as("failed").isZero();
    assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(jobId)).toLong()).as("tasks with their bit set")
        .isEqualTo(TASKS);
    assertThat(progress.doneWentDown()).as("done went down at some point").isFalse();
    assertThat(progress.samples()).as("samples with done past total")
        .noneMatch(each -> each.done() > TASKS);
    assertThat(goneAfterMs).as("ms until the killed node left GET /cluster (null: not within %s)", GONE_TIMEOUT)
        .isNotNull();
    assertThat(nodeIds(http.get("/cluster"))).contains(api.id(), survivor.id());

    LOG.info("FAILOVER job {}: killed worker-1 (pid {}, {} of {} partitions) at done={}, {} ms after submit, every "
            + "task in Kafka. Longest stall of the job's progress after the kill: {} ms. Its partitions were handed "
            + "to the survivor {} ms after the kill. It left GET /cluster after {} ms. The job finished {} ms after "
            + "the kill, {} ms after submit ({} Redis samples). Each second after the kill: {}",
        jobId, doomed.pid(), heldByDoomed, PARTITIONS, doneAtKill, (killedAt - submittedAt) / 1_000_000,
        progress.longestStallMs(killedAt), takenOverAfterMs, goneAfterMs, (finishedAt - killedAt) / 1_000_000,
        (finishedAt - submittedAt) / 1_000_000, progress.samples().size(), timeline);
  }

  private boolean fanOutRunning(String jobId) {
    return redis.send(Command.ZSCORE, RedisKeys.LEASES, jobId) != null
        || redis.send(Command.HGET, RedisKeys.job(jobId), "produced") == null;
  }

  private Future<ConsumerGroupDescription> group(String group) {
    return admin.describeConsumerGroups(List.of(group)).map(groups -> groups.get(group));
  }

  /** How many of the job's partitions the given worker verticles (consumer client ids) hold. */
  private static int partitionsOf(ConsumerGroupDescription group, List<String> workers, String jobId) {
    int held = 0;
    for (MemberDescription member : group.getMembers()) {
      if (workers.contains(member.getClientId())) {
        held += (int) member.getAssignment().getTopicPartitions().stream()
            .filter(partition -> partition.getTopic().equals(Topics.tasks(jobId)))
            .count();
      }
    }
    return held;
  }

  private static JsonObject workersOf(JsonObject cluster, String nodeId) {
    JsonArray nodes = cluster.getJsonArray("nodes");
    for (int i = 0; i < nodes.size(); i++) {
      if (nodeId.equals(nodes.getJsonObject(i).getString("id"))) {
        return nodes.getJsonObject(i).getJsonObject("workers");
      }
    }
    throw new AssertionError("node " + nodeId + " is not listed: " + nodes.encode());
  }

  /** The ids of a node's worker verticles, which are also their Kafka client ids. */
  private static List<String> workerIds(JsonObject cluster, String nodeId) {
    JsonArray instances = workersOf(cluster, nodeId).getJsonArray("instances");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < instances.size(); i++) {
      ids.add(instances.getJsonObject(i).getString("id"));
    }
    return ids;
  }

  private static List<String> nodeIds(JsonObject cluster) {
    JsonArray nodes = cluster.getJsonArray("nodes");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      ids.add(nodes.getJsonObject(i).getString("id"));
    }
    return ids;
  }

  private static boolean late(long since) {
    return System.nanoTime() - since > JOB_TIMEOUT.toNanos();
  }
}
