package io.fanout.app.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.Fanout;
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
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Fanout services of docker-compose.yml, each replica a process on this machine, started in
 * depends_on order with the command and the variables the file gives them. Only what tells
 * containers apart is changed: addresses and ports, which here are loopback and free ports.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The docker-compose topology runs as processes on one machine")
class ClusterComposeTopologyTest {
  private static final int REDIS_DB = 11;
  private static final long TASKS = 3000;
  /** Settings that name hosts, files or ports of a container; the processes get their own. */
  private static final Set<String> ADDRESSES = Set.of(Settings.KAFKA_BOOTSTRAP_SERVERS, Settings.REDIS_URL,
      Settings.HTTP_HOST, Settings.CLUSTER_HOST, Settings.CLUSTER_MEMBERS, Settings.NODE_HEARTBEAT_FILE);
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(15);

  private final ComposeFile compose = ComposeFile.load();
  private Vertx vertx;
  private LocalCluster cluster;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    cluster = ProcessCluster.onSharedBackends("compose", REDIS_DB);
    try (RedisProbe redis = new RedisProbe(vertx, SharedBackends.redisUrl(REDIS_DB))) {
      redis.flush();
    }
  }

  @AfterEach
  void stop() {
    cluster.close();
    Await.result(vertx.close());
  }

  @Test
  @DisplayName("its services form one cluster that runs a job, passes the file's health checks and serves progress")
  void composeServicesAsProcesses() throws Exception {
    Map<String, List<Node>> byService = startInDependencyOrder();
    assertThat(byService.get("worker")).hasSize(compose.replicas("worker"));
    Node apiNode = byService.get("api").get(0);
    NodeApi api = new NodeApi(vertx, apiNode);

    JsonArray listed = api.get("/cluster").getJsonArray("nodes");
    Map<String, Object> rolesById = new HashMap<>();
    for (int i = 0; i < listed.size(); i++) {
      rolesById.put(listed.getJsonObject(i).getString("id"), listed.getJsonObject(i).getJsonArray("roles"));
    }
    byService.forEach((service, nodes) -> nodes.forEach(node -> assertThat(rolesById.get(node.id()))
        .as("%s is listed with the roles of its command", node.name())
        .isEqualTo(new JsonArray(List.of(Fanout.parse(compose.command(service).toArray(String[]::new))
            .getString(Settings.ROLES).split(","))))));
    assertThat(listed).hasSize(byService.values().stream().mapToInt(List::size).sum());

    String jobId = api.submit(new JsonObject().put("type", "count").put("count", TASKS));
    JsonObject job = api.awaitFinal(jobId, JOB_TIMEOUT);
    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).isEqualTo(TASKS);

    for (Map.Entry<String, List<Node>> service : byService.entrySet()) {
      for (Node node : service.getValue()) {
        assertThat(runHealthcheck(service.getKey(), node)).as("the health check of %s passes", node.name()).isZero();
      }
    }

    Node progress = byService.get("progress").get(0);
    try (SockJsBridgeClient browser = SockJsBridgeClient.connect(vertx, progress.port(Settings.PROGRESS_PORT))) {
      browser.register(Addresses.progress(jobId));
      JsonObject snapshot = browser.nextBody(Duration.ofSeconds(5));
      assertThat(snapshot.getString("status")).isEqualTo("completed");
      assertThat(snapshot.getLong("done")).isEqualTo(TASKS);
    }
  }

  /**
   * Waves of services whose dependencies are up, one replica after another: on one machine, members
   * started at the same moment can wait minutes for one another ({@link LocalCluster#startJoined}).
   * Containers do not meet that, each with its own address and the file's port.
   */
  private Map<String, List<Node>> startInDependencyOrder() {
    Map<String, List<Node>> started = new LinkedHashMap<>();
    List<String> pending = new ArrayList<>(compose.fanoutServices());
    while (!pending.isEmpty()) {
      List<String> wave = pending.stream()
          .filter(service -> compose.dependsOn(service).stream()
              .allMatch(dependency -> started.containsKey(dependency) || !pending.contains(dependency)))
          .toList();
      assertThat(wave).as("services %s can start (no dependency cycle)", pending).isNotEmpty();
      for (String service : wave) {
        List<Node> replicas = new ArrayList<>();
        for (int i = 1; i <= compose.replicas(service); i++) {
          replicas.add(cluster.startJoined(service + "-" + i, onThisMachine(service), ProcessCluster.READY_TIMEOUT,
              compose.command(service).toArray(String[]::new)));
        }
        started.put(service, replicas);
      }
      pending.removeAll(wave);
    }
    return started;
  }

  /** The service's variables as the file sets them, but for addresses; free ports for its listeners. */
  private Map<String, String> onThisMachine(String service) {
    Map<String, String> settings = new LinkedHashMap<>(compose.environment(service));
    settings.keySet().removeAll(ADDRESSES);
    settings.putAll(ProcessCluster.httpPorts());
    return settings;
  }

  /** The file's health check, pointed at this process's ports and heartbeat file. */
  private int runHealthcheck(String service, Node node) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    for (String part : compose.healthcheck(service)) {
      command.add(part
          .replace("$$", "$")
          .replace(":" + 8080 + "/", ":" + node.port(Settings.HTTP_PORT) + "/")
          .replace(":" + 8081 + "/", ":" + node.port(Settings.PROGRESS_PORT) + "/")
          .replace(compose.environment("worker").get(Settings.NODE_HEARTBEAT_FILE), node.heartbeatFile().toString()));
    }
    ProcessBuilder check = compose.healthcheckIsShell(service)
        ? new ProcessBuilder("sh", "-c", String.join(" ", command))
        : new ProcessBuilder(command);
    Process process = check.redirectErrorStream(true).start();
    if (!process.waitFor(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the health check of " + node.name() + " did not end within " + CHECK_TIMEOUT);
    }
    return process.exitValue();
  }
}
