package io.fanout.app.express;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small jobs are not stuck behind a big one: while a million-task job runs, hundreds of one-task
 * jobs submitted after it all end before it does.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("One-task jobs finish while a million-task job still runs")
class BigJobIsolationTest {
  private static final long BIG_TASKS = 1_000_000;
  /** {@code -Dexpress.isolation-jobs=50} runs fewer. */
  private static final int SMALL_JOBS = Integer.getInteger("express.isolation-jobs", 500);
  private static final int CLIENTS = 4;
  private static final Duration SMALL_LIMIT = Duration.ofMinutes(4);
  private static final Duration BIG_LIMIT = Duration.ofMinutes(5);

  @TempDir
  static Path dir;
  private static OwnRedisFanout topology;
  private static FanoutUnderTest fanout;

  @BeforeAll
  static void startFanout() {
    topology = OwnRedisFanout.start(dir, "big-job-isolation", new JsonObject());
    fanout = topology.fanout();
  }

  @AfterAll
  static void stopFanout() throws InterruptedException {
    if (topology != null) {
      topology.close();
    }
  }

  @Test
  @DisplayName("500 one-task jobs from 4 clients, submitted while a 1,000,000-task job runs: all completed, "
      + "each once with its digest, while the big job is still running short of its total")
  void smallJobsPassTheBigOne() {
    // Tasks of a millisecond: the big job keeps every thread busy for minutes (a no-op count job
    // of a million tasks ends within seconds here, before the small jobs could prove anything).
    String big = fanout.submit(new JsonObject().put("type", "sleep").put("count", BIG_TASKS)
        .put("payload", new JsonObject().put("ms", 1)));
    Await.until(() -> job(big), job -> "running".equals(job.getString("status")) && job.getLong("done") > 0,
        BIG_LIMIT);

    JsonObject bigWhenSmallEnded;
    try (SmallJobClients clients = new SmallJobClients(fanout.app().vertx(), topology.httpPort(), CLIENTS)) {
      List<SmallJobClients.Submitted> small = clients.submit("beside-big", SMALL_JOBS, SMALL_LIMIT);
      var finals = clients.awaitFinal(small, SMALL_LIMIT);
      // Read right after the last small job was seen final: a job never leaves a final state and
      // done never goes down, so what holds now held at that moment.
      bigWhenSmallEnded = fanout.get("/jobs/" + big).bodyAsJsonObject();
      clients.verify(small, finals, SMALL_LIMIT);
      clients.purge(small, SMALL_LIMIT);
    }

    assertThat(bigWhenSmallEnded.getString("status")).as("the big job when the last small one had ended: %s",
        bigWhenSmallEnded).isEqualTo("running");
    assertThat(bigWhenSmallEnded.getLong("done")).isLessThan(BIG_TASKS);
    // Its end is not what this test is about, and would take minutes: it is cancelled.
    assertThat(fanout.delete("/jobs/" + big).bodyAsJsonObject().getString("status")).isEqualTo("cancelled");
  }

  private static io.vertx.core.Future<JsonObject> job(String id) {
    return fanout.http().get("/jobs/" + id).send().map(HttpResponse::bodyAsJsonObject);
  }
}
