package io.fanout.worker;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * The records of one partition in this worker's hands, for as long as it holds the partition.
 * Tasks finish out of order, so the partition's offset may only be committed up to its lowest
 * unfinished record, and a finished task's outcome waits until then too: it is logged in the
 * same Kafka transaction that commits past it, so a task whose log record is committed never
 * runs again, and one that runs again was never logged. Used by the consumer's thread only,
 * except {@link #mayStart} and {@link #abandon}, which the task pool shares.
 */
final class PartitionWork {
  /** Offsets at most this far behind the first unfinished one are dropped from the bitmap. */
  private static final int COMPACT_AFTER = 4096;

  private final TopicPartition partition;
  /** Bit i stands for offset {@code base + i}: set while that record is being worked on. */
  private BitSet unfinished = new BitSet();
  private long base = -1;
  private int unfinishedCount;
  private long nextFetched = -1;
  private long committed = -1;
  /** Guarded by this: the highest offset a pool thread started, and, once given up, the last one that may start. */
  private long highestStarted = -1;
  private long fence = Long.MAX_VALUE;
  private final List<Outcome> outcomes = new ArrayList<>();

  PartitionWork(TopicPartition partition) {
    this.partition = partition;
  }

  TopicPartition partition() {
    return partition;
  }

  /** A fetched record goes to the task runner. Offsets arrive in increasing order. */
  void started(long offset) {
    if (unfinishedCount == 0) {
      // Nothing in hand: start the bitmap here, however far the offsets have moved.
      unfinished.clear();
      base = offset;
    }
    unfinished.set(Math.toIntExact(offset - base));
    unfinishedCount++;
    nextFetched = offset + 1;
  }

  /** The record needs no more work; its outcome, if it ran, is kept until it may be recorded. */
  void finished(long offset, Outcome outcome) {
    if (offset >= base && unfinished.get(Math.toIntExact(offset - base))) {
      unfinished.clear(Math.toIntExact(offset - base));
      unfinishedCount--;
      if (outcome != null) {
        outcomes.add(outcome);
      }
    }
  }

  /** The offset to commit: the lowest unfinished record, or the next one to fetch. */
  long safeToCommit() {
    if (unfinishedCount == 0) {
      return nextFetched;
    }
    int first = unfinished.nextSetBit(0);
    if (first > COMPACT_AFTER) {
      unfinished = unfinished.get(first, unfinished.length());
      base += first;
      first = 0;
    }
    return base + first;
  }

  /** The offset to commit if it moved since the last commit, else -1. */
  long committable() {
    long safe = safeToCommit();
    return safe > committed ? safe : -1;
  }

  /**
   * The offset to commit when the outcomes from {@code heldFrom} on are held back for the next
   * round: no further than them, and -1 if that is not past the last commit.
   */
  long committableBefore(long heldFrom) {
    long upTo = Math.min(heldFrom, safeToCommit());
    return upTo > committed ? upTo : -1;
  }

  void committed(long offset) {
    committed = Math.max(committed, offset);
  }

  /** Takes the outcomes of records below the safe offset: they may be recorded now. */
  List<Outcome> takeRecordable() {
    if (outcomes.isEmpty()) {
      return List.of();
    }
    long safe = safeToCommit();
    List<Outcome> recordable = new ArrayList<>();
    outcomes.removeIf(outcome -> outcome.record().offset() < safe && recordable.add(outcome));
    return recordable;
  }

  /** Outcomes whose recording failed wait for the next attempt. */
  void putBack(List<Outcome> notRecorded) {
    outcomes.addAll(notRecorded);
  }

  int unfinished() {
    return unfinishedCount;
  }

  int heldOutcomes() {
    return outcomes.size();
  }

  /** Asked by a pool thread before it runs the record at this offset. */
  synchronized boolean mayStart(long offset) {
    if (offset > fence) {
      return false;
    }
    highestStarted = Math.max(highestStarted, offset);
    return true;
  }

  /**
   * The partition is being given up. Records past the highest one started are left to its next
   * owner; those before it still run, so that everything that ran can be committed: a finished
   * task above an unfinished one could not be.
   */
  synchronized void abandon() {
    fence = Math.min(fence, highestStarted);
  }

  /** The partition is gone from this worker: nothing of it may start any more, retries included. */
  synchronized void close() {
    fence = Long.MIN_VALUE;
  }

  synchronized boolean abandoned() {
    return fence != Long.MAX_VALUE;
  }

  /** Whether every record that may still start has finished (once abandoned). */
  boolean finishedUpToFence() {
    long lastAllowed;
    synchronized (this) {
      lastAllowed = fence;
    }
    return unfinishedCount == 0 || safeToCommit() > lastAllowed;
  }
}
