package io.fanout.tools;

import io.fanout.core.Settings;
import io.fanout.tools.LocalCluster.Node;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The docker-compose topology as processes on this machine, all bound to 127.0.0.1: one process
 * with the embedded Kafka and Redis (role backends), one clustered api+progress node, and any
 * number of clustered worker nodes. bin/cluster-demo and bin/scale-bench drive it.
 */
final class LocalDeployment implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(10);
  private static final String LOOPBACK = "127.0.0.1";

  private final LocalCluster processes;
  private final Node api;
  private final Map<String, String> workerSettings;
  private final List<Node> workers = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(HTTP_TIMEOUT).build();

  private LocalDeployment(LocalCluster processes, Node api, Map<String, String> workerSettings) {
    this.processes = processes;
    this.api = api;
    this.workerSettings = workerSettings;
  }

  /** Backends, then the api+progress node; {@code nodeSettings} go to every Fanout node. */
  static LocalDeployment start(Path dir, Map<String, String> nodeSettings) {
    int kafkaPort = LocalCluster.freePort();
    int redisPort = LocalCluster.freePort();
    Map<String, String> shared = new LinkedHashMap<>();
    shared.put(Settings.HTTP_HOST, LOOPBACK);
    shared.put(Settings.CLUSTER_HOST, LOOPBACK);
    LocalCluster processes = new LocalCluster(dir, shared, LocalCluster.JVM_OPTIONS);
    try {
      processes.awaitReady(processes.start("backends", Map.of(
          Settings.DATA_DIR, dir.resolve("data").toString(),
          Settings.EMBEDDED_KAFKA_PORT, Integer.toString(kafkaPort),
          Settings.EMBEDDED_REDIS_PORT, Integer.toString(redisPort)), "--roles", "backends"), READY_TIMEOUT);
      Map<String, String> node = new LinkedHashMap<>(nodeSettings);
      node.put(Settings.KAFKA_BOOTSTRAP_SERVERS, LOOPBACK + ":" + kafkaPort);
      node.put(Settings.REDIS_URL, "redis://" + LOOPBACK + ":" + redisPort);
      // A cluster of its own: its name and first port keep it apart from any other on this machine.
      node.put(Settings.CLUSTER_NAME, "fanout-local-" + ProcessHandle.current().pid());
      node.put(Settings.CLUSTER_PORT, Integer.toString(LocalCluster.freePort()));
      Map<String, String> apiNode = new LinkedHashMap<>(node);
      apiNode.put(Settings.HTTP_PORT, Integer.toString(LocalCluster.freePort()));
      apiNode.put(Settings.PROGRESS_PORT, Integer.toString(LocalCluster.freePort()));
      Node api = processes.startJoined("api", apiNode, READY_TIMEOUT, "--roles", "api,progress", "--cluster");
      return new LocalDeployment(processes, api, node);
    } catch (RuntimeException e) {
      processes.close();
      throw e;
    }
  }

  /** Starts {@code count} more worker nodes, each listed before the next starts ({@link LocalCluster#startJoined}). */
  List<Node> addWorkers(int count) {
    List<Node> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(processes.startJoined("worker-" + (workers.size() + started.size() + 1), workerSettings,
          READY_TIMEOUT, "--roles", "worker", "--cluster"));
    }
    workers.addAll(started);
    return started;
  }

  /** Every process still running, in the order they started. */
  List<Node> processes() {
    return processes.nodes();
  }

  List<Node> workers() {
    return List.copyOf(workers);
  }

  Node api() {
    return api;
  }

  Path dir() {
    return processes.dir();
  }

  String apiUrl() {
    return "http://" + LOOPBACK + ":" + api.port(Settings.HTTP_PORT);
  }

  /** Submits a job and returns its id. */
  String submit(JsonObject job) {
    HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(apiUrl() + "/jobs"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(job.encode())));
    if (response.statusCode() != 202) {
      throw new IllegalStateException("job refused: " + response.statusCode() + " " + response.body());
    }
    return new JsonObject(response.body()).getString("jobId");
  }

  JsonObject get(String path) {
    HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(apiUrl() + path)).GET());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + " answered " + response.statusCode() + " " + response.body());
    }
    return new JsonObject(response.body());
  }

  /** Stops every process, then drops the backends' data; the logs stay for a look afterwards. */
  @Override
  public void close() {
    processes.close();
    Path data = processes.dir().resolve("data");
    if (processes.nodes().isEmpty() && Files.isDirectory(data)) {
      try (Stream<Path> files = Files.walk(data)) {
        files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + data, e);
      }
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(HTTP_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
