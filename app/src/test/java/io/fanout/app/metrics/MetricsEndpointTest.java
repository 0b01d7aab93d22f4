package io.fanout.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.PrometheusText;
import io.fanout.app.testing.PrometheusText.Family;
import io.fanout.app.testing.PrometheusText.Sample;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.fanout.tools.LocalCluster;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An API process that dispatches but runs no task, and a worker-only child process with a
 * metrics port of its own that runs every task, in a cluster of their own (so the API's progress
 * verticle hears the child's progress): each serves its own meters.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Every process serves Fanout's meters at /metrics for Prometheus")
class MetricsEndpointTest {
  private static final int REDIS_DB = 10;
  private static final long COUNTED = 300;
  private static final long FAILING = 4;
  private static final long LAGGING = 40;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);

  private static FanoutUnderTest api;
  private static ChildFanout worker;
  private static int workerMetricsPort;
  private static JsonObject countJob;
  private static JsonObject failJob;

  @BeforeAll
  static void runJobs() {
    // A cluster of this test's own: another Fanout cluster on this machine must not join it.
    String clusterName = "metrics-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    String clusterPort = Integer.toString(FanoutUnderTest.freePort());
    JsonObject settings = new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.METRICS_REFRESH_MS, 200)
        // The lagging job's tasks go through a topic of its own, whose lag is its alone.
        .put(Settings.SMALL_JOB_TASKS, LAGGING - 1)
        .put(Settings.CLUSTER, true)
        .put(Settings.CLUSTER_NAME, clusterName)
        .put(Settings.CLUSTER_PORT, clusterPort);
    // A lease longer than this loaded machine can take to create a job's topics: the dispatcher
    // then never resumes its own job and writes no task twice, so the figures are exact.
    api = FanoutUnderTest.onSharedBackends(settings.copy().put(Settings.WORKER_INSTANCES, 0)
        .put(Settings.LEASE_MS, 60_000));
    workerMetricsPort = FanoutUnderTest.freePort();
    worker = ChildFanout.start("metrics-worker", LocalCluster.JVM_OPTIONS, List.of("--roles", "worker", "--cluster"), Map.of(
        Settings.CLUSTER_NAME, clusterName,
        Settings.CLUSTER_PORT, clusterPort,
        Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB),
        Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
        Settings.DISPATCH_INSTANCES, "0",
        Settings.METRICS_PORT, Integer.toString(workerMetricsPort),
        Settings.METRICS_REFRESH_MS, "200",
        Settings.RETRY_BASE_MS, "10"));
    worker.awaitLog("joined group", Duration.ofSeconds(60));
    String counted = api.submit(new JsonObject().put("type", "count").put("count", COUNTED));
    String failing = api.submit(new JsonObject().put("type", "fail").put("count", FAILING).put("maxAttempts", 2)
        .put("payload", new JsonObject().put("p", 1.0)));
    countJob = api.awaitFinal(counted, JOB_TIMEOUT);
    failJob = api.awaitFinal(failing, JOB_TIMEOUT);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (worker != null) {
      worker.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  @DisplayName("the worker process counts its tasks, retries and dead letters per type; the API process its dispatches and the jobs by state")
  void metersHoldTheJobsFigures() {
    assertThat(countJob.getString("status")).isEqualTo("completed");
    assertThat(failJob.getString("status")).isEqualTo("failed");
    assertThat(failJob.getLong("failed")).isEqualTo(FAILING);

    // Dead letters are counted once their transaction commits, a moment after the job's end is counted.
    PrometheusText onWorker = scrapeUntil(workerMetricsPort,
        text -> valueOf(text, "fanout_dlq_writes_total", "fail") >= FAILING);
    assertThat(valueOf(onWorker, "fanout_tasks_done_total", "count")).isEqualTo(COUNTED);
    assertThat(valueOf(onWorker, "fanout_tasks_failed_total", "fail")).isEqualTo(FAILING);
    assertThat(valueOf(onWorker, "fanout_task_retries_total", "fail")).as("one retry each, maxAttempts 2")
        .isEqualTo(FAILING);
    assertThat(valueOf(onWorker, "fanout_dlq_writes_total", "fail")).isEqualTo(FAILING);
    assertThat(valueOf(onWorker, "fanout_tasks_done_total", "fail")).isZero();
    assertThat(valueOf(onWorker, "fanout_task_duration_seconds_count", "count")).isEqualTo(COUNTED);
    assertThat(valueOf(onWorker, "fanout_task_duration_seconds_count", "fail")).as("every attempt").isEqualTo(2 * FAILING);
    assertThat(onWorker.hasSampleStartingWith("kafka_consumer_")).as("the worker's Kafka consumer metrics").isTrue();
    assertThat(onWorker.hasSampleStartingWith("kafka_producer_")).as("the worker's Kafka producer metrics").isTrue();
    assertThat(onWorker.hasSampleStartingWith("vertx_redis_")).as("Vert.x's Redis client metrics").isTrue();
    assertThat(onWorker.value("fanout_tasks_produced_total", Map.of())).as("this process dispatches nothing").isEmpty();
    assertThat(onWorker.value("fanout_jobs", Map.of())).as("the API's processes show the cluster-wide gauges").isEmpty();

    PrometheusText onApi = scrapeUntil(api.app().settings().integer(Settings.HTTP_PORT),
        text -> valueOf(text, "fanout_jobs", Map.of("state", "completed")) >= 1
            && valueOf(text, "fanout_jobs", Map.of("state", "failed")) >= 1);
    assertThat(valueOf(onApi, "fanout_tasks_produced_total", "count")).isEqualTo(COUNTED);
    assertThat(valueOf(onApi, "fanout_tasks_produced_total", "fail")).isEqualTo(FAILING);
    assertThat(onApi.value("fanout_tasks_done_total", Map.of())).as("this process runs no task").isEmpty();
    assertThat(valueOf(onApi, "fanout_jobs", Map.of("state", "running"))).isEqualTo(
        valueOf(onApi, "fanout_jobs_active", Map.of()));
    assertThat(onApi.value("fanout_queue_depth", Map.of("queue", "waiting"))).isPresent();
    assertThat(onApi.value("fanout_queue_depth", Map.of("queue", "delayed"))).isPresent();
    assertThat(onApi.hasSampleStartingWith("kafka_producer_")).as("the dispatcher's Kafka producer metrics").isTrue();
    assertThat(onApi.hasSampleStartingWith("vertx_http_server_")).as("Vert.x's HTTP server metrics").isTrue();
    // Every snapshot follows something heard: the ratio says how many updates one snapshot stood for.
    double heard = valueOf(onApi, "fanout_progress_updates_heard_total", Map.of());
    double published = valueOf(onApi, "fanout_progress_snapshots_published_total", Map.of());
    assertThat(published).isPositive();
    assertThat(heard).isGreaterThanOrEqualTo(published);
    assertThat(valueOf(onApi, "fanout_progress_coalescing_ratio", Map.of())).isGreaterThanOrEqualTo(1.0);

    JsonObject node = Await.until(() -> api.http().get("/cluster").send().map(HttpResponse::bodyAsJsonObject),
        cluster -> workerNode(cluster) != null, Duration.ofSeconds(30));
    assertThat(workerNode(node).getJsonObject("ports").getInteger("metrics")).isEqualTo(workerMetricsPort);
  }

  @Test
  @DisplayName("Prometheus's text parser reads the whole exposition, and the task duration histogram has its buckets")
  void expositionParsesWithTheDurationHistogram() {
    PrometheusText parsed = PrometheusText.parse(scrape(workerMetricsPort));

    Family duration = parsed.family("fanout_task_duration_seconds").orElseThrow();
    assertThat(duration.type()).isEqualTo("histogram");
    List<Sample> countBuckets = duration.samples().stream()
        .filter(sample -> sample.name().equals("fanout_task_duration_seconds_bucket")
            && "count".equals(sample.labels().get("type")))
        .toList();
    assertThat(countBuckets).as("a dozen fixed bounds and +Inf").hasSize(13);
    assertThat(countBuckets.get(countBuckets.size() - 1).labels()).containsEntry("le", "+Inf");
    assertThat(countBuckets.get(countBuckets.size() - 1).value()).isEqualTo(COUNTED);
    assertThat(countBuckets).extracting(Sample::value).as("cumulative").isSorted();
    assertThat(parsed.families()).extracting(Family::name)
        .contains("fanout_tasks_done", "fanout_tasks_failed", "fanout_task_retries", "fanout_dlq_writes");

    PrometheusText onApi = PrometheusText.parse(scrape(api.app().settings().integer(Settings.HTTP_PORT)));
    assertThat(onApi.family("fanout_jobs").orElseThrow().type()).isEqualTo("gauge");
    assertThat(onApi.family("fanout_tasks_produced").orElseThrow().type()).isEqualTo("counter");
  }

  @Test
  @DisplayName("a running job's consumer lag is its task records the workers' group has not committed, and its gauge goes when the job ends")
  void consumerLagPerRunningJob() {
    int apiPort = api.app().settings().integer(Settings.HTTP_PORT);
    assertThat(api.post("/workers/pause", new JsonObject()).statusCode()).isEqualTo(200);
    String id;
    try {
      // Its own type, so the other tests' per-type figures do not depend on the order tests run in.
      id = api.submit(new JsonObject().put("type", "sleep").put("count", LAGGING)
          .put("payload", new JsonObject().put("ms", 1)));
      scrapeUntil(apiPort, text -> valueOf(text, "fanout_consumer_lag", Map.of("job_id", id)) == LAGGING);
    } finally {
      assertThat(api.post("/workers/resume", new JsonObject()).statusCode()).isEqualTo(200);
    }
    assertThat(api.awaitFinal(id, JOB_TIMEOUT).getString("status")).isEqualTo("completed");
    scrapeUntil(apiPort, text -> text.value("fanout_consumer_lag", Map.of("job_id", id)).isEmpty());
  }

  private static JsonObject workerNode(JsonObject cluster) {
    return cluster.getJsonArray("nodes").stream().map(JsonObject.class::cast)
        .filter(node -> node.getJsonArray("roles").contains("worker") && !node.getJsonArray("roles").contains("api"))
        .filter(node -> node.getJsonObject("ports").containsKey("metrics"))
        .findFirst().orElse(null);
  }

  private static double valueOf(PrometheusText text, String sample, String type) {
    return valueOf(text, sample, Map.of("type", type));
  }

  private static double valueOf(PrometheusText text, String sample, Map<String, String> labels) {
    return text.value(sample, labels).orElse(-1.0);
  }

  private static PrometheusText scrapeUntil(int port, Predicate<PrometheusText> done) {
    return Await.until(() -> Future.succeededFuture(PrometheusText.parse(scrape(port))), done, Duration.ofSeconds(30));
  }

  private static String scrape(int port) {
    HttpResponse<?> response = Await.result(api.http().get(port, "127.0.0.1", "/metrics").send());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).startsWith("text/plain");
    return response.bodyAsString();
  }
}
