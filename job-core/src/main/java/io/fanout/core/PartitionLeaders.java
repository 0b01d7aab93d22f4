package io.fanout.core;

import io.vertx.kafka.admin.TopicDescription;
import io.vertx.kafka.client.common.TopicPartitionInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which partitions of described topics have no leader. Nothing can be written to or read from
 * such a partition: a new job's tasks wait for every leader before they are sent, and a running
 * job whose partition lost its leader (its only replica's broker is down) cannot progress.
 */
public final class PartitionLeaders {
  private PartitionLeaders() {}

  /** Topic to its leaderless partitions, only for topics that have any. */
  public static Map<String, List<Integer>> missing(Map<String, TopicDescription> topics) {
    Map<String, List<Integer>> leaderless = new TreeMap<>();
    topics.forEach((name, description) -> {
      List<Integer> partitions = description.getPartitions().stream()
          .filter(partition -> !hasLeader(partition))
          .map(TopicPartitionInfo::getPartition)
          .sorted()
          .toList();
      if (!partitions.isEmpty()) {
        leaderless.put(name, partitions);
      }
    });
    return leaderless;
  }

  private static boolean hasLeader(TopicPartitionInfo partition) {
    return partition.getLeader() != null && !partition.getLeader().isEmpty() && partition.getLeader().getId() >= 0;
  }
}
