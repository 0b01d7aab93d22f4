package io.fanout.tools;

import io.fanout.core.JobState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * bin/cluster-demo: the compose topology as processes on this machine (backends, api+progress,
 * two workers, all on 127.0.0.1), one job of sleep tasks, and each node's share of it printed
 * every second from {@code GET /cluster}. Everything it started is stopped by PID at the end.
 * Its output is for a person at a terminal, hence plain prints.
 */
public final class ClusterDemo {
  private static final PrintStream OUT = System.out;
  private static final long TICK_MS = 1000;

  private ClusterDemo() {}

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path dir = Files.createTempDirectory("fanout-demo-");
    OUT.printf("Starting Kafka+Redis, an api+progress node and %d worker nodes on 127.0.0.1 (logs in %s)%n",
        options.workers, dir);
    long deadline = System.nanoTime() + Duration.ofSeconds(options.timeoutSeconds).toNanos();
    try (LocalDeployment cluster = LocalDeployment.start(dir, Map.of())) {
      cluster.addWorkers(options.workers);
      Map<Long, String> names = new HashMap<>();
      cluster.workers().forEach(worker -> names.put(worker.pid(), worker.name()));
      names.put(cluster.api().pid(), cluster.api().name());
      printNodes(cluster, names);

      String jobId = cluster.submit(new JsonObject()
          .put("type", "sleep").put("count", options.tasks).put("partitions", options.partitions)
          .put("payload", new JsonObject().put("ms", options.ms)));
      OUT.printf("%nJob %s: %,d sleep tasks of %d ms on %d partitions%n", jobId, options.tasks, options.ms,
          options.partitions);
      JsonObject job = follow(cluster, jobId, names, deadline);
      OUT.printf("%nJob %s %s: done %,d, failed %,d, total %,d%n", jobId, job.getString("status"),
          job.getLong("done"), job.getLong("failed"), job.getLong("total"));
      printShares(cluster, names, job.getLong("total"));
      OUT.printf("GET %s/cluster now answers:%n%s%n", cluster.apiUrl(), cluster.get("/cluster").encodePrettily());
      List<String> stopping = new ArrayList<>(cluster.processes().stream()
          .map(node -> node.name() + " (pid " + node.pid() + ")").toList());
      Collections.reverse(stopping);
      OUT.printf("Stopping %s%n", String.join(", ", stopping));
    }
    OUT.println("Stopped.");
  }

  private static void printNodes(LocalDeployment cluster, Map<Long, String> names) {
    JsonArray nodes = cluster.get("/cluster").getJsonArray("nodes");
    OUT.printf("GET /cluster lists %d nodes:%n", nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      JsonObject node = nodes.getJsonObject(i);
      OUT.printf("  %-9s pid %-7d id %s  roles %-16s ports %s%n",
          names.getOrDefault(node.getLong("pid"), "backends"), node.getLong("pid"), node.getString("id"),
          String.join(",", node.getJsonArray("roles").getList()), node.getJsonObject("ports").encode());
    }
    OUT.printf("The page is at %s/%n", cluster.apiUrl());
  }

  /** One line a second: the job's count, then each worker node's tasks and rate, until the job ends. */
  private static JsonObject follow(LocalDeployment cluster, String jobId, Map<Long, String> names, long deadline)
      throws InterruptedException {
    long started = System.nanoTime();
    while (true) {
      JsonObject job = cluster.get("/jobs/" + jobId);
      StringBuilder line = new StringBuilder(String.format("[%5.1f s] %-9s %,7d / %,d",
          (System.nanoTime() - started) / 1e9, job.getString("status"), job.getLong("done"), job.getLong("total")));
      JsonArray nodes = cluster.get("/cluster").getJsonArray("nodes");
      for (int i = 0; i < nodes.size(); i++) {
        JsonObject node = nodes.getJsonObject(i);
        if (node.getJsonArray("roles").contains("worker")) {
          JsonObject workers = node.getJsonObject("workers");
          line.append(String.format("  | %s: %,7d done, %,6.0f/s, %,5d in flight",
              names.getOrDefault(node.getLong("pid"), node.getString("id")), workers.getLong("tasksDone"),
              workers.getDouble("tasksPerSecond"), workers.getLong("inFlight")));
        }
      }
      OUT.println(line);
      if (JobState.fromWire(job.getString("status")).isFinal()) {
        return job;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the job did not finish in time; see the logs in " + cluster.dir());
      }
      Thread.sleep(TICK_MS);
    }
  }

  /**
   * Each worker node's share of the job, once the heartbeats (every NODE_HEARTBEAT_MS) have caught
   * up with the job's end. A task run twice after a crash counts twice here, never in the job.
   */
  private static void printShares(LocalDeployment cluster, Map<Long, String> names, long total)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    JsonArray nodes;
    long recorded;
    do {
      Thread.sleep(TICK_MS / 4);
      nodes = cluster.get("/cluster").getJsonArray("nodes");
      recorded = 0;
      for (int i = 0; i < nodes.size(); i++) {
        recorded += nodes.getJsonObject(i).getJsonObject("workers").getLong("tasksDone");
      }
    } while (recorded < total && System.nanoTime() < deadline);
    for (int i = 0; i < nodes.size(); i++) {
      JsonObject node = nodes.getJsonObject(i);
      if (node.getJsonArray("roles").contains("worker")) {
        long done = node.getJsonObject("workers").getLong("tasksDone");
        OUT.printf("  %s ran %,d tasks (%.0f %%)%n", names.getOrDefault(node.getLong("pid"), node.getString("id")),
            done, 100.0 * done / total);
      }
    }
  }

  /** The command line: --tasks, --ms, --partitions, --workers, --timeout (seconds). */
  private record Options(int tasks, int ms, int partitions, int workers, int timeoutSeconds) {
    static Options parse(String[] args) {
      Map<String, Integer> values = NumberOptions.parse(args,
          Map.of("--tasks", 30_000, "--ms", 2, "--partitions", 8, "--workers", 2, "--timeout", 300),
          "cluster-demo [--tasks N] [--ms N] [--partitions N] [--workers N] [--timeout SECONDS]");
      return new Options(values.get("--tasks"), values.get("--ms"), values.get("--partitions"),
          values.get("--workers"), values.get("--timeout"));
    }
  }
}
