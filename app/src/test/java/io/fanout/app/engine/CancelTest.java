package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A cancel stops a job's tasks at once: a worker holds many fetched tasks of a job at a time (up
 * to its fetch limit), and those not started yet when the job is cancelled are dropped, not run.
 * With a slow task type, or one that calls a service, running them would go on for minutes after
 * the user said stop.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("A cancelled job's tasks stop running")
class CancelTest {
  private static final int REDIS_DB = 2;
  private static final int POOL = 4;

  @Test
  @DisplayName("the tasks a worker holds of a job cancelled before they started are dropped: only those running then finish")
  void heldTasksAreDropped() {
    JsonObject settings = new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.WORKER_POOL, POOL)
        .put(Settings.TASK_TYPES, "tally");
    try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(settings)) {
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
  }
}
