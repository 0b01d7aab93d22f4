package io.fanout.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.TopicPartition;

/**
 * Spreads each job's task topic over every worker subscribed to it, keeping partitions where they
 * are when that stays balanced, with the cooperative protocol (no stop-the-world rebalance).
 *
 * <p>Kafka's sticky assignors balance the total partition count per consumer. With a topic per
 * job that is the wrong measure: idle topics of finished jobs count as much as the running job's,
 * so a new job could land on one worker while the others hold idle partitions. Here the balance
 * is per topic: every subscribed worker gets {@code partitions / workers} of each, give or take
 * one.
 *
 * <p>A partition that must move is not handed to its new owner in the same round. Its current
 * owner gives it up, and the follow-up rebalance that the cooperative protocol triggers then
 * assigns it.
 */
public final class PerTopicAssignor implements ConsumerPartitionAssignor {
  public static final String NAME = "fanout-per-topic";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<RebalanceProtocol> supportedProtocols() {
    return List.of(RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER);
  }

  @Override
  public GroupAssignment assign(Cluster metadata, GroupSubscription groupSubscription) {
    Map<String, Subscription> members = groupSubscription.groupSubscription();
    Map<TopicPartition, String> owners = new HashMap<>();
    Map<String, TreeSet<String>> subscribers = new TreeMap<>();
    members.forEach((member, subscription) -> {
      subscription.ownedPartitions().forEach(partition -> owners.put(partition, member));
      subscription.topics().forEach(topic -> subscribers.computeIfAbsent(topic, t -> new TreeSet<>()).add(member));
    });
    Map<String, List<TopicPartition>> assigned = new HashMap<>();
    members.keySet().forEach(member -> assigned.put(member, new ArrayList<>()));
    subscribers.forEach((topic, topicMembers) -> {
      Integer partitions = metadata.partitionCountForTopic(topic);
      if (partitions != null) {
        spread(topic, partitions, List.copyOf(topicMembers), owners, assigned);
      }
    });
    Map<String, Assignment> result = new HashMap<>();
    assigned.forEach((member, partitions) -> result.put(member, new Assignment(partitions)));
    return new GroupAssignment(result);
  }

  /** One topic: owners keep what they may, the rest goes to whoever has the fewest. */
  static void spread(String topic, int partitions, List<String> members, Map<TopicPartition, String> owners,
      Map<String, List<TopicPartition>> assigned) {
    int floor = partitions / members.size();
    int withOneMore = partitions % members.size();
    Map<String, Integer> counts = new HashMap<>();
    members.forEach(member -> counts.put(member, 0));
    List<TopicPartition> unplaced = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      TopicPartition partition = new TopicPartition(topic, p);
      String owner = owners.get(partition);
      if (owner != null && counts.containsKey(owner)) {
        int count = counts.get(owner);
        if (count < floor || (count == floor && withOneMore > 0)) {
          if (count == floor) {
            withOneMore--;
          }
          counts.put(owner, count + 1);
          assigned.get(owner).add(partition);
          continue;
        }
      }
      unplaced.add(partition);
    }
    for (TopicPartition partition : unplaced) {
      String target = members.stream()
          .filter(member -> counts.get(member) < floor)
          .min(Comparator.comparing(counts::get))
          .orElse(null);
      if (target == null) {
        target = members.stream().filter(member -> counts.get(member) == floor).findFirst().orElseThrow();
        withOneMore--;
      }
      counts.merge(target, 1, Integer::sum);
      String owner = owners.get(partition);
      // Still owned by another member: that member gives it up first; the next round assigns it.
      if (owner == null || !members.contains(owner)) {
        assigned.get(target).add(partition);
      }
    }
  }
}
