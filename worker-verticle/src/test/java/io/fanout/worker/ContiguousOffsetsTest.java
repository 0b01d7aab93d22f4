package io.fanout.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.kafka.client.common.TopicPartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ContiguousOffsetsTest {
  private final TopicPartition p0 = new TopicPartition("job.x.tasks", 0);
  private final TopicPartition p1 = new TopicPartition("job.x.tasks", 1);
  private final ContiguousOffsets offsets = new ContiguousOffsets();

  @Test
  @DisplayName("a partition commits only up to its lowest unfinished record, however the others finish")
  void commitsUpToFirstGap() {
    for (long offset = 10; offset < 15; offset++) {
      offsets.started(p0, offset);
    }
    offsets.finished(p0, 11);
    offsets.finished(p0, 13);
    offsets.finished(p0, 14);

    assertThat(offsets.committable()).containsExactlyEntriesOf(Map.of(p0, 10L));

    offsets.finished(p0, 10);
    assertThat(offsets.committable()).containsExactlyEntriesOf(Map.of(p0, 12L));

    offsets.finished(p0, 12);
    assertThat(offsets.committable()).containsExactlyEntriesOf(Map.of(p0, 15L));
    assertThat(offsets.unfinished()).isZero();
  }

  @Test
  @DisplayName("what was committed is not offered again, and partitions are independent")
  void committedOnce() {
    offsets.started(p0, 0);
    offsets.started(p1, 7);
    offsets.finished(p0, 0);
    offsets.committed(offsets.committable());

    assertThat(offsets.committable()).as("p1 still at its unfinished record, p0 already committed")
        .isEmpty();
    offsets.finished(p1, 7);
    assertThat(offsets.committable()).containsExactlyEntriesOf(Map.of(p1, 8L));
  }

  @Test
  @DisplayName("a revoked partition is forgotten with its unfinished records; late finishes change nothing")
  void revokedPartitionsAreForgotten() {
    offsets.started(p0, 1);
    offsets.started(p0, 2);
    offsets.started(p1, 1);

    offsets.forget(List.of(p0));
    offsets.finished(p0, 1);

    assertThat(offsets.unfinished()).isEqualTo(1);
    assertThat(offsets.committable()).containsOnlyKeys(p1);
  }
}
