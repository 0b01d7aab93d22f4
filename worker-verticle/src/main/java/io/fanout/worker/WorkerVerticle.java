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
import io.fanout.worker.http.HttpTaskHandler;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker: a member of the workers' consumer group ({@link ConsumerSession}) for big jobs' task
 * topics and one of the express lane's group for small jobs' tasks, whose tasks run in parallel
 * on one bounded pool ({@link TaskRunner}) and are counted once and logged once
 * ({@link CommitRound}, {@link OutcomeRecorder}); ARCHITECTURE.md follows a task through them.
 * This verticle wires them up and passes on what operators and dispatchers broadcast: cancels,
 * retries, pauses and new topics.
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
  private HttpTaskHandler httpTasks;
  /** The big jobs' member of the workers' group, and the express lane's of a group of its own. */
  private Lane big;
  private Lane express;
  private final List<KafkaClientMeters<?>> clientMeters = new ArrayList<>();
  private boolean pausedByOperator;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    JobStore store = new JobStore(redis, ReplicaAck.from(settings));
    liveJobs = new LiveJobs(store, LIVE_RECHECK_MS);
    pool = vertx.createSharedWorkerExecutor("fanout-tasks", settings.integer(Settings.WORKER_POOL));
    MeterRegistry registry = FanoutMeters.registry(settings);
    TaskMeters meters = new TaskMeters(registry);
    httpTasks = new HttpTaskHandler(vertx, redis, settings, liveJobs::isCancelled);
    TaskRunner runner = taskRunner(new TaskAttempts(TaskHandlers.discover().with(httpTasks), meters, workerId));
    OutcomeRecorder recorder = new OutcomeRecorder(vertx, store, liveJobs, workerId, meters);
    big = lane(registry, runner, recorder, workerId, Topics.TASKS_PATTERN, settings.string(Settings.WORKER_GROUP));
    express = lane(registry, runner, recorder, workerId + "-express", Topics.EXPRESS_PATTERN,
        Topics.expressGroup(settings.string(Settings.WORKER_GROUP)));
    vertx.setPeriodic(FIGURES_MS, tick -> publishFigures());
    vertx.setPeriodic(PAUSE_RECHECK_MS, tick -> readOperatorPause());
    return ensureSharedTopics()
        .compose(created -> vertx.eventBus().consumer(Addresses.CONTROL, this::onControl).completion())
        .compose(listening -> readOperatorPause())
        .compose(read -> Future.all(big.session().start(), express.session().start()))
        .onSuccess(joined -> LOG.info("Worker {} joined group {} with {} threads", workerId,
            settings.string(Settings.WORKER_GROUP), settings.integer(Settings.WORKER_POOL)));
  }

  private TaskRunner taskRunner(TaskAttempts attempts) {
    return new TaskRunner(vertx, pool, settings.integer(Settings.WORKER_POOL), attempts, liveJobs::isCancelled,
        settings.longValue(Settings.RETRY_BASE_MS), settings.longValue(Settings.RETRY_MAX_MS));
  }

  /**
   * One lane's member of its consumer group and its parts: the partitions it holds, the hand-off
   * to the shared runner, fetch backpressure and the commit round, each with its own Kafka client
   * factory and meters. The two lanes are two groups so that a big job's new topic, which
   * rebalances the big jobs' group, never stops the small jobs' tasks.
   */
  private Lane lane(MeterRegistry registry, TaskRunner runner, OutcomeRecorder recorder, String memberId,
      Pattern subscription, String group) {
    Map<String, Object> consumerConfig = Map.copyOf(KafkaClients.consumer(settings, memberId, group));
    Map<String, Object> producerConfig = Map.copyOf(KafkaClients.transactionalProducer(settings, memberId));
    KafkaClientMeters<KafkaConsumer<String, String>> consumers =
        KafkaClientMeters.consumers(registry, () -> new KafkaConsumer<String, String>(consumerConfig));
    KafkaClientMeters<KafkaProducer<String, String>> producers =
        KafkaClientMeters.producers(registry, () -> new KafkaProducer<String, String>(producerConfig));
    clientMeters.add(consumers);
    clientMeters.add(producers);
    Context context = vertx.getOrCreateContext();
    HeldPartitions held = new HeldPartitions();
    FetchThrottle throttle = new FetchThrottle(held,
        settings.integer(Settings.WORKER_POOL) * settings.integer(Settings.WORKER_QUEUE_PER_THREAD));
    RunnerHandoff handoff = new RunnerHandoff(context, memberId, runner, liveJobs, held);
    CommitRound commits = new CommitRound(context, memberId, recorder, liveJobs, producers, held, throttle,
        settings.longValue(Settings.COMMIT_INTERVAL_MS));
    return new Lane(new ConsumerSession(context, memberId, subscription, consumers, held, handoff, throttle, commits,
        settings.longValue(Settings.DRAIN_TIMEOUT_MS)), handoff, throttle);
  }

  /** One lane's consumer session, with the parts the verticle asks for figures and pauses. */
  private record Lane(ConsumerSession session, RunnerHandoff handoff, FetchThrottle throttle) {}

  /** Finishes the tasks in hand and commits them before leaving the group. */
  @Override
  public Future<?> stop() {
    vertx.sharedData().getLocalMap(Addresses.WORKER_FIGURES_MAP).remove(workerId);
    return Future.join(big.session().stop(), express.session().stop()).eventually(() -> {
      clientMeters.forEach(KafkaClientMeters::close);
      httpTasks.close();
      return Future.join(pool.close(), redis.close());
    });
  }

  private void onControl(Message<Object> message) {
    if (!(message.body() instanceof JsonObject json)) {
      return;
    }
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
      case TOPICS -> big.session().lookForNewTopics();
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
      big.throttle().operatorPause(paused);
      express.throttle().operatorPause(paused);
    }
  }

  /** This worker's counters, for the node's entry in {@code GET /cluster}. */
  private void publishFigures() {
    vertx.sharedData().<String, JsonObject>getLocalMap(Addresses.WORKER_FIGURES_MAP).put(workerId, new JsonObject()
        .put("tasksDone", big.handoff().tasksDone() + express.handoff().tasksDone())
        .put("tasksFailed", big.handoff().tasksFailed() + express.handoff().tasksFailed())
        .put("inFlight", big.throttle().inHand() + express.throttle().inHand())
        .put("pool", settings.integer(Settings.WORKER_POOL))
        // Paused once both lanes have stopped fetching, not when asked: a poll under way may still bring tasks.
        .put("paused", big.throttle().operatorPauseInForce() && express.throttle().operatorPauseInForce()));
  }

  private Future<Void> ensureSharedTopics() {
    TopicAdmin admin = TopicAdmin.create(vertx, settings, workerId + "-admin");
    return admin.createTopics(Topics.shared(settings)).eventually(admin::close);
  }
}
