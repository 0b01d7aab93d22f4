package io.fanout.worker;

import io.fanout.core.Job;
import io.fanout.core.Task;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Runs tasks on the worker pool and retries a failed task after an exponential backoff with
 * jitter until it succeeds or has used its job's {@code maxAttempts}. Records wait in the order
 * they were fetched, and every pool thread takes the next one: so a partition's tasks run side by
 * side in offset order and its committable prefix (hence counts and progress) follows just behind
 * the threads. Waiting for a retry happens on a timer, not on a pool thread. What one attempt
 * does is {@link TaskAttempts}'s.
 *
 * <p>Two lanes wait apart: the express lane's records (small jobs) and the big jobs'. While both
 * have records waiting, the threads take from them in turn, so neither a big job's backlog nor a
 * flood of small jobs holds the other lane back by more than one task per thread; alone, a lane
 * has every thread.
 */
final class TaskRunner {
  /** A thread reports what it ran after this many records, or sooner when they take time. */
  private static final int REPORT_EVERY = 64;
  private static final long REPORT_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** A fetched record to run, with where its outcome goes. */
  private record Item(Job job, ConsumerRecord<String, String> record, PartitionWork work, Settled settled) {}

  private final Vertx vertx;
  private final WorkerExecutor pool;
  private final int poolSize;
  private final TaskAttempts attempts;
  private final Predicate<String> cancelled;
  private final long retryBaseMs;
  private final long retryMaxMs;
  private final Queue<Item> express = new ConcurrentLinkedQueue<>();
  private final Queue<Item> big = new ConcurrentLinkedQueue<>();
  /** Counts the picks, whose parity says which lane goes first when both wait. */
  private final AtomicLong picks = new AtomicLong();
  private final AtomicInteger drainers = new AtomicInteger();

  /** @param cancelled whether a job is known to be cancelled: its tasks waiting here are dropped, not run */
  TaskRunner(Vertx vertx, WorkerExecutor pool, int poolSize, TaskAttempts attempts, Predicate<String> cancelled,
      long retryBaseMs, long retryMaxMs) {
    this.vertx = vertx;
    this.pool = pool;
    this.poolSize = poolSize;
    this.attempts = attempts;
    this.cancelled = cancelled;
    this.retryBaseMs = retryBaseMs;
    this.retryMaxMs = retryMaxMs;
  }

  /** Told, once per record, what came of it: its outcome, or null when it was given up unrun. */
  interface Settled {
    void settled(List<ConsumerRecord<String, String>> records, List<Outcome> outcomes);
  }

  /**
   * Queues records of one partition to run. Once the partition is given up
   * ({@link PartitionWork#abandon()}), records past the last one started are not run.
   */
  void run(Job job, List<ConsumerRecord<String, String>> records, PartitionWork work, Settled settled) {
    Queue<Item> lane = Topics.isExpress(work.partition().topic()) ? express : big;
    records.forEach(record -> lane.add(new Item(job, record, work, settled)));
    int running = drainers.get();
    while (running < poolSize && anyWaiting()) {
      if (drainers.compareAndSet(running, running + 1)) {
        drain();
      }
      running = drainers.get();
    }
  }

  /** One pool thread taking records from the queue until it is empty. */
  private void drain() {
    pool.executeBlocking(() -> {
      do {
        Report report = new Report();
        try {
          for (Item item = next(); item != null; item = next()) {
            // What this thread ran for elsewhere goes back before it starts on something that may take long.
            report.before(item);
            long startedAt = System.nanoTime();
            Task task = TaskAttempts.taskOf(item.job(), item.record());
            boolean mayStart = item.work().mayStart(item.record().offset());
            if (mayStart && cancelled.test(item.job().id())) {
              // Cancelled since its tasks were fetched: a slow task type would run them for minutes.
              report.add(item, Outcome.cancelled(item.record()));
              continue;
            }
            if (mayStart && attempts.startsAsync(task)) {
              // The task waits on I/O elsewhere: this thread goes on, the outcome settles when it comes.
              Item started = item;
              attempts.start(item.record(), task, 1)
                  .onSuccess(done -> settleOrRetry(done, started.work(), started.settled()));
              continue;
            }
            Outcome outcome = mayStart ? attempts.attempt(item.record(), task, 1) : null;
            if (mayRetry(outcome)) {
              Item failed = item;
              vertx.runOnContext(v -> retryLater(outcome, failed.work(), failed.settled()));
            } else {
              report.add(item, outcome);
            }
            if (report.due(startedAt)) {
              report.send();
            }
          }
        } finally {
          report.send();
          drainers.decrementAndGet();
        }
        // A record queued after this thread found the queue empty, but before it stopped, still runs.
      } while (anyWaiting() && claimDrainer());
      return null;
    }, false);
  }

  private boolean anyWaiting() {
    return !express.isEmpty() || !big.isEmpty();
  }

  /** The next record to run: from the lane whose turn it is, or from the other if that one is empty. */
  private Item next() {
    boolean expressFirst = picks.getAndIncrement() % 2 == 0;
    Item item = (expressFirst ? express : big).poll();
    return item != null ? item : (expressFirst ? big : express).poll();
  }

  private boolean claimDrainer() {
    int running = drainers.get();
    while (running < poolSize) {
      if (drainers.compareAndSet(running, running + 1)) {
        return true;
      }
      running = drainers.get();
    }
    return false;
  }

  /**
   * Outcomes a thread has in hand, sent on in runs bound for the same place: at most
   * {@link #REPORT_EVERY} of them, and none kept once {@link #REPORT_AFTER_NANOS} has passed or
   * the thread turns to another partition.
   */
  private static final class Report {
    private Settled settled;
    private final List<ConsumerRecord<String, String>> records = new ArrayList<>();
    private final List<Outcome> outcomes = new ArrayList<>();
    private long firstAt;

    void before(Item next) {
      if (settled != next.settled() || System.nanoTime() - firstAt >= REPORT_AFTER_NANOS) {
        send();
      }
    }

    void add(Item item, Outcome outcome) {
      if (settled != item.settled()) {
        send();
        settled = item.settled();
        firstAt = System.nanoTime();
      }
      records.add(item.record());
      outcomes.add(outcome);
    }

    /** Whether to send now, the last task having started at {@code startedAt}. */
    boolean due(long startedAt) {
      long now = System.nanoTime();
      return records.size() >= REPORT_EVERY || now - startedAt >= REPORT_AFTER_NANOS
          || now - firstAt >= REPORT_AFTER_NANOS;
    }

    void send() {
      if (!records.isEmpty()) {
        settled.settled(List.copyOf(records), new ArrayList<>(outcomes));
        records.clear();
        outcomes.clear();
      }
      settled = null;
    }
  }

  /** An outcome that came later, off the pool: recorded, or its task tried again after a wait. */
  private void settleOrRetry(Outcome outcome, PartitionWork work, Settled settled) {
    if (mayRetry(outcome)) {
      retryLater(outcome, work, settled);
    } else {
      settled.settled(List.of(outcome.record()), Collections.singletonList(outcome));
    }
  }

  private void retryLater(Outcome failed, PartitionWork work, Settled settled) {
    vertx.timer(retryDelayMs(failed), TimeUnit.MILLISECONDS)
        .compose(waited -> attemptAgain(failed, work))
        .onComplete(next -> {
          if (next.succeeded() && mayRetry(next.result())) {
            retryLater(next.result(), work, settled);
          } else {
            // Null when the partition was given up meanwhile: the task stays unrun for its next owner.
            settled.settled(List.of(failed.record()), Collections.singletonList(next.succeeded() ? next.result() : null));
          }
        });
  }

  /** The next attempt at a failed task, on the pool or started off it; null if it may no longer start. */
  private Future<Outcome> attemptAgain(Outcome failed, PartitionWork work) {
    if (!work.mayStart(failed.record().offset())) {
      return Future.succeededFuture(null);
    }
    if (cancelled.test(failed.task().jobId())) {
      return Future.succeededFuture(Outcome.cancelled(failed.record()));
    }
    if (attempts.startsAsync(failed.task())) {
      return attempts.start(failed.record(), failed.task(), failed.attempts() + 1);
    }
    return pool.executeBlocking(() -> attempts.attempt(failed.record(), failed.task(), failed.attempts() + 1), false);
  }

  private static boolean mayRetry(Outcome outcome) {
    return outcome != null && outcome.mayRetry();
  }

  /** The backoff, or longer when the other side asked for a longer wait (HTTP's Retry-After). */
  private long retryDelayMs(Outcome failed) {
    return Math.max(backoffMs(failed.attempts()), failed.retryAfterMs());
  }

  /** Exponential in the attempts made so far, capped, with "equal jitter" so retries spread out. */
  long backoffMs(int attemptsMade) {
    long exponential = Math.min(retryMaxMs, retryBaseMs << Math.min(20, attemptsMade - 1));
    return exponential / 2 + ThreadLocalRandom.current().nextLong(exponential / 2 + 1);
  }
}
