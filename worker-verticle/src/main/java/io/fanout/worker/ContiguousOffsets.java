package io.fanout.worker;

import io.vertx.kafka.client.common.TopicPartition;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Tracks, per partition, which fetched records are still being processed. Tasks finish out of
 * order, so a partition's offset may only be committed up to its lowest unfinished record: a
 * crash then re-runs unfinished tasks (at least once) and never skips one.
 */
final class ContiguousOffsets {
  private static final class Progress {
    final TreeSet<Long> unfinished = new TreeSet<>();
    long nextFetched = -1;
    long committed = -1;

    long safeToCommit() {
      return unfinished.isEmpty() ? nextFetched : unfinished.first();
    }
  }

  private final Map<TopicPartition, Progress> partitions = new HashMap<>();
  private int unfinished;

  void started(TopicPartition partition, long offset) {
    Progress progress = partitions.computeIfAbsent(partition, p -> new Progress());
    if (progress.unfinished.add(offset)) {
      unfinished++;
    }
    progress.nextFetched = Math.max(progress.nextFetched, offset + 1);
  }

  void finished(TopicPartition partition, long offset) {
    Progress progress = partitions.get(partition);
    if (progress != null && progress.unfinished.remove(offset)) {
      unfinished--;
    }
  }

  /** Offsets that may be committed now and were not yet: per partition, the next record to read. */
  Map<TopicPartition, Long> committable() {
    Map<TopicPartition, Long> result = new HashMap<>();
    partitions.forEach((partition, progress) -> {
      long safe = progress.safeToCommit();
      if (safe > progress.committed) {
        result.put(partition, safe);
      }
    });
    return result;
  }

  void committed(Map<TopicPartition, Long> offsets) {
    offsets.forEach((partition, offset) -> {
      Progress progress = partitions.get(partition);
      if (progress != null) {
        progress.committed = Math.max(progress.committed, offset);
      }
    });
  }

  /** Drops partitions this worker no longer owns; their unfinished records re-run elsewhere. */
  void forget(Collection<TopicPartition> revoked) {
    for (TopicPartition partition : revoked) {
      Progress progress = partitions.remove(partition);
      if (progress != null) {
        unfinished -= progress.unfinished.size();
      }
    }
  }

  int unfinished() {
    return unfinished;
  }
}
