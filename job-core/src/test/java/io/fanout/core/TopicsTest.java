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
    assertThat(Topics.TASKS_PATTERN.matcher(Topics.EXPRESS_TASKS).matches()).as("the express lane's own group")
        .isFalse();
    assertThat(Topics.EXPRESS_PATTERN.matcher(Topics.EXPRESS_TASKS).matches()).isTrue();
    assertThat(Topics.EXPRESS_PATTERN.matcher(Topics.EXPRESS_LOG).matches()).isFalse();
    assertThat(Topics.EXPRESS_PATTERN.matcher("jobsXexpressXtasks").matches()).as("the express name taken literally")
        .isFalse();
    assertThat(Topics.jobIdOfTasks(Topics.tasks(id))).isEqualTo(id);
  }

  @Test
  @DisplayName("a task record names its job by its topic, or in the express lane by its key, and its index by its key")
  void taskKeys() {
    String id = JobId.next();
    assertThat(Topics.taskKey(id, 7, false)).isEqualTo("7");
    assertThat(Topics.jobIdOfTask(Topics.tasks(id), "7")).isEqualTo(id);
    assertThat(Topics.taskIndexOf("7")).isEqualTo(7);

    String expressKey = Topics.taskKey(id, 7, true);
    assertThat(Topics.jobIdOfTask(Topics.EXPRESS_TASKS, expressKey)).isEqualTo(id);
    assertThat(Topics.taskIndexOf(expressKey)).isEqualTo(7);
    assertThat(Topics.jobIdOfTask(Topics.EXPRESS_TASKS, "7")).as("a key naming no job").isNull();
    assertThat(Topics.jobIdOfTask(Topics.EXPRESS_TASKS, null)).isNull();
  }

  @Test
  @DisplayName("a small job's log records are told from the other small jobs' by their keys; a big job's log is its own")
  void logLocations() {
    Job.Spec spec = new Job.Spec("count", new io.vertx.core.json.JsonObject(), 5, false, 1, 0, 1, 0, null);
    Job small = Job.accepted(JobId.next(), spec, java.time.Instant.now(), null, 5);
    Job big = Job.accepted(JobId.next(), spec, java.time.Instant.now(), null, 4);
    assertThat(small.express()).isTrue();
    assertThat(big.express()).isFalse();

    LogLocation shared = LogLocation.of(small);
    assertThat(shared.topic()).isEqualTo(Topics.EXPRESS_LOG);
    assertThat(shared.holds(Topics.logKey(Topics.EXPRESS_LOG, small.id(), "3"))).isTrue();
    assertThat(shared.holds(Topics.logKey(Topics.EXPRESS_LOG, small.id(), LifecycleEvent.LOG_KEY))).isTrue();
    assertThat(shared.holds(Topics.logKey(Topics.EXPRESS_LOG, big.id(), "3"))).as("another job's record").isFalse();
    assertThat(shared.holds(null)).isFalse();

    LogLocation own = LogLocation.of(big);
    assertThat(own.topic()).isEqualTo(Topics.log(big.id()));
    assertThat(own.from()).isZero();
    assertThat(Topics.logKey(own.topic(), big.id(), "3")).isEqualTo("3");
    assertThat(own.holds("3")).isTrue();
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
