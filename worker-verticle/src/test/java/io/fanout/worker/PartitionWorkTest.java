package io.fanout.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.core.Task;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PartitionWorkTest {
  private final PartitionWork work = new PartitionWork(new TopicPartition("job.x.tasks", 0));

  @Test
  @DisplayName("a partition commits only up to its lowest unfinished record, however the others finish")
  void commitsUpToFirstGap() {
    for (long offset = 10; offset < 15; offset++) {
      work.started(offset);
    }
    work.finished(11, null);
    work.finished(13, null);
    work.finished(14, null);
    assertThat(work.committable()).isEqualTo(10);

    work.finished(10, null);
    assertThat(work.committable()).isEqualTo(12);

    work.finished(12, null);
    assertThat(work.committable()).isEqualTo(15);
    assertThat(work.unfinished()).isZero();
  }

  @Test
  @DisplayName("an outcome is recordable only once every record before it has finished, and only once")
  void outcomesWaitForTheGapBeforeThem() {
    work.started(0);
    work.started(1);
    work.finished(1, outcomeAt(1));
    assertThat(work.takeRecordable()).as("offset 0 still runs").isEmpty();

    work.finished(0, outcomeAt(0));
    assertThat(work.takeRecordable()).extracting(outcome -> outcome.record().offset()).containsExactlyInAnyOrder(0L, 1L);
    assertThat(work.takeRecordable()).isEmpty();
    assertThat(work.heldOutcomes()).isZero();
  }

  @Test
  @DisplayName("what was committed is not offered again; a repeated or foreign finish changes nothing")
  void committedOnce() {
    work.started(7);
    work.finished(7, outcomeAt(7));
    work.committed(work.committable());
    assertThat(work.committable()).isEqualTo(-1);

    work.finished(7, outcomeAt(7));
    work.finished(3, outcomeAt(3));
    assertThat(work.heldOutcomes()).as("only the first finish of offset 7 is kept").isEqualTo(1);
  }

  @Test
  @DisplayName("the bitmap follows offsets far apart without growing with them")
  void farOffsets() {
    for (long offset = 0; offset < 20_000; offset++) {
      work.started(offset);
      if (offset != 10_000) {
        work.finished(offset, null);
      }
    }
    assertThat(work.committable()).isEqualTo(10_000);
    work.finished(10_000, null);
    assertThat(work.committable()).isEqualTo(20_000);

    work.started(5_000_000_000L);
    assertThat(work.committable()).isEqualTo(5_000_000_000L);
    work.finished(5_000_000_000L, null);
    assertThat(work.committable()).isEqualTo(5_000_000_001L);
  }

  private static Outcome outcomeAt(long offset) {
    ConsumerRecord<String, String> record = new ConsumerRecord<>("job.x.tasks", 0, offset, null, "{}");
    Task task = new Task("x", offset, 10, "count", 1, new JsonObject(), null, null, "job.x.log");
    return new Outcome(record, task, new JsonObject(), null, 1, null, 0);
  }

  @Test
  @DisplayName("given up, a partition still runs what lies before its last started record, and nothing after it")
  void abandonFencesAtTheLastStartedRecord() {
    for (long offset = 0; offset < 6; offset++) {
      work.started(offset);
    }
    assertThat(work.mayStart(3)).isTrue();
    work.abandon();

    assertThat(work.mayStart(1)).as("before the last started record: runs, so it can be committed").isTrue();
    assertThat(work.mayStart(4)).as("after it: left to the next owner").isFalse();
    assertThat(work.finishedUpToFence()).isFalse();
    for (long offset = 0; offset <= 3; offset++) {
      work.finished(offset, null);
    }
    assertThat(work.finishedUpToFence()).isTrue();
    assertThat(work.committable()).isEqualTo(4);
  }

  @Test
  @DisplayName("a partition given up before any record started has nothing to wait for")
  void abandonedUntouchedPartition() {
    work.abandon();
    assertThat(work.abandoned()).isTrue();
    assertThat(work.finishedUpToFence()).isTrue();
    work.started(10);
    assertThat(work.mayStart(10)).isFalse();
    assertThat(work.finishedUpToFence()).as("a record that may not start is not waited for").isTrue();
    assertThat(work.committable()).as("nor committed past").isEqualTo(10);
  }
}
