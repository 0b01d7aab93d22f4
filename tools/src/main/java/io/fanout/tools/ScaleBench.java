package io.fanout.tools;

import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * bin/scale-bench: the same job of I/O-bound {@code sleep} tasks on 1, 2, ... worker processes of
 * one local cluster (a worker process is added before each round), timed from the job's
 * {@code startedAt} to its {@code finishedAt}; prints throughput, speedup and efficiency. A small
 * job before each timed one lets the new worker join the consumer group and warm up.
 */
public final class ScaleBench {
  private static final PrintStream OUT = System.out;
  private static final long POLL_MS = 100;
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(10);

  private ScaleBench() {}

  private record Round(int workers, double seconds, long done) {
    double throughput() {
      return done / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, Integer> options = options(args);
    int tasks = options.get("--tasks");
    int ms = options.get("--ms");
    int partitions = options.get("--partitions");
    int maxWorkers = options.get("--max-workers");
    int pool = options.get("--pool");
    Path dir = Files.createTempDirectory("fanout-bench-");
    OUT.printf("%,d sleep tasks of %d ms, %d partitions, WORKER_POOL=%d per worker process, 1..%d worker processes"
        + " (logs in %s)%n", tasks, ms, partitions, pool, maxWorkers, dir);
    List<Round> rounds = new ArrayList<>();
    try (LocalDeployment cluster = LocalDeployment.start(dir, Map.of(Settings.WORKER_POOL, Integer.toString(pool)))) {
      for (int workers = 1; workers <= maxWorkers; workers++) {
        cluster.addWorkers(1);
        run(cluster, sleepJob(Math.max(100, tasks / 20), ms, partitions));
        JsonObject job = run(cluster, sleepJob(tasks, ms, partitions));
        double seconds = Duration.between(Instant.parse(job.getString("startedAt")),
            Instant.parse(job.getString("finishedAt"))).toMillis() / 1000.0;
        Round round = new Round(workers, seconds, job.getLong("done"));
        rounds.add(round);
        OUT.printf("%d worker process(es): %,d tasks in %.2f s = %,.0f tasks/s%n", workers, round.done(), seconds,
            round.throughput());
      }
    }
    Round base = rounds.get(0);
    OUT.printf("%n| worker processes | time (s) | tasks/s | speedup | efficiency |%n|---|---|---|---|---|%n");
    for (Round round : rounds) {
      double speedup = base.seconds() / round.seconds();
      OUT.printf("| %d | %.2f | %,.0f | %.2f | %.0f %% |%n", round.workers(), round.seconds(), round.throughput(),
          speedup, 100 * speedup / round.workers());
    }
  }

  private static JsonObject sleepJob(int tasks, int ms, int partitions) {
    return new JsonObject().put("type", "sleep").put("count", tasks).put("partitions", partitions)
        .put("payload", new JsonObject().put("ms", ms));
  }

  private static JsonObject run(LocalDeployment cluster, JsonObject body) throws InterruptedException {
    String id = cluster.submit(body);
    long deadline = System.nanoTime() + JOB_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject job = cluster.get("/jobs/" + id);
      if (JobState.fromWire(job.getString("status")).isFinal()) {
        if (!"completed".equals(job.getString("status"))) {
          throw new IllegalStateException("job " + id + " ended " + job.encode());
        }
        return job;
      }
      Thread.sleep(POLL_MS);
    }
    throw new IllegalStateException("job " + id + " did not finish within " + JOB_TIMEOUT);
  }

  private static Map<String, Integer> options(String[] args) {
    return NumberOptions.parse(args,
        Map.of("--tasks", 20_000, "--ms", 10, "--partitions", 12, "--max-workers", 3, "--pool", 8),
        "scale-bench [--tasks N] [--ms N] [--partitions N] [--max-workers N] [--pool N]");
  }
}
