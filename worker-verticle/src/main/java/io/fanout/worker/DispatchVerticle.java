package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.ControlMessage;
import io.fanout.core.FanoutMeters;
import io.fanout.core.Job;
import io.fanout.core.JobQueue;
import io.fanout.core.JobQueue.Admission;
import io.fanout.core.JobStore;
import io.fanout.core.KafkaClients;
import io.fanout.core.KafkaSink;
import io.fanout.core.RedisClients;
import io.fanout.core.ReplicaAck;
import io.fanout.core.Settings;
import io.fanout.core.JobRetention;
import io.fanout.core.StagingLedger;
import io.fanout.core.StaleUploads;
import io.fanout.core.Task;
import io.fanout.core.TopicAdmin;
import io.fanout.core.TopicCreator;
import io.fanout.core.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Moves jobs from the Redis queue into Kafka: admits a job under a lease, creates its topics,
 * and produces one task record per iteration, a window at a time. After each window it saves how
 * far it got and renews the lease, so that if this dispatcher dies another one resumes the job
 * from there once the lease runs out. A small job (the express lane) goes the same way, into the
 * shared express topic instead of a task topic of its own, and its log is the shared express
 * log: no topic is made for it, and it records where in that log its records start.
 */
public class DispatchVerticle extends VerticleBase {
  /** Windows of tasks sent but not yet checkpointed: what a dispatcher taking over may send again. */
  public static final int WINDOWS_IN_FLIGHT = 2;
  /**
   * Admissions asked of the queue at once. Each takes two Redis round trips (admit, start); one at
   * a time, a dispatcher admitted no more small jobs a second than those round trips allow (130 to
   * 190 here), whatever the clients sent. The queue's script decides each atomically, so asking
   * in parallel changes nothing about which job goes first.
   */
  private static final int ADMISSIONS_IN_FLIGHT = 16;
  private static final Logger LOG = LoggerFactory.getLogger(DispatchVerticle.class);

  private final String owner = "dispatcher-" + UUID.randomUUID();
  private Settings settings;
  private Redis redis;
  private JobQueue queue;
  private JobStore store;
  private TopicAdmin admin;
  private TopicCreator topicCreator;
  private ExpressLogEnd expressLogEnd;
  private KafkaSink producer;
  private MeterRegistry registry;
  /**
   * Big jobs' fan-outs under way here, and admissions asked that may bring one more: together at
   * most DISPATCH_CONCURRENCY. A small job's fan-out is one window and is not counted.
   */
  private int bigFanOutsRunning;
  private int bigAdmissionsAsked;
  private int admissionsAsked;
  /** A wake-up came while admissions were being asked; see {@link #admitWhileCapacity}. */
  private boolean askAgain;
  private boolean stopping;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    queue = new JobQueue(redis, ReplicaAck.from(settings));
    store = new JobStore(redis);
    admin = TopicAdmin.create(vertx, settings, owner);
    topicCreator = new TopicCreator(vertx, admin);
    registry = FanoutMeters.registry(settings);
    producer = new KafkaSink(vertx, KafkaClients.producer(settings, owner), registry);
    expressLogEnd = new ExpressLogEnd(vertx, admin);
    Future<Void> sharedTopics = topicCreator.create(Topics.shared(settings)).onSuccess(made -> expressLogEnd.start());
    new TopicJanitor(vertx, redis, store, admin, settings, owner,
        new JobRetention(redis, admin), new StaleUploads(new StagingLedger(redis), admin)).start();
    vertx.setPeriodic(settings.longValue(Settings.LEASE_MS) / 2, tick -> repairQueue());
    // Admissions begin once the shared topics are there: every admission carries the express
    // log's end, and a small job's tasks go to the express topic.
    return sharedTopics
        .compose(made -> vertx.eventBus().consumer(Addresses.QUEUE_WAKEUP, wakeup -> admitWhileCapacity()).completion())
        .onSuccess(registered -> {
          vertx.setPeriodic(settings.integer(Settings.QUEUE_POLL_MS), tick -> admitWhileCapacity());
          admitWhileCapacity();
        });
  }

  /** Finishes what a process that died between two steps of a queue change left undone ({@link JobQueue#repair}). */
  private void repairQueue() {
    queue.repair(settings.longValue(Settings.LEASE_MS))
        .onFailure(failure -> LOG.warn("Dispatcher {} could not repair the queue: {}", owner, failure.toString()));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    return Future.join(producer.closeAsync(), admin.close(), redis.close());
  }

  /**
   * Takes jobs from the queue until the queue says none may start. Each job admitted asks for the
   * next and, up to ADMISSIONS_IN_FLIGHT, for one more beside it, so a backlog is taken in
   * parallel and an empty queue costs one question. A wake-up while questions are out is kept for
   * when they come back empty: the job that caused it may have arrived just after they were asked.
   * Small jobs keep coming while this dispatcher has its fill of big fan-outs: theirs is one
   * window each.
   */
  private void admitWhileCapacity() {
    if (admissionsAsked == 0) {
      admitOne();
    } else {
      askAgain = true;
    }
  }

  private void admitOne() {
    if (stopping) {
      return;
    }
    boolean takesBig = bigFanOutsRunning + bigAdmissionsAsked < settings.integer(Settings.DISPATCH_CONCURRENCY);
    admissionsAsked++;
    if (takesBig) {
      bigAdmissionsAsked++;
    }
    // Should Kafka not say where the express log ends, 0 is a lower bound too: the admission goes
    // on, and a small job admitted now has its log read from the start of the express log.
    expressLogEnd.lowerBound().otherwise(0L)
        .compose(logEnd -> queue.admit(owner, takesBig ? settings.integer(Settings.MAX_ACTIVE_JOBS) : 0,
            settings.integer(Settings.MAX_ACTIVE_SMALL_JOBS), settings.longValue(Settings.LEASE_MS), logEnd))
        .onComplete(result -> {
          admissionsAsked--;
          if (takesBig) {
            bigAdmissionsAsked--;
          }
          if (result.failed()) {
            LOG.warn("Dispatcher {} could not admit jobs: {}", owner, result.cause().toString());
          } else if (result.result() != null) {
            fanOut(result.result());
            admitOne();
            if (admissionsAsked < ADMISSIONS_IN_FLIGHT) {
              admitOne();
            }
          } else if (askAgain) {
            askAgain = false;
            admitOne();
          }
        });
  }

  private void fanOut(Admission admission) {
    Job job = admission.job();
    String jobId = job.id();
    if (!admission.small()) {
      bigFanOutsRunning++;
    }
    // Started from a future, so that whatever fails, the counts above are given back below.
    Future.succeededFuture()
        .compose(admitted -> leased(jobId, createTopics(job)))
        .compose(created -> {
          long from = admission.produced();
          long retries = admission.retries();
          long end = retries > 0 ? retries : job.total();
          // A small job's fan-out is one line of many hundreds a second: logged at debug.
          LOG.atLevel(job.express() ? Level.DEBUG : Level.INFO).log(
              "Dispatcher {} {} job {}: producing {}tasks {}..{}", owner, admission.resumed() ? "resumes" : "starts",
              jobId, retries > 0 ? "retried " : "", from, end);
          DispatchWindow window = new DispatchWindow(settings.integer(Settings.PRODUCE_WINDOW),
              settings.longValue(Settings.PRODUCE_WINDOW_BYTES), settings.longValue(Settings.MAX_ITEM_BYTES));
          DatasetReader items = job.itemized() ? new DatasetReader(vertx, settings, owner, jobId) : null;
          Future<Boolean> produced = produceFrom(job, window, items, from, end, retries > 0, Future.succeededFuture());
          return items == null ? produced : produced.eventually(items::close);
        })
        .onComplete(result -> {
          if (!admission.small()) {
            bigFanOutsRunning--;
          }
          if (result.failed()) {
            // The lease runs out and another dispatcher (or this one) resumes from the checkpoint.
            LOG.warn("Fan-out of job {} stopped: {}", jobId, result.cause().toString());
          }
          admitWhileCapacity();
        });
  }

  /**
   * Keeps the job's lease while {@code step} runs: creating topics can take longer than a lease
   * when the broker is busy (hundreds of topics in one request), and a lease run out meanwhile
   * would have another dispatcher resume the job and send its first window twice.
   */
  private <T> Future<T> leased(String jobId, Future<T> step) {
    long leaseMs = settings.longValue(Settings.LEASE_MS);
    long renewal = vertx.setPeriodic(leaseMs / 3, tick -> queue.renewLease(jobId, owner, leaseMs));
    return step.andThen(done -> vertx.cancelTimer(renewal));
  }

  /** A big job's tasks and log topics, and the user's results topic if the job names one. */
  private Future<Void> createTopics(Job job) {
    Map<String, Integer> topics = new HashMap<>();
    if (!job.express()) {
      topics.put(Topics.tasks(job.id()), job.partitions());
      topics.put(Topics.log(job.id()), 1);
    }
    if (job.resultsTopic() != null) {
      // The user's topic: made if it does not exist yet, never deleted by Fanout.
      topics.put(job.resultsTopic(), job.partitions());
    }
    Future<Void> created = topics.isEmpty() ? Future.succeededFuture() : topicCreator.create(topics);
    // Workers would find a new task topic at their next metadata refresh, each at its own moment;
    // told together, they join the rebalance that assigns it together and share it. The express
    // topic they hold already.
    return job.express() ? created : created.onSuccess(ready ->
        vertx.eventBus().publish(Addresses.CONTROL, ControlMessage.topics(job.id()).toJson()));
  }

  /**
   * Produces tasks [from, end) a window at a time, of the job or, for a retry run, of its list
   * of failed tasks; resolves true when all are in Kafka. Two windows are in flight: the next is
   * sent while the previous one is being acknowledged, and each checkpoint waits for every
   * window up to it, so a dispatcher taking over resumes at most two windows early.
   */
  private Future<Boolean> produceFrom(Job job, DispatchWindow window, DatasetReader items, long from, long end,
      boolean retryRun, Future<Void> previous) {
    if (stopping) {
      return Future.failedFuture("dispatcher stopping");
    }
    if (from >= end) {
      return previous.compose(done -> queue.release(job.id(), owner, end))
          .onSuccess(released -> LOG.atLevel(job.express() ? Level.DEBUG : Level.INFO)
              .log("Job {}: all {} tasks are in Kafka", job.id(), end));
    }
    long to = Math.min(end, from + window.next(job.itemized()));
    Future<?> acknowledged = sendWindow(job, window, items,
        retryRun ? store.retryIndexes(job.id(), from, to) : Future.succeededFuture(null), from, to);
    // The last window is not checkpointed: the release right after it records the same count and
    // ends the lease, and no window follows that a lost lease should stop. For a one-task job
    // that is two of its Redis round trips.
    Future<Void> acknowledgedInOrder = Future.all(previous, acknowledged).mapEmpty();
    Future<Void> checkpointed = to >= end ? acknowledgedInOrder : acknowledgedInOrder
        .compose(both -> queue.checkpoint(job.id(), owner, settings.longValue(Settings.LEASE_MS), to))
        .compose(held -> held
            ? Future.<Void>succeededFuture()
            : Future.failedFuture("lease on job " + job.id() + " lost (cancelled or taken over)"));
    return previous.compose(done -> produceFrom(job, window, items, to, end, retryRun, checkpointed));
  }

  /**
   * Sends one window of tasks: indexes [from, to), or the given indexes of a retry run, with
   * their items read from the job's staging topic for a dataset job. A record is the task's
   * index and its item, as {@link Task} describes.
   */
  private Future<?> sendWindow(Job job, DispatchWindow window, DatasetReader dataset, Future<List<Long>> retryIndexes,
      long from, long to) {
    return retryIndexes.compose(retried -> {
      List<Long> indexes = retried != null ? retried : LongStream.range(from, to).boxed().toList();
      Future<List<String>> read = dataset == null || indexes.isEmpty() ? Future.succeededFuture(null)
          : retried != null ? dataset.at(indexes) : dataset.range(from, to);
      return read.compose(items -> {
        if (items != null) {
          window.read(items);
        }
        String topic = job.express() ? Topics.EXPRESS_TASKS : Topics.tasks(job.id());
        List<ProducerRecord<String, String>> records = new ArrayList<>(indexes.size());
        for (int i = 0; i < indexes.size(); i++) {
          long index = indexes.get(i);
          // Task i of a big job goes to partition i mod n: an even spread, and the client need not
          // hash every key. A small job's tasks spread over the express topic by their keys' hash.
          Integer partition = job.express() ? null : (int) (index % job.partitions());
          records.add(new ProducerRecord<>(topic, partition, Topics.taskKey(job.id(), index, job.express()),
              items == null ? null : items.get(i)));
        }
        // Counted once Kafka has them, per window: the dispatch rate costs nothing per task.
        return producer.sendAll(records).onSuccess(sent -> registry.counter(FanoutMeters.TASKS_PRODUCED,
            FanoutMeters.TAG_TYPE, job.type()).increment(records.size()));
      });
    });
  }
}
