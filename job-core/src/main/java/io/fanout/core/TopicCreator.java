package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Creates jobs' topics, many jobs' in one request, and says when their partitions have leaders.
 * The broker's controller takes about as long for a request of 64 topic pairs as for a request of
 * one (on 2 cores: 947 pairs a second against 30), and requests side by side slow each other
 * down. So one request is out at a time, and the jobs that ask meanwhile go together in the next:
 * a burst of small jobs gets its topics in a few requests instead of one each. Used on one
 * verticle's context.
 */
public final class TopicCreator {
  /**
   * How long the partitions of one request may take to get leaders. Hundreds of topics in one
   * request take seconds on a busy broker (each partition is a directory and files to make), and
   * the fan-outs waiting meanwhile keep their leases.
   */
  private static final long LEADER_WAIT_MS = 60_000;
  private static final long LEADER_WAIT_STEP_MS = 20;

  private record Request(Map<String, Integer> topics, Promise<Void> ready) {}

  private final Vertx vertx;
  private final TopicAdmin admin;
  private List<Request> waiting = new ArrayList<>();
  private boolean creating;

  public TopicCreator(Vertx vertx, TopicAdmin admin) {
    this.vertx = vertx;
    this.admin = admin;
  }

  /** The admin client it creates with, for the other questions its users ask Kafka about topics. */
  public TopicAdmin admin() {
    return admin;
  }

  /**
   * Resolves once the topics (name to partition count) exist, created now or before (a resumed
   * fan-out), and every partition has a leader.
   */
  public Future<Void> create(Map<String, Integer> topics) {
    Promise<Void> ready = Promise.promise();
    waiting.add(new Request(topics, ready));
    createWaiting();
    return ready.future();
  }

  private void createWaiting() {
    if (creating || waiting.isEmpty()) {
      return;
    }
    creating = true;
    List<Request> batch = waiting;
    waiting = new ArrayList<>();
    Map<String, Integer> topics = new LinkedHashMap<>();
    batch.forEach(request -> topics.putAll(request.topics()));
    List<String> names = List.copyOf(topics.keySet());
    admin.createTopics(topics)
        .compose(created -> awaitLeaders(names, System.currentTimeMillis() + LEADER_WAIT_MS))
        .onComplete(done -> {
          creating = false;
          batch.forEach(request -> request.ready().handle(done));
          createWaiting();
        });
  }

  /**
   * Waits until every partition of the new topics has a leader, asking again only about those
   * still without one. Producing earlier meets NOT_LEADER_OR_FOLLOWER, and the idempotent
   * producer's retries of those first batches can then be refused as out of sequence for good.
   */
  private Future<Void> awaitLeaders(List<String> topics, long deadline) {
    return admin.describeTopics(topics)
        .map(descriptions -> {
          Map<String, List<Integer>> missing = PartitionLeaders.missing(descriptions);
          return topics.stream().filter(topic -> !descriptions.containsKey(topic) || missing.containsKey(topic)).toList();
        })
        .otherwise(topics)
        .compose(leaderless -> {
          if (leaderless.isEmpty()) {
            return Future.succeededFuture();
          }
          if (System.currentTimeMillis() >= deadline) {
            return Future.failedFuture("partitions of " + leaderless.size() + " new topics have no leader after "
                + LEADER_WAIT_MS + " ms");
          }
          return vertx.timer(LEADER_WAIT_STEP_MS, TimeUnit.MILLISECONDS)
              .compose(waited -> awaitLeaders(leaderless, deadline));
        });
  }
}
