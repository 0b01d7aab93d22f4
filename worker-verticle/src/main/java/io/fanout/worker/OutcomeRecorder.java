package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Completion;
import io.fanout.core.JobStore.Failure;
import io.fanout.core.JobStore.Success;
import io.fanout.core.LifecycleEvent;
import io.fanout.core.ProgressUpdate;
import io.fanout.core.Task;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Makes a round's outcomes of one job count, in steps around the worker's Kafka transaction.
 * {@link #prepare} writes the records the transaction would carry if every outcome were a first
 * one: a log record each, and a dead-letter record per failure. {@link #count} counts them once
 * in Redis and says which records the transaction must really carry: those of the outcomes
 * counted now, of any counted before but never logged, and the job's end when this round
 * finished it. Once the transaction committed, {@link #announce} marks them logged and tells the
 * job's watchers (and counts the dead letters it carried). The progress verticles hear of a
 * running job's counts as soon as they are counted.
 */
final class OutcomeRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);
  /** A job's log and the dead letters have one partition each; naming it spares hashing every key. */
  private static final int LOG_PARTITION = 0;
  /** How often marks that did not land are asked again, while Redis is away. */
  private static final long MARK_RETRY_MS = 1_000;
  /** Rounds' marks asked again at most at once: when Redis comes back they all go to its client's queue. */
  private static final int MARKS_ASKED_AGAIN = 512;

  /**
   * One job's outcomes of a round, each task once, with the records that would log them all.
   *
   * @param outcomes successes first, then failures: the order the counting script is given them
   * @param records per outcome, its log record and, for a failure, its dead-letter record
   * @param ahead whether the records go into the transaction while Redis counts them: not for a
   *     job known to have ended, whose topics may be deleted by now ({@link LiveJobs#hasEnded}),
   *     nor for one whose end waits for its other tasks to be logged ({@link EndWaits})
   */
  record Prepared(String jobId, List<Outcome> outcomes, List<List<ProducerRecord<String, String>>> records,
      boolean ahead) {

    /** Every record, for a round in which every outcome is a first one (nearly every round). */
    List<ProducerRecord<String, String>> allRecords() {
      return records.stream().flatMap(List::stream).toList();
    }

    Outcome last() {
      return outcomes.get(outcomes.size() - 1);
    }

    /** The log record of the last outcome: what the job shows as its last log record. */
    String lastLogRecord() {
      return records.get(records.size() - 1).get(0).value();
    }
  }

  /** What counting a round came to, and what must go to Kafka for it. */
  record Counted(Prepared prepared, Completion completion, JsonObject finish) {

    /**
     * Whether the records sent ahead, if any, are what is to be logged: every outcome a first
     * one, as {@link Prepared#allRecords} guessed.
     */
    boolean sentAheadAsCounted() {
      return !prepared.ahead()
          || prepared.outcomes().stream().allMatch(outcome -> completion.logs(outcome.task().index()));
    }

    /** The records of the outcomes to be logged. */
    List<ProducerRecord<String, String>> records() {
      List<ProducerRecord<String, String>> records = new ArrayList<>();
      for (int i = 0; i < prepared.outcomes().size(); i++) {
        if (completion.logs(prepared.outcomes().get(i).task().index())) {
          records.addAll(prepared.records().get(i));
        }
      }
      return records;
    }

    /** How many dead-letter records the transaction carries: one per failure it logs. */
    int deadLetters() {
      int records = 0;
      for (Outcome outcome : prepared.outcomes()) {
        if (!outcome.succeeded() && completion.logs(outcome.task().index())) {
          records++;
        }
      }
      return records;
    }

    /** The indexes of the tasks whose record the transaction carries: marked logged once it commits. */
    List<Long> toMarkLogged() {
      return prepared.outcomes().stream().map(outcome -> outcome.task().index()).filter(completion::logs).toList();
    }

    /** The record of the job's end, when this round ended it (or must tell it again); else null. */
    ProducerRecord<String, String> finishRecord() {
      return finish == null ? null
          : logRecord(prepared.last().task(), LifecycleEvent.LOG_KEY, finish.encode());
    }

    Task lastTask() {
      return prepared.last().task();
    }
  }

  private final Vertx vertx;
  private final EventBus eventBus;
  private final JobStore store;
  private final LiveJobs liveJobs;
  private final String workerId;
  private final TaskMeters meters;
  private final EndWaits endWaits = new EndWaits();
  /** On the verticle's context only. */
  private int marksAskedAgain;

  OutcomeRecorder(Vertx vertx, JobStore store, LiveJobs liveJobs, String workerId, TaskMeters meters) {
    this.vertx = vertx;
    this.eventBus = vertx.eventBus();
    this.store = store;
    this.liveJobs = liveJobs;
    this.workerId = workerId;
    this.meters = meters;
  }

  /**
   * On any thread: puts the outcomes in the script's order, each task once (a dispatcher that
   * resumed after a crash can have written a task twice), and writes their records.
   */
  Prepared prepare(String jobId, List<Outcome> outcomes) {
    Set<Long> seen = new HashSet<>(2 * outcomes.size());
    List<Outcome> inScriptOrder = new ArrayList<>(outcomes.size());
    List<Outcome> failed = new ArrayList<>();
    for (Outcome outcome : outcomes) {
      if (seen.add(outcome.task().index())) {
        (outcome.succeeded() ? inScriptOrder : failed).add(outcome);
      }
    }
    inScriptOrder.addAll(failed);
    LogRecords logRecords = new LogRecords(jobId, workerId);
    List<List<ProducerRecord<String, String>>> records = new ArrayList<>(inScriptOrder.size());
    for (Outcome outcome : inScriptOrder) {
      ProducerRecord<String, String> logRecord =
          logRecord(outcome.task(), Long.toString(outcome.task().index()), logRecords.of(outcome));
      if (outcome.succeeded() && outcome.task().resultsTopic() != null) {
        // In the same transaction as the log record, and only with it: the user's topic gets each result once.
        records.add(List.of(logRecord, new ProducerRecord<>(outcome.task().resultsTopic(),
            jobId + ":" + outcome.task().index(), String.valueOf(outcome.result()))));
        continue;
      }
      records.add(outcome.succeeded() ? List.of(logRecord) : List.of(logRecord,
          new ProducerRecord<>(Topics.DEAD_LETTERS, LOG_PARTITION, jobId, outcome.failureRecord(workerId).encode())));
    }
    return new Prepared(jobId, inScriptOrder, records, !liveJobs.hasEnded(jobId) && !endWaits.waiting(jobId));
  }

  /** A record of the task's job's log, in its own log or the express log. */
  private static ProducerRecord<String, String> logRecord(Task task, String key, String value) {
    return new ProducerRecord<>(task.logTopic(), LOG_PARTITION, Topics.logKey(task.logTopic(), task.jobId(), key), value);
  }

  /** On the verticle's context: counts the outcomes once in Redis. */
  Future<Counted> count(Prepared prepared) {
    String jobId = prepared.jobId();
    List<Success> successes = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    for (Outcome outcome : prepared.outcomes()) {
      if (outcome.succeeded()) {
        successes.add(new Success(outcome.task().index(), outcome.addsToSum()));
      } else {
        failures.add(new Failure(outcome.task().index(), outcome.failureRecord(workerId)));
      }
    }
    Outcome last = prepared.last();
    JsonObject singleResult = last.task().total() == 1 && last.succeeded() ? last.result() : null;
    long now = System.currentTimeMillis();
    boolean endOnceLogged = endWaits.endOnceLogged(jobId, now);
    return store.recordOutcomes(jobId, successes, failures, singleResult, prepared.lastLogRecord(), endOnceLogged)
        .map(completion -> {
          if (completion.waitsForLog()) {
            if (endWaits.waits(jobId, now)) {
              // At debug: a job run by several workers often ends so, each waiting milliseconds for the others' marks.
              LOG.debug("Job {} ends once {} task(s) counted elsewhere are logged: its last outcomes wait for them",
                  jobId, completion.unloggedElsewhere());
            }
            return new Counted(prepared, completion, null);
          }
          long waitedMs = endWaits.over(jobId, now);
          if (waitedMs >= 0 && !endOnceLogged) {
            LOG.warn("Job {} ends after waiting {} ms for tasks counted elsewhere to be logged; those not logged yet "
                + "are logged when they run again", jobId, waitedMs);
          }
          if (Topics.EXPRESS_LOG.equals(last.task().logTopic())) {
            if (completion.status() == JobState.CANCELLED) {
              liveJobs.ended(jobId);
            }
          } else {
            // A big job's own topics go some time after its end: the commit rounds must know it has ended.
            liveJobs.counted(jobId, completion.status());
          }
          if (completion.status() == JobState.RUNNING) {
            // Counts are durable in Redis now: browsers need not wait for the log's transaction.
            announceProgress(jobId, last.task(), completion);
          }
          return new Counted(prepared, completion, completion.finishedNow() ? finishEvent(jobId, completion) : null);
        });
  }

  /** After the transaction: what is now durable in Kafka is marked and told. */
  Future<Void> announce(Counted counted) {
    String jobId = counted.prepared().jobId();
    Completion completion = counted.completion();
    int deadLetters = counted.deadLetters();
    if (deadLetters > 0) {
      meters.forType(counted.lastTask().type()).deadLettered(deadLetters);
    }
    // What is in the log is told whether or not the marks land.
    List<Long> logged = counted.toMarkLogged();
    Future<Void> marked = store.markLogged(jobId, logged, counted.finish());
    marked.onFailure(failed -> {
      if (marksAskedAgain < MARKS_ASKED_AGAIN) {
        marksAskedAgain++;
        markAgainLater(jobId, logged, counted.finish(), System.currentTimeMillis() + EndWaits.LOG_WAIT_MS);
      }
    });
    return marked
        .eventually(() -> {
          if (counted.finish() != null) {
            // Small jobs end hundreds a second: their ends are logged at debug, and counted in the metrics.
            LOG.atLevel(Topics.EXPRESS_LOG.equals(counted.lastTask().logTopic()) ? Level.DEBUG : Level.INFO)
                .log("Job {} {}: {} done, {} failed", jobId, completion.status().wireName(), completion.done(),
                    completion.failed());
            eventBus.publish(Addresses.EVENTS, counted.finish());
          }
          if (completion.status() != JobState.RUNNING) {
            // A job's end is shown once its end record is in the log.
            announceProgress(jobId, counted.lastTask(), completion);
          }
          return Future.succeededFuture();
        });
  }

  /**
   * Marks that did not land (Redis away: an outage, a failover) are asked again in the background
   * until the deadline: a lost mark holds the job's end back ({@link EndWaits}) and lets a re-run
   * copy of its tasks be logged twice.
   */
  private void markAgainLater(String jobId, List<Long> indexes, JsonObject endRecord, long deadline) {
    vertx.setTimer(MARK_RETRY_MS, tick -> store.markLogged(jobId, indexes, endRecord).onComplete(done -> {
      if (done.failed() && System.currentTimeMillis() < deadline) {
        markAgainLater(jobId, indexes, endRecord, deadline);
        return;
      }
      marksAskedAgain--;
      if (done.failed()) {
        LOG.warn("Worker {} could not mark {} logged task(s) of job {}: {}", workerId, indexes.size(), jobId,
            done.cause().toString());
      }
    }));
  }

  private static JsonObject finishEvent(String jobId, Completion completion) {
    return LifecycleEvent.now(jobId, completion.status(), completion.done(), completion.failed()).toJson();
  }

  private void announceProgress(String jobId, Task lastTask, Completion completion) {
    if (completion.status() == null) {
      return;
    }
    eventBus.publish(Addresses.PROGRESS_UPDATES, new ProgressUpdate(jobId, completion.done(), completion.failed(),
        lastTask.total(), completion.status(), lastTask.index()).toJson());
  }
}
