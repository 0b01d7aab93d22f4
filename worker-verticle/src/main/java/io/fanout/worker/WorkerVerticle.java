package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.ControlMessage;
import io.fanout.core.FanoutMeters;
import io.fanout.core.JobStore;
import io.fanout.core.KafkaClientMeters;
import io.fanout.core.KafkaClients;
import io.fanout.core.RedisClients;
import io.fanout.core.RedisKeys;
import io.fanout.core.ReplicaAck;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.fanout.core.TopicAdmin;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker: a member of the workers' consumer group ({@link TaskConsumer}) whose tasks run in
 * parallel on a bounded pool ({@link TaskRunner}) and are counted once and logged once
 * ({@link OutcomeRecorder}). This verticle wires them up and passes on what operators and
 * dispatchers broadcast: cancels, retries, pauses and new topics.
 */
public class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final long LIVE_RECHECK_MS = 1000;
  private static final long PAUSE_RECHECK_MS = 2000;
  private static final long FIGURES_MS = 500;

  private final String workerId = "worker-" + UUID.randomUUID();
  private Settings settings;
  private Redis redis;
  private LiveJobs liveJobs;
  private WorkerExecutor pool;
  private TaskConsumer consumer;
  private KafkaClientMeters<KafkaConsumer<String, String>> consumerMeters;
  private KafkaClientMeters<KafkaProducer<String, String>> producerMeters;
  private boolean pausedByOperator;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    JobStore store = new JobStore(redis, ReplicaAck.from(settings));
    liveJobs = new LiveJobs(store, LIVE_RECHECK_MS);
    int poolSize = settings.integer(Settings.WORKER_POOL);
    pool = vertx.createSharedWorkerExecutor("fanout-tasks", poolSize);
    MeterRegistry registry = FanoutMeters.registry(settings);
    TaskMeters meters = new TaskMeters(registry);
    TaskRunner runner = new TaskRunner(vertx, pool, poolSize, TaskHandlers.discover(), meters, workerId,
        settings.longValue(Settings.RETRY_BASE_MS), settings.longValue(Settings.RETRY_MAX_MS));
    OutcomeRecorder recorder = new OutcomeRecorder(vertx.eventBus(), store, liveJobs, workerId, meters);
    Map<String, Object> consumerConfig =
        Map.copyOf(KafkaClients.consumer(settings, workerId, settings.string(Settings.WORKER_GROUP)));
    Map<String, Object> producerConfig = Map.copyOf(KafkaClients.transactionalProducer(settings, workerId));
    consumerMeters = KafkaClientMeters.consumers(registry, () -> new KafkaConsumer<String, String>(consumerConfig));
    producerMeters = KafkaClientMeters.producers(registry, () -> new KafkaProducer<String, String>(producerConfig));
    consumer = new TaskConsumer(vertx.getOrCreateContext(), workerId, runner, liveJobs, recorder,
        consumerMeters, producerMeters,
        poolSize * settings.integer(Settings.WORKER_QUEUE_PER_THREAD),
        settings.longValue(Settings.COMMIT_INTERVAL_MS), settings.longValue(Settings.DRAIN_TIMEOUT_MS));
    vertx.setPeriodic(FIGURES_MS, tick -> publishFigures());
    vertx.setPeriodic(PAUSE_RECHECK_MS, tick -> readOperatorPause());
    return ensureDeadLetterTopic()
        .compose(created -> vertx.eventBus().consumer(Addresses.CONTROL, message -> {
          if (message.body() instanceof JsonObject command) {
            onControl(command);
          }
        }).completion())
        .compose(listening -> readOperatorPause())
        .compose(read -> consumer.start())
        .onSuccess(joined -> LOG.info("Worker {} joined group {} with {} threads", workerId,
            settings.string(Settings.WORKER_GROUP), poolSize));
  }

  /** Finishes the tasks in hand and commits them before leaving the group. */
  @Override
  public Future<?> stop() {
    vertx.sharedData().getLocalMap(Addresses.WORKER_FIGURES_MAP).remove(workerId);
    return consumer.stop().eventually(() -> {
      consumerMeters.close();
      producerMeters.close();
      return Future.join(pool.close(), redis.close());
    });
  }

  private void onControl(JsonObject json) {
    ControlMessage command;
    try {
      command = ControlMessage.fromJson(json);
    } catch (IllegalArgumentException e) {
      LOG.debug("Worker {} ignores control message {}: {}", workerId, json, e.getMessage());
      return;
    }
    switch (command.action()) {
      case CANCEL -> liveJobs.ended(command.jobId());
      case RETRY -> liveJobs.forget(command.jobId());
      case TOPICS -> consumer.lookForNewTopics();
      case PAUSE -> setOperatorPause(true);
      case RESUME -> setOperatorPause(false);
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
      consumer.operatorPause(paused);
    }
  }

  /** This worker's counters, for the node's entry in {@code GET /cluster}. */
  private void publishFigures() {
    vertx.sharedData().<String, JsonObject>getLocalMap(Addresses.WORKER_FIGURES_MAP).put(workerId, new JsonObject()
        .put("tasksDone", consumer.tasksDone())
        .put("tasksFailed", consumer.tasksFailed())
        .put("inFlight", consumer.inHand())
        .put("pool", settings.integer(Settings.WORKER_POOL))
        .put("paused", pausedByOperator));
  }

  private Future<Void> ensureDeadLetterTopic() {
    TopicAdmin admin = TopicAdmin.create(vertx, settings, workerId + "-admin");
    return admin.createTopics(Map.of(Topics.DEAD_LETTERS, 1)).eventually(admin::close);
  }
}
