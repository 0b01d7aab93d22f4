package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cancel stops a job's tasks at once: a worker holds many fetched tasks of a job at a time (up
 * to its fetch limit), and those not started yet when the job is cancelled are dropped, not run;
 * an http job's requests still waiting for a turn or for their second are not sent. With a slow
 * task type, or one that calls a service, they would go on for minutes after the user said stop.
 * On a Kafka and Redis of its own: its measure, the tasks the node's workers hold, must count this
 * class's jobs alone, not other classes' tasks that a consumer group could fetch from the shared ones.
 */
@DisplayName("A cancelled job's tasks stop running")
class CancelTest {
  private static final int POOL = 4;

  @TempDir
  static Path dataDir;
  private static FanoutUnderTest fanout;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.start(new JsonObject()
        .put(Settings.DATA_DIR, dataDir.toString())
        .put(Settings.WORKER_POOL, POOL)
        .put(Settings.HTTP_TASK_ALLOWED_HOSTS, "127.0.0.1")
        .put(Settings.TASK_TYPES, "tally,http"));
  }

  @AfterAll
  static void stop() {
    fanout.close();
  }

  @Test
  @DisplayName("the tasks a worker holds of a job cancelled before they started are dropped: only those running then finish")
  void heldTasksAreDropped() {
    // 4 threads at 50 ms a task: 80 tasks a second, while a fetch brings hundreds.
    String id = fanout.submit(new JsonObject().put("type", "tally").put("count", 20_000).put("partitions", 1)
        .put("payload", new JsonObject().put("ms", 50)));
    long held = Await.until(() -> Future.succeededFuture(fanout.tasksInFlight()), inFlight -> inFlight > 200,
        Duration.ofSeconds(60));
    assertThat(fanout.delete("/jobs/" + id).statusCode()).isEqualTo(200);
    int runsAtCancel = TallyHandler.runsOf(id).size();

    Await.until(() -> Future.succeededFuture(fanout.tasksInFlight()), inFlight -> inFlight == 0, Duration.ofSeconds(30));
    int runAfter = TallyHandler.runsOf(id).size() - runsAtCancel;
    // Those running when the cancel came finish, and a thread may start one more while the cancel reaches the worker.
    assertThat(runAfter).as("tasks run after the cancel, of %d held", held).isLessThanOrEqualTo(5 * POOL);
    assertThat(fanout.get("/jobs/" + id).bodyAsJsonObject().getString("status")).isEqualTo("cancelled");
  }

  @Test
  @DisplayName("a cancel stops an http job's calls at once: requests waiting for a turn (concurrency) or for their "
      + "second (ratePerSecond) are not sent")
  void httpCallsStop() {
    Vertx vertx = Vertx.vertx();
    AtomicLong requests = new AtomicLong();
    HttpServer service = Await.result(vertx.createHttpServer()
        .requestHandler(request -> {
          requests.incrementAndGet();
          request.response().end("{}");
        })
        .listen(0, "127.0.0.1"));
    try {
      JsonArray items = new JsonArray();
      LongStream.range(0, 1_000).forEach(items::add);
      String id = fanout.submit(new JsonObject().put("type", "http").put("items", items).put("payload", new JsonObject()
          .put("url", "http://127.0.0.1:" + service.actualPort() + "/").put("ratePerSecond", 20).put("concurrency", 4)));
      Await.until(() -> Future.succeededFuture(requests.get()), sent -> sent >= 20, Duration.ofSeconds(60));
      assertThat(fanout.delete("/jobs/" + id).statusCode()).isEqualTo(200);
      long sentAtCancel = requests.get();

      Await.until(() -> Future.succeededFuture(fanout.tasksInFlight()), inFlight -> inFlight == 0,
          Duration.ofSeconds(30));
      // Those posted already finish, and one may pass its last check while the cancel reaches the worker.
      assertThat(requests.get() - sentAtCancel).as("requests sent after the cancel, of 1,000").isLessThanOrEqualTo(10);
    } finally {
      Await.result(vertx.close());
    }
  }
}
