package io.fanout.core;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * Which partitions of described topics have no leader. Nothing can be written to or read from
 * such a partition: a new job's tasks wait for every leader before they are sent, and a running
 * job whose partition lost its leader (its only in-sync replica's broker is down) cannot progress.
 * Kafka's own descriptions, since Vert.x's cannot represent a partition without a leader.
 */
public final class PartitionLeaders {
  private PartitionLeaders() {}

  /** Topic to its leaderless partitions, only for topics that have any. */
  public static Map<String, List<Integer>> missing(Map<String, TopicDescription> topics) {
    Map<String, List<Integer>> leaderless = new TreeMap<>();
    topics.forEach((name, description) -> {
      List<Integer> partitions = description.partitions().stream()
          .filter(partition -> partition.leader() == null || partition.leader().isEmpty())
          .map(TopicPartitionInfo::partition)
          .sorted()
          .toList();
      if (!partitions.isEmpty()) {
        leaderless.put(name, partitions);
      }
    });
    return leaderless;
  }
}
