package io.fanout.worker;

import io.fanout.core.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of the workers' consumer group: the loop that polls the task topics, hands what it
 * polls to the runner ({@link RunnerHandoff}), throttles fetching ({@link FetchThrottle}), hands
 * partitions over in rebalances ({@link RebalanceHandover}) and runs a {@link CommitRound} every
 * commit interval. A session is one consumer and one transactional producer, from joining the
 * group to leaving it; anything unexpected closes both without committing and starts a new
 * session, and the group hands the partitions out again from their committed offsets. At shutdown
 * the tasks in hand are finished and committed before the member leaves.
 *
 * <p>The loop runs on a thread of its own, the only one that touches the consumer, the producer
 * and {@link HeldPartitions}. A {@code KafkaConsumer} is single-threaded and its {@code poll},
 * transaction commits and the waits for Redis block, for the whole life of the verticle: a
 * dedicated thread is the standard shape for such a loop. A Vert.x worker ({@code executeBlocking})
 * would hold a pool thread forever and trip the blocked-thread checker, and the loop waits for
 * work it schedules on the verticle's context, so it must never run on that context.
 */
final class ConsumerSession {
  private static final Logger LOG = LoggerFactory.getLogger(ConsumerSession.class);
  private static final Duration BUSY_POLL = Duration.ofMillis(5);
  private static final Duration IDLE_POLL = Duration.ofMillis(100);
  private static final long RESTART_DELAY_MS = 1_000;

  private final Context context;
  private final String workerId;
  private final Pattern subscription;
  private final Supplier<KafkaConsumer<String, String>> newConsumer;
  private final HeldPartitions held;
  private final RunnerHandoff handoff;
  private final FetchThrottle throttle;
  private final CommitRound commits;
  private final long drainTimeoutMs;
  private final AtomicBoolean lookForTopics = new AtomicBoolean();
  private final Promise<Void> joined = Promise.promise();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean stopping;
  private KafkaConsumer<String, String> consumer;
  private boolean hasJoined;

  ConsumerSession(Context context, String workerId, Pattern subscription,
      Supplier<KafkaConsumer<String, String>> newConsumer, HeldPartitions held, RunnerHandoff handoff,
      FetchThrottle throttle, CommitRound commits, long drainTimeoutMs) {
    this.context = context;
    this.workerId = workerId;
    this.subscription = subscription;
    this.newConsumer = newConsumer;
    this.held = held;
    this.handoff = handoff;
    this.throttle = throttle;
    this.commits = commits;
    this.drainTimeoutMs = drainTimeoutMs;
  }

  /** Starts the consumer's thread; resolves once it has joined the group's subscription. */
  Future<Void> start() {
    Thread thread = new Thread(this::run, "fanout-consumer-" + workerId);
    thread.start();
    return joined.future();
  }

  /** Finishes the tasks in hand, commits them and leaves the group; resolves when done. */
  Future<Void> stop() {
    stopping = true;
    return Future.fromCompletionStage(stopped, context);
  }

  /** Subscribing again makes the consumer fetch metadata at once and so find a new job's topic. */
  void lookForNewTopics() {
    lookForTopics.set(true);
  }

  private void run() {
    try {
      while (!stopping) {
        try {
          session();
        } catch (Exception | LinkageError unexpected) {
          closeWithoutCommitting();
          if (!hasJoined) {
            // Never got going (no broker?): the deployment fails, and this thread ends.
            stopping = true;
            context.runOnContext(v -> joined.tryFail(unexpected));
          } else {
            LOG.error("Worker {} restarts its consumer after: {}", workerId, unexpected.toString(), unexpected);
            sleepBeforeRestart();
          }
        }
      }
    } finally {
      stopped.complete(null);
    }
  }

  /** One consumer and producer, from joining the group to leaving it. */
  private void session() {
    commits.openProducer();
    consumer = newConsumer.get();
    RebalanceHandover handover =
        new RebalanceHandover(workerId, consumer, held, throttle, handoff, commits, drainTimeoutMs);
    consumer.subscribe(subscription, handover);
    throttle.attach(consumer);
    hasJoined = true;
    context.runOnContext(v -> joined.tryComplete());
    while (!stopping) {
      if (lookForTopics.getAndSet(false)) {
        consumer.subscribe(subscription, handover);
      }
      throttle.apply();
      ConsumerRecords<String, String> polled = consumer.poll(held.busy() ? BUSY_POLL : IDLE_POLL);
      handoff.hand(polled);
      handoff.takeReturns(0);
      if (commits.due()) {
        commits.run(consumer);
      }
    }
    handoff.awaitReturns(held::allFinished, drainTimeoutMs);
    handover.leave(held.partitions(), true);
    commits.awaitAnnounced();
    consumer.close();
    commits.closeProducer();
  }

  private void closeWithoutCommitting() {
    held.closeAll();
    try {
      if (consumer != null) {
        consumer.close(Duration.ZERO);
      }
    } catch (RuntimeException ignored) {
      // Closing is best effort here: the group notices a silent member by its session timeout.
    }
    commits.closeProducerNow();
  }

  private void sleepBeforeRestart() {
    try {
      Thread.sleep(RESTART_DELAY_MS);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
  }
}
