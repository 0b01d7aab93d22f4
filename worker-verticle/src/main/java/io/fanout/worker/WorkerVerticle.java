package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Completion;
import io.fanout.core.KafkaClients;
import io.fanout.core.RedisClients;
import io.fanout.core.Settings;
import io.fanout.core.Task;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member of the workers' consumer group. It runs each poll's tasks in parallel on a bounded
 * pool, counts their outcomes in Redis exactly once, appends each first outcome to the job's log
 * topic, and only then lets the partition's committed offset move past them.
 */
public class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final long RETRY_DELAY_MS = 1000;
  private static final long LIVE_RECHECK_MS = 1000;

  private final String workerId = "worker-" + UUID.randomUUID();
  private final ContiguousOffsets offsets = new ContiguousOffsets();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private Settings settings;
  private TaskHandlers handlers;
  private Redis redis;
  private JobStore store;
  private LiveJobs liveJobs;
  private WorkerExecutor pool;
  private KafkaConsumer<String, String> consumer;
  private KafkaProducer<String, String> producer;
  private int maxUnfinished;
  private long tasksDone;
  private long tasksFailed;
  private boolean paused;
  private boolean stopping;

  /** One task's outcome: a result, or the error of its last attempt. */
  private record Outcome(KafkaConsumerRecord<String, String> record, Task task, JsonObject result, String error) {
    boolean succeeded() {
      return error == null;
    }

    JsonObject logRecord(String workerId) {
      JsonObject log = new JsonObject()
          .put("jobId", task.jobId())
          .put("index", task.index())
          .put("status", succeeded() ? "done" : "failed")
          .put("worker", workerId)
          .put("at", System.currentTimeMillis());
      return succeeded() ? log.put("result", result) : log.put("error", error);
    }
  }

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    handlers = TaskHandlers.discover();
    redis = RedisClients.create(vertx, settings);
    store = new JobStore(redis);
    liveJobs = new LiveJobs(store, LIVE_RECHECK_MS);
    int poolSize = settings.integer(Settings.WORKER_POOL);
    maxUnfinished = poolSize * settings.integer(Settings.WORKER_QUEUE_PER_THREAD);
    pool = vertx.createSharedWorkerExecutor("fanout-tasks", poolSize);
    producer = KafkaProducer.create(vertx, KafkaClients.producer(settings, workerId));
    consumer = KafkaConsumer.create(vertx,
        KafkaClients.consumer(settings, workerId, settings.string(Settings.WORKER_GROUP)));
    consumer.partitionsAssignedHandler(assigned::addAll);
    consumer.partitionsRevokedHandler(revoked -> {
      assigned.removeAll(revoked);
      offsets.forget(revoked);
    });
    consumer.exceptionHandler(failure -> LOG.warn("Worker {} consumer error: {}", workerId, failure.toString()));
    consumer.batchHandler(this::process);
    vertx.setPeriodic(settings.integer(Settings.COMMIT_INTERVAL_MS), tick -> {
      commitFinished();
      publishFigures();
    });
    return vertx.eventBus().<JsonObject>consumer(Addresses.CONTROL, message -> onControl(message.body()))
        .completion()
        .compose(listening -> consumer.subscribe(Topics.TASKS_PATTERN))
        .onSuccess(subscribed -> LOG.info("Worker {} joined group {} with {} threads", workerId,
            settings.string(Settings.WORKER_GROUP), poolSize));
  }

  /** Finishes the tasks in hand and commits them before leaving the group. */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.sharedData().getLocalMap(Addresses.WORKER_FIGURES_MAP).remove(workerId);
    return drained()
        .compose(done -> commitFinished())
        .eventually(() -> Future.join(consumer.close(), producer.close(), pool.close(), redis.close()));
  }

  private void process(KafkaConsumerRecords<String, String> batch) {
    Map<String, List<KafkaConsumerRecord<String, String>>> byJob = new LinkedHashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      KafkaConsumerRecord<String, String> record = batch.recordAt(i);
      offsets.started(partitionOf(record), record.offset());
      byJob.computeIfAbsent(Topics.jobIdOfTasks(record.topic()), id -> new ArrayList<>()).add(record);
    }
    applyBackpressure();
    byJob.forEach((jobId, records) -> liveJobs.isLive(jobId)
        .compose(live -> live
            ? runTasks(records).compose(outcomes -> untilDone(() -> recordOutcomes(jobId, outcomes)))
            : Future.succeededFuture())
        .onComplete(done -> {
          records.forEach(record -> offsets.finished(partitionOf(record), record.offset()));
          applyBackpressure();
        }));
  }

  /** Runs the records' tasks on the pool, split in as many slices as it has threads. */
  private Future<List<Outcome>> runTasks(List<KafkaConsumerRecord<String, String>> records) {
    int slices = Math.min(records.size(), settings.integer(Settings.WORKER_POOL));
    int sliceSize = (records.size() + slices - 1) / slices;
    List<Future<List<Outcome>>> running = new ArrayList<>(slices);
    for (int from = 0; from < records.size(); from += sliceSize) {
      List<KafkaConsumerRecord<String, String>> slice =
          records.subList(from, Math.min(records.size(), from + sliceSize));
      running.add(pool.executeBlocking(() -> slice.stream().map(this::runTask).toList(), false));
    }
    return Future.all(running).map(all -> {
      List<Outcome> outcomes = new ArrayList<>(records.size());
      for (int i = 0; i < all.size(); i++) {
        outcomes.addAll(all.resultAt(i));
      }
      return outcomes;
    });
  }

  private Outcome runTask(KafkaConsumerRecord<String, String> record) {
    Task task = Task.fromJson(new JsonObject(record.value()));
    TaskHandler handler = handlers.forType(task.type());
    if (handler == null) {
      return new Outcome(record, task, null, "no handler for task type '" + task.type() + "' on " + workerId);
    }
    try {
      return new Outcome(record, task, handler.run(task), null);
    } catch (Exception e) {
      return new Outcome(record, task, null, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** Counts the outcomes once in Redis, then logs the first ones and announces progress. */
  private Future<Void> recordOutcomes(String jobId, List<Outcome> outcomes) {
    List<Long> succeeded = new ArrayList<>();
    List<Long> failed = new ArrayList<>();
    Map<Long, Outcome> byIndex = new HashMap<>();
    for (Outcome outcome : outcomes) {
      if (outcome.succeeded()) {
        tasksDone++;
        succeeded.add(outcome.task().index());
      } else {
        tasksFailed++;
        failed.add(outcome.task().index());
      }
      byIndex.put(outcome.task().index(), outcome);
    }
    Outcome last = outcomes.get(outcomes.size() - 1);
    JsonObject singleResult = last.task().total() == 1 && last.succeeded() ? last.result() : null;
    return store.recordOutcomes(jobId, succeeded, failed, singleResult, last.logRecord(workerId))
        .compose(completion -> appendToLog(jobId, completion, byIndex))
        .compose(completion -> {
          if (completion.status() == null || completion.status().isFinal()) {
            liveJobs.ended(jobId);
          }
          Future<Void> finish = completion.finishedNow() ? announceFinish(jobId, completion) : Future.succeededFuture();
          return finish.onSuccess(v -> publishProgress(jobId, last.task(), completion));
        })
        .mapEmpty();
  }

  /** This worker's counters, for the node's entry in {@code GET /cluster}. */
  private void publishFigures() {
    vertx.sharedData().<String, JsonObject>getLocalMap(Addresses.WORKER_FIGURES_MAP).put(workerId, new JsonObject()
        .put("tasksDone", tasksDone)
        .put("tasksFailed", tasksFailed)
        .put("inFlight", offsets.unfinished())
        .put("pool", settings.integer(Settings.WORKER_POOL))
        .put("paused", paused));
  }

  private void onControl(JsonObject command) {
    String jobId = command.getString("jobId");
    switch (command.getString("action", "")) {
      case "cancel" -> liveJobs.ended(jobId);
      case "retry" -> liveJobs.forget(jobId);
      default -> LOG.debug("Worker {} ignores control message {}", workerId, command);
    }
  }

  private Future<Completion> appendToLog(String jobId, Completion completion, Map<Long, Outcome> byIndex) {
    List<Future<?>> sends = new ArrayList<>(completion.firstOutcomes().size());
    for (long index : completion.firstOutcomes()) {
      sends.add(producer.send(KafkaProducerRecord.create(
          Topics.log(jobId), Long.toString(index), byIndex.get(index).logRecord(workerId).encode())));
    }
    return Future.all(sends).map(completion);
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
    return producer.send(KafkaProducerRecord.create(Topics.log(jobId), "lifecycle", event.encode()))
        .compose(sent -> store.saveLastLog(jobId, event))
        .onSuccess(saved -> vertx.eventBus().publish(Addresses.EVENTS, event));
  }

  private void publishProgress(String jobId, Task lastTask, Completion completion) {
    if (completion.status() == null) {
      return;
    }
    vertx.eventBus().publish(Addresses.PROGRESS_UPDATES, new JsonObject()
        .put("jobId", jobId)
        .put("done", completion.done())
        .put("failed", completion.failed())
        .put("total", lastTask.total())
        .put("status", completion.status().wireName())
        .put("lastIndex", lastTask.index()));
  }

  /** Redis or Kafka briefly unavailable must not lose counted work: try again until it lands. */
  private Future<Void> untilDone(java.util.function.Supplier<Future<Void>> step) {
    return step.get().recover(failure -> {
      if (stopping) {
        return Future.failedFuture(failure);
      }
      LOG.warn("Worker {} will retry recording outcomes: {}", workerId, failure.toString());
      Promise<Void> retried = Promise.promise();
      vertx.setTimer(RETRY_DELAY_MS, tick -> untilDone(step).onComplete(retried));
      return retried.future();
    });
  }

  /** Pauses fetching while too many tasks are in hand; polling goes on, so the group keeps us. */
  private void applyBackpressure() {
    if (!paused && offsets.unfinished() >= maxUnfinished && !assigned.isEmpty()) {
      paused = true;
      consumer.pause(Set.copyOf(assigned));
    } else if (paused && offsets.unfinished() <= maxUnfinished / 2) {
      paused = false;
      consumer.resume(Set.copyOf(assigned));
    }
  }

  private Future<Void> commitFinished() {
    Map<TopicPartition, Long> safe = offsets.committable();
    if (safe.isEmpty()) {
      return Future.succeededFuture();
    }
    Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
    safe.forEach((partition, offset) -> commit.put(partition, new OffsetAndMetadata(offset, "")));
    return consumer.commit(commit)
        .onSuccess(committed -> offsets.committed(safe))
        .onFailure(failure -> LOG.debug("Worker {} commit deferred: {}", workerId, failure.toString()))
        .mapEmpty();
  }

  private Future<Void> drained() {
    Promise<Void> drained = Promise.promise();
    long deadline = System.currentTimeMillis() + settings.longValue(Settings.DRAIN_TIMEOUT_MS);
    vertx.setPeriodic(0, 20, timer -> {
      if (offsets.unfinished() == 0 || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(timer);
        drained.complete();
      }
    });
    return drained.future();
  }

  private static TopicPartition partitionOf(KafkaConsumerRecord<String, String> record) {
    return new TopicPartition(record.topic(), record.partition());
  }
}
