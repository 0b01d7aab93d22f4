package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The messages verticles exchange on the event bus")
class ContractMessagesTest {
  private static final String JOB = "0b9d5f2e-3c4a-4d8e-9f10-1a2b3c4d5e6f";

  @Nested
  @DisplayName("a control message")
  class Control {

    @ParameterizedTest
    @EnumSource(ControlMessage.Action.class)
    @DisplayName("comes back from its JSON as it was sent, for every action")
    void roundTrip(ControlMessage.Action action) {
      ControlMessage sent = switch (action) {
        case CANCEL -> ControlMessage.cancel(JOB);
        case RETRY -> ControlMessage.retry(JOB);
        case TOPICS -> ControlMessage.topics(JOB);
        case PAUSE -> ControlMessage.pauseWorkers(true);
        case RESUME -> ControlMessage.pauseWorkers(false);
      };
      assertThat(sent.action()).isEqualTo(action);
      assertThat(ControlMessage.fromJson(new JsonObject(sent.toJson().encode()))).isEqualTo(sent);
    }

    @Test
    @DisplayName("keeps the wire spelling workers of an older release understand")
    void wireSpelling() {
      assertThat(ControlMessage.cancel(JOB).toJson())
          .isEqualTo(new JsonObject().put("action", "cancel").put("jobId", JOB));
      assertThat(ControlMessage.pauseWorkers(true).toJson()).isEqualTo(new JsonObject().put("action", "pause"));
      assertThat(ControlMessage.pauseWorkers(false).toJson()).isEqualTo(new JsonObject().put("action", "resume"));
    }

    @Test
    @DisplayName("refuses an unknown action, a missing one, a job action without a job, and a job on a pause")
    void refusesBadInput() {
      assertThatThrownBy(() -> ControlMessage.fromJson(new JsonObject().put("action", "explode").put("jobId", JOB)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("explode");
      assertThatThrownBy(() -> ControlMessage.fromJson(new JsonObject().put("jobId", JOB)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("action");
      assertThatThrownBy(() -> ControlMessage.fromJson(new JsonObject().put("action", "cancel")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a job id");
      assertThatThrownBy(() -> ControlMessage.fromJson(new JsonObject().put("action", "cancel").put("jobId", "../x")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("../x");
      assertThatThrownBy(() -> ControlMessage.fromJson(new JsonObject().put("action", "pause").put("jobId", JOB)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("about no job");
      assertThatThrownBy(() -> ControlMessage.fromJson(new JsonObject().put("action", 7)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be a string");
    }
  }

  @Nested
  @DisplayName("a lifecycle event")
  class Lifecycle {

    @ParameterizedTest
    @ValueSource(strings = {"completed", "failed", "cancelled"})
    @DisplayName("comes back from its JSON as it was sent, for every end")
    void roundTrip(String end) {
      LifecycleEvent sent = new LifecycleEvent(JOB, JobState.fromWire(end), 7, 3, 1_700_000_000_000L);
      JsonObject json = new JsonObject(sent.toJson().encode());
      assertThat(json).isEqualTo(new JsonObject().put("jobId", JOB).put("event", end).put("done", 7)
          .put("failed", 3).put("at", 1_700_000_000_000L));
      assertThat(LifecycleEvent.fromJson(json)).isEqualTo(sent);
    }

    @Test
    @DisplayName("refuses a job that has not ended, negative counts, a bad id and missing fields")
    void refusesBadInput() {
      JsonObject good = new LifecycleEvent(JOB, JobState.COMPLETED, 1, 0, 5).toJson();
      assertThatThrownBy(() -> LifecycleEvent.fromJson(good.copy().put("event", "running")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("running");
      assertThatThrownBy(() -> LifecycleEvent.fromJson(good.copy().put("event", "sentinel")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a job state");
      assertThatThrownBy(() -> LifecycleEvent.fromJson(good.copy().put("done", -1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
      assertThatThrownBy(() -> LifecycleEvent.fromJson(good.copy().put("failed", 1.5)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole number");
      assertThatThrownBy(() -> LifecycleEvent.fromJson(good.copy().put("jobId", "nope")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
      JsonObject noTime = good.copy();
      noTime.remove("at");
      assertThatThrownBy(() -> LifecycleEvent.fromJson(noTime))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'at'");
    }
  }

  @Nested
  @DisplayName("a progress update")
  class Progress {

    @Test
    @DisplayName("comes back from its JSON as it was sent")
    void roundTrip() {
      ProgressUpdate sent = new ProgressUpdate(JOB, 40, 2, 100, JobState.RUNNING, 41);
      JsonObject json = new JsonObject(sent.toJson().encode());
      assertThat(json).isEqualTo(new JsonObject().put("jobId", JOB).put("done", 40).put("failed", 2)
          .put("total", 100).put("status", "running").put("lastIndex", 41));
      assertThat(ProgressUpdate.fromJson(json)).isEqualTo(sent);
    }

    @Test
    @DisplayName("refuses a bad id, an unknown status, negative counts and an index below -1")
    void refusesBadInput() {
      JsonObject good = new ProgressUpdate(JOB, 1, 0, 2, JobState.RUNNING, -1).toJson();
      assertThat(ProgressUpdate.fromJson(good).lastIndex()).isEqualTo(-1);
      assertThatThrownBy(() -> ProgressUpdate.fromJson(good.copy().put("jobId", null)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jobId");
      assertThatThrownBy(() -> ProgressUpdate.fromJson(good.copy().put("status", "busy")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("status");
      assertThatThrownBy(() -> ProgressUpdate.fromJson(good.copy().put("total", -2)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
      assertThatThrownBy(() -> ProgressUpdate.fromJson(good.copy().put("lastIndex", -5)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-5");
      assertThatThrownBy(() -> ProgressUpdate.fromJson(good.copy().put("done", "3")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole number");
    }
  }

  @Nested
  @DisplayName("a progress snapshot")
  class Snapshot {

    @Test
    @DisplayName("comes back from its JSON as it was published")
    void roundTrip() {
      ProgressSnapshot sent = new ProgressSnapshot(JOB, ProgressSnapshot.seqOf(1, 5, 1, false), 5, 1, 10, "running",
          2.5, 1600L, 5, 1_700_000_000_000L, new JsonObject().put("index", 5));
      assertThat(ProgressSnapshot.fromJson(new JsonObject(sent.toJson().encode()))).isEqualTo(sent);
    }

    @Test
    @DisplayName("refuses a missing seq, an unknown status, negative counts and a lastLog that is not an object")
    void refusesBadInput() {
      JsonObject good = new ProgressSnapshot(JOB, 4, 2, 0, 3, "running", 1.0, null, 1, 7, null).toJson();
      assertThat(ProgressSnapshot.fromJson(good).etaMs()).isNull();
      JsonObject noSeq = good.copy();
      noSeq.remove("seq");
      assertThatThrownBy(() -> ProgressSnapshot.fromJson(noSeq))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'seq'");
      assertThatThrownBy(() -> ProgressSnapshot.fromJson(good.copy().put("status", "done")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("status");
      assertThatThrownBy(() -> ProgressSnapshot.fromJson(good.copy().put("failed", -1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
      assertThatThrownBy(() -> ProgressSnapshot.fromJson(good.copy().put("lastLog", "text")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lastLog");
    }

    @Test
    @DisplayName("orders a job's second run after everything of its first, and the final state after the counts")
    void seqOrder() {
      long firstRunEnded = ProgressSnapshot.seqOf(0, 1_000_000, 500, true);
      long secondRunStarted = ProgressSnapshot.seqOf(1, 0, 0, false);
      assertThat(secondRunStarted).isGreaterThan(firstRunEnded);
      assertThat(ProgressSnapshot.seqOf(0, 3, 1, true)).isEqualTo(ProgressSnapshot.seqOf(0, 4, 0, false) + 1);
    }

    @Test
    @DisplayName("a job's JSON carries the seq of its state, generation included, for the page")
    void jobCarriesSeq() {
      Job job = Job.fromHash(java.util.Map.of("id", JOB, "type", "count", "status", "failed", "payload", "{}",
          "total", "10", "done", "8", "failed", "2", "partitions", "1", "generation", "2"));
      assertThat(job.toJson().getLong("progressSeq")).isEqualTo(ProgressSnapshot.seqOf(2, 8, 2, true));
    }
  }
}
