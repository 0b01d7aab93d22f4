package io.fanout.worker;

import java.util.Collection;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Fetch backpressure, one per lane (its consumer session). Fetching pauses when
 * {@code maxInHand} tasks are fetched and not yet recorded, or when an operator paused the
 * workers, and resumes once half of them are recorded (and the operator resumed). It pauses the
 * partitions, never polling: a member that stops polling is dropped from its group and its tasks
 * run again elsewhere. A partition assigned while paused starts paused. The consumer's thread
 * alone calls {@link #apply} and touches the consumer; {@link #operatorPause},
 * {@link #operatorPauseInForce} and {@link #inHand} are for other threads.
 */
final class FetchThrottle {
  private final HeldPartitions held;
  private final int maxInHand;
  private volatile boolean pausedByOperator;
  private volatile boolean operatorPauseInForce;
  private volatile int inHand;
  private KafkaConsumer<String, String> consumer;
  private boolean fetchPaused;

  FetchThrottle(HeldPartitions held, int maxInHand) {
    this.held = held;
    this.maxInHand = maxInHand;
  }

  /** A new consumer fetches from every partition it is given until told otherwise. */
  void attach(KafkaConsumer<String, String> consumer) {
    this.consumer = consumer;
    fetchPaused = false;
  }

  void operatorPause(boolean paused) {
    pausedByOperator = paused;
  }

  /**
   * Whether the operator's pause holds on the consumer: true once its thread has paused fetching.
   * Until then a poll under way may still bring records, so a pause asked for is not yet one in
   * force.
   */
  boolean operatorPauseInForce() {
    return operatorPauseInForce;
  }

  /** Tasks fetched and not yet recorded, as last counted on the consumer's thread. */
  int inHand() {
    return inHand;
  }

  /** Pauses or resumes fetching, as the tasks in hand and the operator say. */
  void apply() {
    countInHand();
    boolean shouldPause = pausedByOperator || inHand >= maxInHand;
    boolean mayResume = !pausedByOperator && inHand <= maxInHand / 2;
    if (!fetchPaused && shouldPause) {
      fetchPaused = true;
      consumer.pause(consumer.assignment());
    } else if (fetchPaused && mayResume) {
      fetchPaused = false;
      consumer.resume(consumer.assignment());
    }
    operatorPauseInForce = pausedByOperator && fetchPaused;
  }

  void countInHand() {
    inHand = held.inHand();
  }

  /** Partitions just assigned join a pause in force. */
  void assigned(Collection<TopicPartition> partitions) {
    if (fetchPaused) {
      consumer.pause(partitions);
    }
  }
}
