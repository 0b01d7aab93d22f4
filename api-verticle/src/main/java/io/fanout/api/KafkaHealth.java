package io.fanout.api;

import io.fanout.core.JobQueue;
import io.fanout.core.KafkaFutures;
import io.fanout.core.PartitionLeaders;
import io.fanout.core.Topics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka part of {@code GET /health}: the cluster answers, and no running job has a task or log
 * partition without a leader. A broker can be down while the cluster answers; if it held the
 * only in-sync replica of a job's partition, that job cannot progress until the broker is back,
 * and health says so, naming the job and the partitions. Cheap: the running jobs (at most
 * {@code MAX_JOBS}, a bounded Redis read) and one describe of their topics.
 */
final class KafkaHealth {
  /** Running jobs checked at most; MAX_ACTIVE_JOBS keeps the real number far lower. */
  private static final int MAX_JOBS = 200;

  /** A check's outcome: UP or DOWN with a reason, and the jobs that cannot progress. */
  record Result(boolean up, String detail, JsonArray stalledJobs) {}

  private final Context context;
  private final Admin admin;
  private final JobQueue queue;
  private final long timeoutMs;

  /** {@code admin} is Kafka's own client: Vert.x's fails to describe a partition that has no leader. */
  KafkaHealth(Context context, Admin admin, JobQueue queue, long timeoutMs) {
    this.context = context;
    this.admin = admin;
    this.queue = queue;
    this.timeoutMs = timeoutMs;
  }

  Future<Result> check() {
    Future<Void> cluster = KafkaFutures.on(context, admin.describeCluster().clusterId()).<Void>mapEmpty()
        .timeout(timeoutMs, TimeUnit.MILLISECONDS);
    // A job admitted a moment ago may not have its topics yet: only topics that exist are described.
    Future<Map<String, List<Integer>>> leaderless = cluster
        .compose(answered -> Future.all(queue.running(MAX_JOBS), KafkaFutures.on(context, admin.listTopics().names())))
        .compose(both -> describe(topicsOf(both.resultAt(0), both.resultAt(1))))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS);
    return leaderless.transform(done -> {
      if (cluster.failed()) {
        return Future.succeededFuture(new Result(false, "DOWN: " + cluster.cause().getMessage(), new JsonArray()));
      }
      if (done.failed()) {
        return Future.succeededFuture(new Result(false, "DOWN: cannot describe the running jobs' topics: "
            + done.cause().getMessage(), new JsonArray()));
      }
      JsonArray stalled = stalledJobs(done.result());
      return Future.succeededFuture(stalled.isEmpty()
          ? new Result(true, "UP", stalled)
          : new Result(false, "DOWN: " + stalled.size() + " running job(s) have partitions without a leader",
              stalled));
    });
  }

  private Future<Map<String, List<Integer>>> describe(List<String> topics) {
    return topics.isEmpty()
        ? Future.succeededFuture(Map.of())
        : KafkaFutures.on(context, admin.describeTopics(topics).allTopicNames()).map(PartitionLeaders::missing);
  }

  /** The running jobs' topics that exist, and the express lane's, which every small job needs. */
  private static List<String> topicsOf(List<String> jobIds, Set<String> existing) {
    List<String> topics = new ArrayList<>();
    for (String shared : List.of(Topics.EXPRESS_TASKS, Topics.EXPRESS_LOG)) {
      if (existing.contains(shared)) {
        topics.add(shared);
      }
    }
    for (String jobId : jobIds) {
      for (String topic : List.of(Topics.tasks(jobId), Topics.log(jobId))) {
        if (existing.contains(topic)) {
          topics.add(topic);
        }
      }
    }
    return topics;
  }

  /**
   * One entry per job: {@code {"jobId", "leaderless": {"topic": [partitions]}}}; the express lane,
   * which holds up every small job, is the entry {@code {"lane": "express", "leaderless": ...}}.
   */
  private static JsonArray stalledJobs(Map<String, List<Integer>> leaderless) {
    Map<String, JsonObject> byJob = new TreeMap<>();
    leaderless.forEach((topic, partitions) -> {
      boolean express = Topics.isExpress(topic) || Topics.EXPRESS_LOG.equals(topic);
      String jobId = express ? "" : Topics.jobIdOf(topic);
      byJob.computeIfAbsent(jobId, id -> new JsonObject().put(express ? "lane" : "jobId", express ? "express" : id)
              .put("leaderless", new JsonObject()))
          .getJsonObject("leaderless").put(topic, new JsonArray(partitions));
    });
    return new JsonArray(new ArrayList<>(byJob.values()));
  }
}
