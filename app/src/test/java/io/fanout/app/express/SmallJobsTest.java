package io.fanout.app.express;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many users each submitting one-task jobs at once: every job runs to its end with the right
 * result, counted and logged once. Only the contract is checked, never how fast: the benchmark's
 * {@code single} scenario measures that.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Thousands of one-task jobs from concurrent clients each complete once, with the right result")
class SmallJobsTest {
  /** {@code -Dexpress.small-jobs=200} runs fewer, where one-task jobs are slow to run. */
  static final int JOBS = Integer.getInteger("express.small-jobs", 2_000);
  static final int CLIENTS = 16;
  /**
   * Generous, for each phase: where every one-task job makes its own topics, on a loaded machine,
   * 2,000 of them take about 8 minutes.
   */
  static final Duration RUN_LIMIT = Duration.ofMinutes(12);

  @TempDir
  static Path dir;
  private static OwnRedisFanout topology;

  @BeforeAll
  static void startFanout() {
    topology = OwnRedisFanout.start(dir, "small-jobs", new JsonObject());
  }

  @AfterAll
  static void stopFanout() throws InterruptedException {
    if (topology != null) {
      topology.close();
    }
  }

  @Test
  @DisplayName("2,000 one-task sha256 jobs from 16 clients: each completed, done 1, failed 0, the digest of its "
      + "input, one task record in its log")
  void everySmallJobCompletesOnce() {
    FanoutUnderTest fanout = topology.fanout();
    try (SmallJobClients clients = new SmallJobClients(fanout.app().vertx(), topology.httpPort(), CLIENTS)) {
      List<SmallJobClients.Submitted> jobs = clients.submit("small", JOBS, RUN_LIMIT);
      assertThat(jobs).extracting(SmallJobClients.Submitted::id).hasSize(JOBS).doesNotHaveDuplicates();

      var finals = clients.awaitFinal(jobs, RUN_LIMIT);
      List<SmallJobClients.Checked> checked = clients.verify(jobs, finals, RUN_LIMIT);

      assertThat(checked).hasSize(JOBS);
      JsonObject stats = fanout.get("/stats").bodyAsJsonObject();
      assertThat(Map.of("completed", stats.getLong("completed"), "failed", stats.getLong("failed")))
          .as("/stats of this test's Redis").isEqualTo(Map.of("completed", (long) JOBS, "failed", 0L));
      clients.purge(jobs, RUN_LIMIT);
    }
  }
}
