package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class JobStateTest {

  @Test
  @DisplayName("a queued job may start or be cancelled, and nothing else")
  void queuedMoves() {
    assertThat(JobState.QUEUED.allowedNext()).containsExactlyInAnyOrder(JobState.RUNNING, JobState.CANCELLED);
  }

  @Test
  @DisplayName("a running job may complete, fail or be cancelled, and nothing else")
  void runningMoves() {
    assertThat(JobState.RUNNING.allowedNext())
        .containsExactlyInAnyOrder(JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED);
  }

  @ParameterizedTest(name = "{0} is final")
  @EnumSource(value = JobState.class, names = {"COMPLETED", "CANCELLED"})
  @DisplayName("completed and cancelled jobs never change again")
  void finalStates(JobState state) {
    assertThat(state.isFinal()).isTrue();
    for (JobState next : JobState.values()) {
      assertThat(state.canMoveTo(next)).as("%s -> %s", state, next).isFalse();
    }
  }

  @Test
  @DisplayName("a failed job has ended, and may only be queued again to retry its failed tasks")
  void failedMayBeRetried() {
    assertThat(JobState.FAILED.isFinal()).isTrue();
    assertThat(JobState.FAILED.allowedNext()).containsExactly(JobState.QUEUED);
  }

  @Test
  @DisplayName("no state moves to itself, and only a failed job goes back to queued")
  void noSelfOrBackToQueued() {
    for (JobState state : JobState.values()) {
      assertThat(state.canMoveTo(state)).isFalse();
      assertThat(state.canMoveTo(JobState.QUEUED)).isEqualTo(state == JobState.FAILED);
    }
    assertThat(EnumSet.complementOf(EnumSet.of(JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)))
        .allSatisfy(state -> assertThat(state.isFinal()).isFalse());
  }

  @Test
  @DisplayName("an illegal change is an exception naming both states")
  void illegalChangeNamesBothStates() {
    assertThatThrownBy(() -> JobState.COMPLETED.moveTo(JobState.RUNNING))
        .isInstanceOf(IllegalStateChangeException.class)
        .hasMessageContaining("completed")
        .hasMessageContaining("running");
    assertThat(JobState.QUEUED.moveTo(JobState.RUNNING)).isEqualTo(JobState.RUNNING);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(JobState.class)
  @DisplayName("wire names round-trip")
  void wireNames(JobState state) {
    assertThat(JobState.fromWire(state.wireName())).isEqualTo(state);
  }
}
