package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.fanout.worker.WorkerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("Workers hand partitions over without running a task twice")
class RebalanceDrainTest {
  private static final int REDIS_DB = 12;
  private static final int TOTAL = 600;

  @Test
  @DisplayName("a worker joining mid-job, then the first one stopping: every task runs exactly once")
  void partitionsChangeHandsCleanly() {
    JsonObject settings = new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.WORKER_INSTANCES, 0)
        .put(Settings.WORKER_POOL, 4)
        .put(Settings.TASK_TYPES, "tally");
    try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(settings)) {
      DeploymentOptions worker = new DeploymentOptions().setConfig(fanout.app().settings().asJson());
      String first = Await.result(fanout.app().vertx().deployVerticle(new WorkerVerticle(), worker));
      String id = fanout.submit(new JsonObject().put("type", "tally").put("count", TOTAL).put("partitions", 8)
          .put("payload", new JsonObject().put("ms", 80)));
      awaitDone(fanout, id, TOTAL / 10);

      // A second worker joins: the first gives up half its partitions in the rebalance. Its
      // running tasks finish and are committed first; the ones it had not started move over.
      Set<String> before = Await.until(() -> Future.succeededFuture(workerIds(fanout)), ids -> !ids.isEmpty(),
          Duration.ofSeconds(10));
      Await.result(fanout.app().vertx().deployVerticle(new WorkerVerticle(), worker));
      Await.until(() -> Future.succeededFuture(figures(fanout)), figures -> figures.entrySet().stream()
          .anyMatch(entry -> !before.contains(entry.getKey()) && entry.getValue().getLong("tasksDone") > 0),
          Duration.ofSeconds(60));

      // Then the first worker stops: it finishes what it holds and commits it before leaving.
      long doneAtStop = awaitDone(fanout, id, job(fanout, id).getLong("done") + TOTAL / 20);
      assertThat(doneAtStop).as("tasks left when the first worker stops").isLessThan(TOTAL);
      Await.result(fanout.app().vertx().undeploy(first));

      JsonObject job = fanout.awaitFinal(id, Duration.ofSeconds(120));
      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(TOTAL);
      Map<Long, AtomicInteger> runs = TallyHandler.runsOf(id);

      assertThat(runs).hasSize(TOTAL);
      assertThat(runs.entrySet().stream().filter(run -> run.getValue().get() != 1).map(Map.Entry::getKey).sorted())
          .as("tasks that did not run exactly once").isEmpty();
      try (KafkaProbe kafka = new KafkaProbe(fanout.app())) {
        assertThat(kafka.logRecords(id)).isEqualTo(TOTAL + 1);
      }
    }
  }

  private static long awaitDone(FanoutUnderTest fanout, String id, long atLeast) {
    return Await.until(() -> Future.succeededFuture(job(fanout, id)), job -> job.getLong("done") >= atLeast,
        Duration.ofSeconds(60)).getLong("done");
  }

  private static JsonObject job(FanoutUnderTest fanout, String id) {
    return fanout.get("/jobs/" + id).bodyAsJsonObject();
  }

  private static LocalMap<String, JsonObject> figures(FanoutUnderTest fanout) {
    return fanout.app().vertx().sharedData().getLocalMap(Addresses.WORKER_FIGURES_MAP);
  }

  private static Set<String> workerIds(FanoutUnderTest fanout) {
    return Set.copyOf(figures(fanout).keySet());
  }
}
