package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  @DisplayName("the workers' pattern matches task topics of well-formed ids only")
  void taskPattern() {
    String id = JobId.next();
    assertThat(Topics.TASKS_PATTERN.matcher(Topics.tasks(id)).matches()).isTrue();
    assertThat(Topics.TASKS_PATTERN.matcher(Topics.log(id)).matches()).isFalse();
    assertThat(Topics.TASKS_PATTERN.matcher("job.x.tasks").matches()).isFalse();
    assertThat(Topics.TASKS_PATTERN.matcher(Topics.DEAD_LETTERS).matches()).isFalse();
    assertThat(Topics.jobIdOfTasks(Topics.tasks(id))).isEqualTo(id);
  }

  @Test
  @DisplayName("the bridge's progress filter matches exactly one job's address")
  void progressRegex() {
    String id = JobId.next();
    assertThat(Addresses.progress(id).matches(Addresses.PROGRESS_REGEX)).isTrue();
    assertThat(("jobs.progress." + id + ".x").matches(Addresses.PROGRESS_REGEX)).isFalse();
    assertThat("jobs.progressX00000000-0000-0000-0000-000000000000".matches(Addresses.PROGRESS_REGEX)).isFalse();
    assertThat(Addresses.CONTROL.matches(Addresses.PROGRESS_REGEX)).isFalse();
  }
}
