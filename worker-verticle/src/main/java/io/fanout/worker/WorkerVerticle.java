package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.JobStore;
import io.fanout.core.KafkaClients;
import io.fanout.core.KafkaSink;
import io.fanout.core.RedisClients;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.NewTopic;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member of the workers' consumer group. Each poll's tasks run in parallel on a bounded pool
 * ({@link TaskRunner}), their outcomes are counted once and logged ({@link OutcomeRecorder}),
 * and only then may the partition's committed offset move past them ({@link ContiguousOffsets}).
 * Fetching pauses, while polling goes on, when too many tasks are in hand or an operator pauses
 * the workers.
 */
public class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final long RETRY_DELAY_MS = 1000;
  private static final long LIVE_RECHECK_MS = 1000;
  private static final long PAUSE_RECHECK_MS = 2000;

  private final String workerId = "worker-" + UUID.randomUUID();
  private final ContiguousOffsets offsets = new ContiguousOffsets();
  private final Set<TopicPartition> assigned = new HashSet<>();
  private Settings settings;
  private Redis redis;
  private LiveJobs liveJobs;
  private WorkerExecutor pool;
  private TaskRunner runner;
  private OutcomeRecorder recorder;
  private KafkaConsumer<String, String> consumer;
  private KafkaSink producer;
  private int maxUnfinished;
  private long tasksDone;
  private long tasksFailed;
  private boolean fetchPaused;
  private boolean pausedByOperator;
  private boolean stopping;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    JobStore store = new JobStore(redis);
    liveJobs = new LiveJobs(store, LIVE_RECHECK_MS);
    int poolSize = settings.integer(Settings.WORKER_POOL);
    maxUnfinished = poolSize * settings.integer(Settings.WORKER_QUEUE_PER_THREAD);
    pool = vertx.createSharedWorkerExecutor("fanout-tasks", poolSize);
    runner = new TaskRunner(vertx, pool, poolSize, TaskHandlers.discover(), workerId,
        settings.longValue(Settings.RETRY_BASE_MS), settings.longValue(Settings.RETRY_MAX_MS));
    producer = new KafkaSink(vertx, KafkaClients.producer(settings, workerId));
    recorder = new OutcomeRecorder(vertx.eventBus(), store, producer, liveJobs, workerId);
    consumer = KafkaConsumer.create(vertx,
        KafkaClients.consumer(settings, workerId, settings.string(Settings.WORKER_GROUP)));
    consumer.partitionsAssignedHandler(partitions -> {
      assigned.addAll(partitions);
      if (fetchPaused) {
        consumer.pause(partitions);
      }
    });
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
    vertx.setPeriodic(PAUSE_RECHECK_MS, tick -> readOperatorPause());
    return ensureDeadLetterTopic()
        .compose(created -> vertx.eventBus().consumer(Addresses.CONTROL, message -> {
          if (message.body() instanceof JsonObject command) {
            onControl(command);
          }
        }).completion())
        .compose(listening -> readOperatorPause())
        .compose(read -> consumer.subscribe(Topics.TASKS_PATTERN))
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
        .eventually(() -> Future.join(consumer.close(), producer.closeAsync(), pool.close(), redis.close()));
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
        .compose(live -> live ? runAndRecord(jobId, records) : Future.succeededFuture())
        .onComplete(done -> {
          records.forEach(record -> offsets.finished(partitionOf(record), record.offset()));
          applyBackpressure();
        }));
  }

  private Future<Void> runAndRecord(String jobId, List<KafkaConsumerRecord<String, String>> records) {
    return runner.run(records).compose(outcomes -> {
      outcomes.forEach(outcome -> {
        if (outcome.succeeded()) {
          tasksDone++;
        } else {
          tasksFailed++;
        }
      });
      return untilDone(() -> recorder.record(jobId, outcomes));
    });
  }

  /** Redis or Kafka briefly unavailable must not lose counted work: try again until it lands. */
  private Future<Void> untilDone(Supplier<Future<Void>> step) {
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

  private void onControl(JsonObject command) {
    String jobId = command.getString("jobId");
    switch (command.getString("action", "")) {
      case "cancel" -> liveJobs.ended(jobId);
      case "retry" -> liveJobs.forget(jobId);
      // Subscribing again to the same pattern makes the consumer fetch metadata at once.
      case "topics" -> consumer.subscribe(Topics.TASKS_PATTERN);
      case "pause" -> setOperatorPause(true);
      case "resume" -> setOperatorPause(false);
      default -> LOG.debug("Worker {} ignores control message {}", workerId, command);
    }
  }

  /** The broadcast reaches clustered workers at once; this catches up the others. */
  private Future<Void> readOperatorPause() {
    return redis.send(Request.cmd(Command.EXISTS).arg(RedisKeys.WORKERS_PAUSED))
        .onSuccess(reply -> setOperatorPause(reply.toLong() == 1))
        .mapEmpty();
  }

  private void setOperatorPause(boolean paused) {
    if (paused != pausedByOperator) {
      pausedByOperator = paused;
      LOG.info("Worker {} {} by an operator", workerId, paused ? "paused" : "resumed");
      applyBackpressure();
    }
  }

  /** Stops fetching while paused or with too many tasks in hand; polling goes on, so the group keeps us. */
  private void applyBackpressure() {
    boolean shouldPause = pausedByOperator || offsets.unfinished() >= maxUnfinished;
    boolean mayResume = !pausedByOperator && offsets.unfinished() <= maxUnfinished / 2;
    if (!fetchPaused && shouldPause) {
      fetchPaused = true;
      consumer.pause(Set.copyOf(assigned));
    } else if (fetchPaused && mayResume) {
      fetchPaused = false;
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

  /** This worker's counters, for the node's entry in {@code GET /cluster}. */
  private void publishFigures() {
    vertx.sharedData().<String, JsonObject>getLocalMap(Addresses.WORKER_FIGURES_MAP).put(workerId, new JsonObject()
        .put("tasksDone", tasksDone)
        .put("tasksFailed", tasksFailed)
        .put("inFlight", offsets.unfinished())
        .put("pool", settings.integer(Settings.WORKER_POOL))
        .put("paused", pausedByOperator));
  }

  private Future<Void> ensureDeadLetterTopic() {
    KafkaAdminClient admin = KafkaAdminClient.create(vertx, KafkaClients.admin(settings, workerId + "-admin"));
    return admin.createTopics(List.of(new NewTopic(Topics.DEAD_LETTERS, 1, (short) 1)))
        .recover(failure -> failure instanceof TopicExistsException || failure.getCause() instanceof TopicExistsException
            ? Future.succeededFuture()
            : Future.failedFuture(failure))
        .eventually(admin::close);
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
