package io.fanout.worker;

import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands partitions over in a rebalance, and at shutdown. A partition given up is fenced: its
 * tasks past the last one a pool thread started are left unrun for the next owner. When it is
 * revoked (the group still has us), the tasks before the fence are finished and everything
 * finished is committed before the rebalance goes on, so the next owner starts past them and
 * finds them marked logged; when it is lost (the group already dropped us), nothing is committed,
 * for a commit would be refused, and the next owner runs again what was not committed. Runs on
 * the consumer's thread, inside {@code poll}; one per consumer.
 */
final class RebalanceHandover implements ConsumerRebalanceListener {
  private static final Logger LOG = LoggerFactory.getLogger(RebalanceHandover.class);

  private final String workerId;
  private final KafkaConsumer<String, String> consumer;
  private final HeldPartitions held;
  private final FetchThrottle throttle;
  private final RunnerHandoff handoff;
  private final CommitRound commits;
  private final long drainTimeoutMs;

  RebalanceHandover(String workerId, KafkaConsumer<String, String> consumer, HeldPartitions held,
      FetchThrottle throttle, RunnerHandoff handoff, CommitRound commits, long drainTimeoutMs) {
    this.workerId = workerId;
    this.consumer = consumer;
    this.held = held;
    this.throttle = throttle;
    this.handoff = handoff;
    this.commits = commits;
    this.drainTimeoutMs = drainTimeoutMs;
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    if (!partitions.isEmpty()) {
      LOG.info("Worker {} takes {}", workerId, partitions);
    }
    held.take(partitions);
    throttle.assigned(partitions);
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    leave(partitions, true);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    leave(partitions, false);
  }

  /**
   * Gives partitions up: their tasks past the last one started are left to the next owner, and,
   * when {@code commitFirst}, the others are finished (for up to {@code drainTimeoutMs}) and
   * committed first.
   */
  void leave(Collection<TopicPartition> partitions, boolean commitFirst) {
    List<PartitionWork> leaving = held.of(partitions);
    if (!leaving.isEmpty()) {
      LOG.info("Worker {} gives up {}{}", workerId, partitions, commitFirst ? "" : " (lost)");
    }
    leaving.forEach(PartitionWork::abandon);
    if (commitFirst && !leaving.isEmpty()) {
      handoff.awaitReturns(() -> leaving.stream().allMatch(PartitionWork::finishedUpToFence), drainTimeoutMs);
      commits.run(consumer);
      // The next owner finds these tasks marked logged: a copy of one (a dispatcher that resumed
      // after a crash writes some twice) is not logged again there.
      commits.awaitAnnounced();
    }
    held.remove(partitions);
    leaving.forEach(PartitionWork::close);
  }
}
