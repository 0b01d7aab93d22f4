package io.fanout.worker;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * The partitions this member of the group holds, each with its {@link PartitionWork}. A partition
 * is here from its assignment until it is given up, and a {@link PartitionWork} no longer here
 * belongs to a partition given up since: what comes back for it is dropped, for the next owner
 * runs those tasks again. Touched by the consumer's thread only (the rebalance listener runs
 * inside {@code poll}, on that thread).
 */
final class HeldPartitions {
  private final Map<TopicPartition, PartitionWork> works = new HashMap<>();

  /** Each newly assigned partition starts with no work in hand. */
  void take(Collection<TopicPartition> partitions) {
    partitions.forEach(partition -> works.put(partition, new PartitionWork(partition)));
  }

  /** The work of those partitions that are held, in the order given. */
  List<PartitionWork> of(Collection<TopicPartition> partitions) {
    return partitions.stream().map(works::get).filter(Objects::nonNull).toList();
  }

  void remove(Collection<TopicPartition> partitions) {
    List.copyOf(partitions).forEach(works::remove);
  }

  /** The partition's work, or null if it is not held. */
  PartitionWork get(TopicPartition partition) {
    return works.get(partition);
  }

  /** Whether this work is still its partition's: false once the partition was given up. */
  boolean holds(PartitionWork work) {
    return work == works.get(work.partition());
  }

  Set<TopicPartition> partitions() {
    return Set.copyOf(works.keySet());
  }

  Collection<PartitionWork> all() {
    return works.values();
  }

  /** Whether any task is running or any outcome waits to be recorded. */
  boolean busy() {
    for (PartitionWork work : works.values()) {
      if (work.unfinished() > 0 || work.heldOutcomes() > 0) {
        return true;
      }
    }
    return false;
  }

  /** Tasks fetched and not yet recorded, over every partition. */
  int inHand() {
    int total = 0;
    for (PartitionWork work : works.values()) {
      total += work.unfinished() + work.heldOutcomes();
    }
    return total;
  }

  boolean allFinished() {
    return works.values().stream().allMatch(work -> work.unfinished() == 0);
  }

  /** Forgets every partition at once, as when the consumer is dropped without committing. */
  void closeAll() {
    works.values().forEach(PartitionWork::close);
    works.clear();
  }
}
