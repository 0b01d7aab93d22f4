package io.fanout.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupAssignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PerTopicAssignorTest {
  private static final Node BROKER = new Node(1, "127.0.0.1", 9092);
  private final PerTopicAssignor assignor = new PerTopicAssignor();

  @Test
  @DisplayName("each topic is split evenly over its subscribers, whatever idle topics they already hold")
  void evenPerTopic() {
    Cluster cluster = cluster(Map.of("job.old.tasks", 8, "job.new.tasks", 8));
    GroupAssignment result = assignor.assign(cluster, group(Map.of(
        "a", new Subscription(List.of("job.old.tasks", "job.new.tasks"), null, List.of()),
        "b", new Subscription(List.of("job.old.tasks", "job.new.tasks"), null, partitions("job.old.tasks", 8)))));

    assertThat(count(result, "a", "job.new.tasks")).isEqualTo(4);
    assertThat(count(result, "b", "job.new.tasks")).isEqualTo(4);
    assertThat(count(result, "a", "job.old.tasks")).as("moving partitions wait for the next round").isZero();
    assertThat(count(result, "b", "job.old.tasks")).isEqualTo(4);
  }

  @Test
  @DisplayName("a partition moves in two rounds: its owner gives it up, then the newcomer gets it")
  void cooperativeHandOver() {
    Cluster cluster = cluster(Map.of("job.x.tasks", 8));
    GroupAssignment first = assignor.assign(cluster, group(Map.of(
        "a", new Subscription(List.of("job.x.tasks"), null, partitions("job.x.tasks", 8)),
        "b", new Subscription(List.of("job.x.tasks"), null, List.of()))));
    List<TopicPartition> keptByA = first.groupAssignment().get("a").partitions();
    assertThat(keptByA).hasSize(4);
    assertThat(first.groupAssignment().get("b").partitions()).isEmpty();

    GroupAssignment second = assignor.assign(cluster, group(Map.of(
        "a", new Subscription(List.of("job.x.tasks"), null, keptByA),
        "b", new Subscription(List.of("job.x.tasks"), null, List.of()))));
    assertThat(second.groupAssignment().get("a").partitions()).containsExactlyInAnyOrderElementsOf(keptByA);
    assertThat(second.groupAssignment().get("b").partitions()).hasSize(4).doesNotContainAnyElementsOf(keptByA);
  }

  @Test
  @DisplayName("uneven counts differ by at most one, and a member not yet subscribed gets none of the topic")
  void unevenAndUnsubscribed() {
    Cluster cluster = cluster(Map.of("job.y.tasks", 5));
    GroupAssignment result = assignor.assign(cluster, group(Map.of(
        "a", new Subscription(List.of("job.y.tasks"), null, List.of()),
        "b", new Subscription(List.of("job.y.tasks"), null, List.of()),
        "c", new Subscription(List.of(), null, List.of()))));

    assertThat(List.of(count(result, "a", "job.y.tasks"), count(result, "b", "job.y.tasks")))
        .containsExactlyInAnyOrder(2L, 3L);
    assertThat(count(result, "c", "job.y.tasks")).isZero();
  }

  private static long count(GroupAssignment result, String member, String topic) {
    return result.groupAssignment().get(member).partitions().stream().filter(p -> p.topic().equals(topic)).count();
  }

  private static GroupSubscription group(Map<String, Subscription> members) {
    return new GroupSubscription(new HashMap<>(members));
  }

  private static List<TopicPartition> partitions(String topic, int count) {
    return IntStream.range(0, count).mapToObj(p -> new TopicPartition(topic, p)).toList();
  }

  private static Cluster cluster(Map<String, Integer> topics) {
    List<PartitionInfo> infos = topics.entrySet().stream()
        .flatMap(topic -> IntStream.range(0, topic.getValue()).mapToObj(p ->
            new PartitionInfo(topic.getKey(), p, BROKER, new Node[] {BROKER}, new Node[] {BROKER})))
        .toList();
    return new Cluster("test", List.of(BROKER), infos, java.util.Set.of(), java.util.Set.of());
  }
}
