package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Completion;
import io.fanout.core.JobStore.Failure;
import io.fanout.core.JobStore.Success;
import io.fanout.core.Task;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a batch of one job's outcomes count, in two steps around the worker's Kafka transaction.
 * {@link #count} counts them once in Redis and says which records the transaction must carry:
 * the log record of each first outcome (and of any counted before but never logged), a
 * dead-letter record per failure, and the job's end when this batch finished it. Once the
 * transaction committed, {@link #announce} marks them logged and tells the job's watchers. The
 * progress verticles hear of a running job's counts as soon as they are counted.
 */
final class OutcomeRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);
  /** A job's log and the dead letters have one partition each; naming it spares hashing every key. */
  private static final int LOG_PARTITION = 0;

  /** What counting a batch came to, and what must go to Kafka for it. */
  record Counted(String jobId, Completion completion, List<ProducerRecord<String, String>> records,
      List<Long> logged, JsonObject finish, Task lastTask) {}

  private final EventBus eventBus;
  private final JobStore store;
  private final LiveJobs liveJobs;
  private final String workerId;

  OutcomeRecorder(EventBus eventBus, JobStore store, LiveJobs liveJobs, String workerId) {
    this.eventBus = eventBus;
    this.store = store;
    this.liveJobs = liveJobs;
    this.workerId = workerId;
  }

  Future<Counted> count(String jobId, List<Outcome> outcomes) {
    List<Success> successes = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    // In the order the script is given them, successes first: it names outcomes by that position.
    List<Outcome> inScriptOrder = new ArrayList<>(outcomes.size());
    List<Outcome> failed = new ArrayList<>();
    for (Outcome outcome : outcomes) {
      if (outcome.succeeded()) {
        successes.add(new Success(outcome.task().index(), outcome.addsToSum()));
        inScriptOrder.add(outcome);
      } else {
        failures.add(new Failure(outcome.task().index(), outcome.failureRecord(workerId)));
        failed.add(outcome);
      }
    }
    inScriptOrder.addAll(failed);
    LogRecords logRecords = new LogRecords(jobId, workerId);
    Outcome last = outcomes.get(outcomes.size() - 1);
    JsonObject singleResult = last.task().total() == 1 && last.succeeded() ? last.result() : null;
    return store.recordOutcomes(jobId, successes, failures, singleResult, logRecords.of(last))
        .map(completion -> {
          if (completion.status() == JobState.CANCELLED) {
            liveJobs.ended(jobId);
          }
          if (completion.status() == JobState.RUNNING) {
            // Counts are durable in Redis now: browsers need not wait for the log's transaction.
            announceProgress(jobId, last.task(), completion);
          }
          String log = Topics.log(jobId);
          List<ProducerRecord<String, String>> records = new ArrayList<>(outcomes.size() + 1);
          List<Long> logged = new ArrayList<>(outcomes.size());
          Iterator<Integer> notToLog = completion.notToLog().iterator();
          int skip = notToLog.hasNext() ? notToLog.next() : -1;
          for (int position = 0; position < inScriptOrder.size(); position++) {
            if (position == skip) {
              skip = notToLog.hasNext() ? notToLog.next() : -1;
              continue;
            }
            Outcome outcome = inScriptOrder.get(position);
            long index = outcome.task().index();
            records.add(new ProducerRecord<>(log, LOG_PARTITION, Long.toString(index), logRecords.of(outcome)));
            logged.add(index);
            if (!outcome.succeeded()) {
              records.add(new ProducerRecord<>(Topics.DEAD_LETTERS, LOG_PARTITION, jobId,
                  outcome.failureRecord(workerId).encode()));
            }
          }
          JsonObject finish = completion.finishedNow() ? finishEvent(jobId, completion) : null;
          if (finish != null) {
            records.add(new ProducerRecord<>(log, LOG_PARTITION, "lifecycle", finish.encode()));
          }
          return new Counted(jobId, completion, records, logged, finish, last.task());
        });
  }

  /** After the transaction: what is now durable in Kafka is marked and told. */
  Future<Void> announce(Counted counted) {
    String jobId = counted.jobId();
    Completion completion = counted.completion();
    // What is in the log is told whether or not the marks land.
    Future<Void> told = counted.finish() == null ? Future.succeededFuture() : store.saveLastLog(jobId, counted.finish())
        .eventually(() -> {
          LOG.info("Job {} {}: {} done, {} failed", jobId, completion.status().wireName(), completion.done(),
              completion.failed());
          eventBus.publish(Addresses.EVENTS, counted.finish());
          return Future.succeededFuture();
        });
    return Future.all(store.markLogged(jobId, counted.logged()), told)
        .eventually(() -> {
          if (completion.status() != JobState.RUNNING) {
            // A job's end is shown once its end record is in the log.
            announceProgress(jobId, counted.lastTask(), completion);
          }
          return Future.succeededFuture();
        })
        .mapEmpty();
  }

  private static JsonObject finishEvent(String jobId, Completion completion) {
    return new JsonObject()
        .put("jobId", jobId)
        .put("event", completion.status().wireName())
        .put("done", completion.done())
        .put("failed", completion.failed())
        .put("at", System.currentTimeMillis());
  }

  private void announceProgress(String jobId, Task lastTask, Completion completion) {
    if (completion.status() == null) {
      return;
    }
    eventBus.publish(Addresses.PROGRESS_UPDATES, new JsonObject()
        .put("jobId", jobId)
        .put("done", completion.done())
        .put("failed", completion.failed())
        .put("total", lastTask.total())
        .put("status", completion.status().wireName())
        .put("lastIndex", lastTask.index()));
  }
}
