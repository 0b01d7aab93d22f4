package io.fanout.app.express;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-task jobs run by two worker processes, one of which is killed with SIGKILL while the jobs
 * run: the survivor runs what the dead one held, and each job still completes once, with one log
 * record. The test's own process serves the API and dispatches, and runs no task.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("One-task jobs survive a worker process killed among them")
class SmallJobsWorkerCrashTest {
  private static final Logger LOG = LoggerFactory.getLogger(SmallJobsWorkerCrashTest.class);
  private static final Duration START_LIMIT = Duration.ofSeconds(60);
  /**
   * Killed as soon as it has run a task: it holds part of the jobs, and most are still to run. (How
   * the jobs spread over the two workers is Kafka's choice: waiting for more could wait past the end.)
   */
  private static final int TASKS_BEFORE_KILL = 1;
  private static final Pattern SHA256_TASKS_DONE =
      Pattern.compile("^fanout_tasks_done_total\\{[^}]*type=\"sha256\"[^}]*} ([0-9.eE+]+)$", Pattern.MULTILINE);

  @TempDir
  static Path dir;
  private static OwnRedisFanout topology;
  private static FanoutUnderTest api;
  private static ChildFanout survivor;
  private static ChildFanout doomed;
  private static int doomedMetricsPort;

  @BeforeAll
  static void startProcesses() {
    // The API and the dispatcher; the tasks run in the worker processes alone.
    topology = OwnRedisFanout.start(dir, "small-jobs-crash", new JsonObject().put(Settings.WORKER_INSTANCES, 0));
    api = topology.fanout();
    String redisUrl = topology.redisUrl();
    survivor = worker("small-jobs-survivor", redisUrl, FanoutUnderTest.freePort());
    doomedMetricsPort = FanoutUnderTest.freePort();
    doomed = worker("small-jobs-doomed", redisUrl, doomedMetricsPort);
    survivor.awaitLog("joined group", START_LIMIT);
    doomed.awaitLog("joined group", START_LIMIT);
    // The process opens /metrics after its worker joined: the kill is timed by what it shows there.
    doomed.awaitLog("Metrics for Prometheus at http://127.0.0.1:" + doomedMetricsPort, START_LIMIT);
  }

  private static ChildFanout worker(String name, String redisUrl, int metricsPort) {
    return ChildFanout.start(name, List.of("-Xmx256m"), List.of("--roles", "worker"), Map.of(
        Settings.REDIS_URL, redisUrl,
        Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
        Settings.DISPATCH_INSTANCES, "0",
        Settings.METRICS_PORT, Integer.toString(metricsPort)));
  }

  @AfterAll
  static void stopProcesses() throws InterruptedException {
    for (ChildFanout child : new ChildFanout[] {doomed, survivor}) {
      if (child != null) {
        child.close();
      }
    }
    if (topology != null) {
      topology.close();
    }
  }

  @Test
  @DisplayName("2,000 one-task sha256 jobs from 16 clients, one of two workers killed by SIGKILL once it has run "
      + "some: each job completed, done 1, failed 0, its digest, one task record in its log")
  void everySmallJobCompletesOnceThroughACrash() throws Exception {
    String doomedWorker = doomed.workerId();
    String survivingWorker = survivor.workerId();
    try (SmallJobClients clients = new SmallJobClients(api.app().vertx(), topology.httpPort(), SmallJobsTest.CLIENTS)) {
      CompletableFuture<List<SmallJobClients.Submitted>> submitting = CompletableFuture.supplyAsync(
          () -> clients.submit("crash", SmallJobsTest.JOBS, SmallJobsTest.RUN_LIMIT));

      // Killed once it has run some of the jobs' tasks, which it may not have committed yet.
      Await.until(() -> scrapeDoomed().map(SmallJobsWorkerCrashTest::sha256TasksDone),
          done -> done >= TASKS_BEFORE_KILL, SmallJobsTest.RUN_LIMIT);
      doomed.kill();
      long completedAtKill = api.get("/stats").bodyAsJsonObject().getLong("completed");
      LOG.info("Killed worker {} with {} of {} jobs completed", doomedWorker, completedAtKill, SmallJobsTest.JOBS);
      assertThat(completedAtKill).as("jobs completed when the worker was killed").isLessThan(SmallJobsTest.JOBS);

      List<SmallJobClients.Submitted> jobs = submitting.get();
      assertThat(jobs).extracting(SmallJobClients.Submitted::id).hasSize(SmallJobsTest.JOBS).doesNotHaveDuplicates();
      var finals = clients.awaitFinal(jobs, SmallJobsTest.RUN_LIMIT);
      List<SmallJobClients.Checked> checked = clients.verify(jobs, finals, SmallJobsTest.RUN_LIMIT);

      assertThat(checked).hasSize(SmallJobsTest.JOBS);
      Map<String, Long> loggedBy = checked.stream()
          .collect(Collectors.groupingBy(SmallJobClients.Checked::worker, Collectors.counting()));
      LOG.info("Tasks logged per worker: {}", loggedBy);
      // The killed worker may have died before committing any of what it ran: then the survivor logged it all.
      assertThat(loggedBy.keySet()).as("workers that logged tasks").contains(survivingWorker)
          .isSubsetOf(doomedWorker, survivingWorker);
      JsonObject stats = api.get("/stats").bodyAsJsonObject();
      assertThat(Map.of("completed", stats.getLong("completed"), "failed", stats.getLong("failed")))
          .isEqualTo(Map.of("completed", (long) SmallJobsTest.JOBS, "failed", 0L));
      clients.purge(jobs, SmallJobsTest.RUN_LIMIT);
    }
  }

  private static Future<String> scrapeDoomed() {
    return api.http().get(doomedMetricsPort, "127.0.0.1", "/metrics").send().map(HttpResponse::bodyAsString);
  }

  /** The doomed process's count of sha256 tasks run; 0 before it ran any (the counter appears with the first). */
  private static double sha256TasksDone(String exposition) {
    Matcher done = SHA256_TASKS_DONE.matcher(exposition);
    return done.find() ? Double.parseDouble(done.group(1)) : 0;
  }
}
