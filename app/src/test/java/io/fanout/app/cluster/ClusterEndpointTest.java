package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.NodeRegistry;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * GET /cluster without Hazelcast: processes that share a Redis list each other through their
 * heartbeats, a clean stop leaves the list at once, and a silent node drops out when its
 * heartbeat expires.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("GET /cluster lists every node that heartbeats into the shared Redis, clustered or not")
class ClusterEndpointTest {
  private static final int REDIS_DB = 10;
  private static final Duration FIGURES_TIMEOUT = Duration.ofSeconds(10);

  @Test
  @DisplayName("two standalone processes are listed with roles, ports and worker figures; a stopped one leaves at once")
  void standaloneNodesAreListed() {
    JsonObject shared = new JsonObject().put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB));
    try (FanoutUnderTest full = FanoutUnderTest.onSharedBackends(shared.copy());
        RedisProbe redis = new RedisProbe(full.app().vertx(), SharedBackends.redisUrl(REDIS_DB))) {
      FanoutUnderTest workerOnly = FanoutUnderTest.onSharedBackends(shared.copy()
          .put(Settings.ROLES, "worker").put(Settings.WORKER_INSTANCES, 2));
      String fullId = full.app().settings().string(Settings.NODE_ID);
      String workerId = workerOnly.app().settings().string(Settings.NODE_ID);
      try {
        JsonObject cluster = full.get("/cluster").bodyAsJsonObject();
        assertThat(cluster.getString("self")).isEqualTo(fullId);
        JsonObject fullNode = node(cluster, fullId);
        assertThat(fullNode.getJsonArray("roles").getList()).containsExactly("api", "worker", "progress");
        assertThat(fullNode.getBoolean("clustered")).isFalse();
        assertThat(fullNode.getLong("pid")).isEqualTo(ProcessHandle.current().pid());
        assertThat(fullNode.getJsonObject("ports").getInteger("http"))
            .isEqualTo(full.app().settings().integer(Settings.HTTP_PORT));
        assertThat(fullNode.getJsonObject("ports").getInteger("progress"))
            .isEqualTo(full.app().settings().integer(Settings.PROGRESS_PORT));
        assertThat(node(cluster, workerId).getJsonArray("roles").getList()).containsExactly("worker");
        assertThat(node(cluster, workerId).getJsonObject("ports").containsKey("http")).isFalse();

        // Not clustered: the job's lifecycle event stays on the bus of whichever process ends it.
        JsonObject job = full.awaitFinal(full.submit(new JsonObject().put("type", "count").put("count", 4000)),
            FIGURES_TIMEOUT);
        assertThat(job.getLong("done")).isEqualTo(4000L);
        // Each worker counts what it recorded; re-runs would count twice here, never in the job.
        JsonObject figures = Await.until(() -> full.http().get("/cluster").send().map(r -> r.bodyAsJsonObject()),
            listed -> tasksDone(listed, fullId) + tasksDone(listed, workerId) >= 4000, FIGURES_TIMEOUT);
        JsonObject workers = node(figures, workerId).getJsonObject("workers");
        assertThat(workers.getJsonArray("instances")).hasSize(2);
        assertThat(workers.getLong("pool")).isEqualTo(2L * full.app().settings().integer(Settings.WORKER_POOL));
      } finally {
        workerOnly.close();
      }
      assertThat(ids(full.get("/cluster").bodyAsJsonObject())).containsExactly(fullId);
      assertThat(redis.send(Command.EXISTS, RedisKeys.node(workerId)).toLong()).isZero();
    }
  }

  @Test
  @DisplayName("a node that stops heartbeating drops out of the list when its heartbeat expires")
  void silentNodeExpires() {
    try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB)).put(Settings.ROLES, "api"));
        RedisProbe redis = new RedisProbe(fanout.app().vertx(), SharedBackends.redisUrl(REDIS_DB))) {
      Redis client = Redis.createClient(fanout.app().vertx(), SharedBackends.redisUrl(REDIS_DB));
      NodeRegistry registry = new NodeRegistry(client, 300);
      JsonObject ghost = new JsonObject().put("id", "ghost").put("roles", new JsonArray().add("worker"));
      Await.result(registry.heartbeat("ghost", System.currentTimeMillis(), ghost));
      assertThat(ids(fanout.get("/cluster").bodyAsJsonObject())).contains("ghost");

      Await.until(() -> registry.nodes(), nodes -> nodes.stream().noneMatch(n -> "ghost".equals(n.getString("id"))),
          Duration.ofSeconds(5));
      assertThat(ids(fanout.get("/cluster").bodyAsJsonObject())).doesNotContain("ghost")
          .contains(fanout.app().settings().string(Settings.NODE_ID));
      assertThat(redis.send(Command.ZSCORE, RedisKeys.NODES, "ghost")).as("its entry in the index").isNull();
      client.close();
    }
  }

  private static JsonObject node(JsonObject cluster, String id) {
    JsonArray nodes = cluster.getJsonArray("nodes");
    for (int i = 0; i < nodes.size(); i++) {
      if (id.equals(nodes.getJsonObject(i).getString("id"))) {
        return nodes.getJsonObject(i);
      }
    }
    throw new AssertionError("node " + id + " is not listed: " + nodes.encode());
  }

  private static long tasksDone(JsonObject cluster, String id) {
    return node(cluster, id).getJsonObject("workers").getLong("tasksDone");
  }

  private static List<String> ids(JsonObject cluster) {
    JsonArray nodes = cluster.getJsonArray("nodes");
    return nodes.stream().map(node -> ((JsonObject) node).getString("id")).toList();
  }
}
