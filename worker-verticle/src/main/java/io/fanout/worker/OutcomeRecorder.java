package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Completion;
import io.fanout.core.JobStore.Failure;
import io.fanout.core.JobStore.Success;
import io.fanout.core.KafkaSink;
import io.fanout.core.Task;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a batch of one job's outcomes count: counted once in Redis, the first ones appended to
 * the job's log (and failures to the dead-letter topic), the job's end announced once, and the
 * progress made told to the progress verticles.
 */
final class OutcomeRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(OutcomeRecorder.class);

  private final EventBus eventBus;
  private final JobStore store;
  private final KafkaSink producer;
  private final LiveJobs liveJobs;
  private final String workerId;

  OutcomeRecorder(EventBus eventBus, JobStore store, KafkaSink producer, LiveJobs liveJobs, String workerId) {
    this.eventBus = eventBus;
    this.store = store;
    this.producer = producer;
    this.liveJobs = liveJobs;
    this.workerId = workerId;
  }

  Future<Void> record(String jobId, List<Outcome> outcomes) {
    List<Success> successes = new ArrayList<>();
    List<Failure> failures = new ArrayList<>();
    Map<Long, Outcome> byIndex = new HashMap<>();
    for (Outcome outcome : outcomes) {
      byIndex.put(outcome.task().index(), outcome);
      if (outcome.succeeded()) {
        successes.add(new Success(outcome.task().index(), outcome.addsToSum()));
      } else {
        failures.add(new Failure(outcome.task().index(), outcome.failureRecord(workerId)));
      }
    }
    Outcome last = outcomes.get(outcomes.size() - 1);
    JsonObject singleResult = last.task().total() == 1 && last.succeeded() ? last.result() : null;
    return store.recordOutcomes(jobId, successes, failures, singleResult, last.logRecord(workerId))
        .compose(completion -> appendFirsts(jobId, completion, byIndex))
        .compose(completion -> {
          if (completion.status() == null || completion.status().isFinal()) {
            liveJobs.ended(jobId);
          }
          Future<Void> finish = completion.finishedNow() ? announceFinish(jobId, completion) : Future.succeededFuture();
          return finish.onSuccess(v -> announceProgress(jobId, last.task(), completion));
        });
  }

  /**
   * The first outcome of each task goes to the job's log (a first failure also to the dead
   * letters), and is then marked logged, so that a worker dying in between only means the task's
   * next run logs it.
   */
  private Future<Completion> appendFirsts(String jobId, Completion completion, Map<Long, Outcome> byIndex) {
    List<Long> toLog = completion.toLog();
    List<ProducerRecord<String, String>> records = new ArrayList<>(toLog.size());
    for (long index : toLog) {
      Outcome outcome = byIndex.get(index);
      String key = Long.toString(index);
      records.add(new ProducerRecord<>(Topics.log(jobId), key, outcome.logRecord(workerId).encode()));
      if (!outcome.succeeded()) {
        records.add(new ProducerRecord<>(Topics.DEAD_LETTERS, jobId, outcome.failureRecord(workerId).encode()));
      }
    }
    return producer.sendAll(records)
        .compose(sent -> store.markLogged(jobId, toLog))
        .map(completion);
  }

  private Future<Void> announceFinish(String jobId, Completion completion) {
    JsonObject event = new JsonObject()
        .put("jobId", jobId)
        .put("event", completion.status().wireName())
        .put("done", completion.done())
        .put("failed", completion.failed())
        .put("at", System.currentTimeMillis());
    LOG.info("Job {} {}: {} done, {} failed", jobId, completion.status().wireName(), completion.done(),
        completion.failed());
    // Announce only what is durable: the lifecycle record is in the log and in Redis first.
    return producer.sendAll(List.of(new ProducerRecord<>(Topics.log(jobId), "lifecycle", event.encode())))
        .compose(sent -> store.saveLastLog(jobId, event))
        .onSuccess(saved -> eventBus.publish(Addresses.EVENTS, event));
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
