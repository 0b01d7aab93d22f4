package io.fanout.worker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;

class TaskRunnerBackoffTest {
  private final TaskRunner runner = new TaskRunner(null, null, 1, null, jobId -> false, 100, 5_000);

  @RepeatedTest(50)
  @DisplayName("the wait doubles with each attempt, stays in its upper half (jitter), and is capped")
  void exponentialWithJitterAndCap() {
    assertThat(runner.backoffMs(1)).isBetween(50L, 100L);
    assertThat(runner.backoffMs(2)).isBetween(100L, 200L);
    assertThat(runner.backoffMs(4)).isBetween(400L, 800L);
    assertThat(runner.backoffMs(30)).isBetween(2_500L, 5_000L);
  }
}
