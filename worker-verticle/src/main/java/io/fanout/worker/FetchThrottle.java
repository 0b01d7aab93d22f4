package io.fanout.worker;

import io.fanout.core.Topics;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Fetch backpressure, per lane. Fetching pauses when {@code maxInHand} tasks are fetched and not
 * yet recorded, or when an operator paused the workers, and resumes once half of them are
 * recorded (and the operator resumed). The express lane (small jobs) and the big jobs' topics
 * are counted and paused apart, so a big job's backlog in hand never stops the small jobs' tasks
 * from being fetched, nor a flood of small jobs a big job's. It pauses partitions, never polling:
 * a member that stops polling is dropped from its group and its tasks run again elsewhere. A
 * partition assigned while its lane is paused starts paused. The consumer's thread alone calls
 * {@link #apply} and touches the consumer; {@link #operatorPause} and {@link #inHand} are for
 * other threads.
 */
final class FetchThrottle {
  private final HeldPartitions held;
  private final int maxInHand;
  private final Lane express = new Lane(true);
  private final Lane big = new Lane(false);
  private volatile boolean pausedByOperator;
  private volatile int inHand;
  private KafkaConsumer<String, String> consumer;

  FetchThrottle(HeldPartitions held, int maxInHand) {
    this.held = held;
    this.maxInHand = maxInHand;
  }

  /** A new consumer fetches from every partition it is given until told otherwise. */
  void attach(KafkaConsumer<String, String> consumer) {
    this.consumer = consumer;
    express.paused = false;
    big.paused = false;
  }

  void operatorPause(boolean paused) {
    pausedByOperator = paused;
  }

  /** Tasks fetched and not yet recorded, in both lanes, as last counted on the consumer's thread. */
  int inHand() {
    return inHand;
  }

  /** Pauses or resumes fetching in each lane, as its tasks in hand and the operator say. */
  void apply() {
    countInHand();
    express.apply();
    big.apply();
  }

  void countInHand() {
    express.inHand = held.inHand(true);
    big.inHand = held.inHand(false);
    inHand = express.inHand + big.inHand;
  }

  /** Partitions just assigned join their lane's pause, if one is in force. */
  void assigned(Collection<TopicPartition> partitions) {
    express.pauseIfPaused(partitions);
    big.pauseIfPaused(partitions);
  }

  /** One lane's partitions: the express topic's, or every big job's. */
  private final class Lane {
    private final boolean isExpress;
    private boolean paused;
    private int inHand;

    Lane(boolean isExpress) {
      this.isExpress = isExpress;
    }

    void apply() {
      boolean shouldPause = pausedByOperator || inHand >= maxInHand;
      boolean mayResume = !pausedByOperator && inHand <= maxInHand / 2;
      if (!paused && shouldPause) {
        paused = true;
        consumer.pause(ofLane(consumer.assignment()));
      } else if (paused && mayResume) {
        paused = false;
        consumer.resume(ofLane(consumer.assignment()));
      }
    }

    void pauseIfPaused(Collection<TopicPartition> partitions) {
      if (paused) {
        consumer.pause(ofLane(partitions));
      }
    }

    private List<TopicPartition> ofLane(Collection<TopicPartition> partitions) {
      return partitions.stream().filter(partition -> Topics.isExpress(partition.topic()) == isExpress).toList();
    }
  }
}
