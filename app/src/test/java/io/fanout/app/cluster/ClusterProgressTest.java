package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.fanout.tools.LocalCluster;
import io.fanout.tools.LocalCluster.Node;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two JVMs clustered on loopback: node A runs the API and a progress bridge but no worker, node B
 * runs the workers and a bridge of its own. A browser on A sees the progress of tasks that only B
 * processes; once A is gone, a browser that subscribes at B is given the job's state at once and
 * follows it to the end, with nothing moving back.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Progress crosses processes: a browser on one node follows tasks run on another, and resumes on it")
class ClusterProgressTest {
  private static final int REDIS_DB = 9;
  private static final long TASKS = 12_000;
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);

  private Vertx vertx;
  private LocalCluster cluster;
  private RedisProbe redis;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    cluster = ProcessCluster.onSharedBackends("progress", REDIS_DB);
    redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB));
    redis.flush();
  }

  @AfterEach
  void stop() {
    cluster.close();
    redis.close();
    Await.result(vertx.close());
  }

  @Test
  @DisplayName("a SockJS client on node A sees progress of tasks processed on node B, then gets a snapshot at B once A is stopped")
  void progressFollowsTheBrowserAcrossNodes() throws InterruptedException {
    Node a = cluster.startJoined("node-a", ProcessCluster.httpPorts(), ProcessCluster.READY_TIMEOUT,
        "--roles", "api,progress", "--cluster");
    Node b = cluster.startJoined("node-b", ProcessCluster.httpPorts(), ProcessCluster.READY_TIMEOUT,
        "--roles", "worker,progress", "--cluster");
    NodeApi api = new NodeApi(vertx, a);
    assertThat(roles(api, a.id())).as("node A runs no worker").containsExactly("api", "progress");
    assertThat(roles(api, b.id())).containsExactly("worker", "progress");

    String jobId = api.submit(new JsonObject().put("type", "sleep").put("count", TASKS)
        .put("payload", new JsonObject().put("ms", 2)));
    List<JsonObject> seenOnA = new ArrayList<>();
    try (SockJsBridgeClient browserOnA = SockJsBridgeClient.connect(vertx, a.port(Settings.PROGRESS_PORT))) {
      browserOnA.register(Addresses.progress(jobId));
      // Until the tasks run on B have visibly moved the bar on A, twice.
      while (seenOnA.size() < 3 || last(seenOnA).getLong("done") == 0) {
        seenOnA.add(browserOnA.nextBody(FRAME_TIMEOUT));
      }
    }
    assertThat(last(seenOnA).getLong("done")).as("progress seen on A").isGreaterThan(seenOnA.get(0).getLong("done"));
    // Figures are as fresh as the node's last heartbeat (NODE_HEARTBEAT_MS).
    Await.until(() -> api.fetch("/cluster").map(listed -> node(listed, b.id()).getJsonObject("workers")),
        workersOfB -> workersOfB.getLong("tasksDone") > 0, Duration.ofSeconds(5));

    cluster.stop(a);
    try (SockJsBridgeClient browserOnB = SockJsBridgeClient.connect(vertx, b.port(Settings.PROGRESS_PORT))) {
      browserOnB.register(Addresses.progress(jobId));
      JsonObject first = browserOnB.nextBody(SNAPSHOT_TIMEOUT);
      assertThat(first.getString("jobId")).isEqualTo(jobId);
      assertThat(first.getLong("total")).isEqualTo(TASKS);
      assertThat(first.getLong("done")).as("what B shows first is not behind what A showed")
          .isGreaterThanOrEqualTo(last(seenOnA).getLong("done"));
      List<JsonObject> seenOnB = new ArrayList<>(List.of(first));
      long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
      while (!"completed".equals(last(seenOnB).getString("status")) && System.nanoTime() < deadline) {
        seenOnB.add(browserOnB.nextBody(FRAME_TIMEOUT));
      }
      assertThat(last(seenOnB).getString("status")).isEqualTo("completed");
      assertThat(last(seenOnB).getLong("done")).isEqualTo(TASKS);
      for (int i = 1; i < seenOnB.size(); i++) {
        assertThat(seenOnB.get(i).getLong("done")).as("done never moves back")
            .isGreaterThanOrEqualTo(seenOnB.get(i - 1).getLong("done"));
      }
    }
    // The job is over, so no progress is published any more: what a new subscriber gets is the snapshot.
    try (SockJsBridgeClient lateBrowserOnB = SockJsBridgeClient.connect(vertx, b.port(Settings.PROGRESS_PORT))) {
      lateBrowserOnB.register(Addresses.progress(jobId));
      JsonObject snapshot = lateBrowserOnB.nextBody(SNAPSHOT_TIMEOUT);
      assertThat(snapshot.getString("status")).isEqualTo("completed");
      assertThat(snapshot.getLong("done")).isEqualTo(TASKS);
    }
  }

  private static JsonObject node(JsonObject cluster, String id) {
    JsonArray nodes = cluster.getJsonArray("nodes");
    for (int i = 0; i < nodes.size(); i++) {
      if (id.equals(nodes.getJsonObject(i).getString("id"))) {
        return nodes.getJsonObject(i);
      }
    }
    throw new AssertionError("node " + id + " is not in GET /cluster: " + nodes.encode());
  }

  private static List<Object> roles(NodeApi api, String id) {
    return node(api.get("/cluster"), id).getJsonArray("roles").getList();
  }

  private static JsonObject last(List<JsonObject> seen) {
    return seen.get(seen.size() - 1);
  }
}
