package io.fanout.app;

import io.fanout.core.FanoutMeters;
import io.fanout.core.JobQueue;
import io.fanout.core.KafkaFutures;
import io.fanout.core.Topics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Per running job, how many of its task records the workers' group has not committed: the end
 * offsets of {@code job.<id>.tasks} minus the group's committed offsets, both asked of the admin
 * client ({@code KafkaConsumer.committed} hangs with the client versions Fanout runs). A job's
 * gauge appears when it runs and goes when it stops, so finished jobs leave no series behind.
 * Small jobs share the express topic: its lag is one series, {@code job_id="express"}.
 */
final class ConsumerLagGauges {
  private static final String EXPRESS_SERIES = "express";

  private final Context context;
  private final Admin admin;
  private final JobQueue queue;
  private final MeterRegistry registry;
  private final String group;
  private final int maxJobs;
  private final Map<String, AtomicLong> lagByJob = new HashMap<>();
  private final Map<String, Gauge> gauges = new HashMap<>();

  ConsumerLagGauges(Context context, Admin admin, JobQueue queue, MeterRegistry registry, String group, int maxJobs) {
    this.context = context;
    this.admin = admin;
    this.queue = queue;
    this.registry = registry;
    this.group = group;
    this.maxJobs = maxJobs;
  }

  /** Asks Kafka once; on the verticle's context, as the gauges' map is not shared. */
  Future<Void> refresh() {
    return Future.all(queue.running(maxJobs), KafkaFutures.on(context, admin.listTopics().names()))
        .compose(both -> {
          Set<String> existing = both.resultAt(1);
          // A job admitted a moment ago may not have its topic yet.
          List<String> topics = Stream.concat(Stream.of(Topics.EXPRESS_TASKS),
                  both.<List<String>>resultAt(0).stream().map(Topics::tasks))
              .filter(existing::contains).toList();
          return topics.isEmpty() ? Future.succeededFuture(Map.<String, Long>of()) : lagOf(topics);
        })
        .onSuccess(this::show)
        .mapEmpty();
  }

  private Future<Map<String, Long>> lagOf(List<String> topics) {
    // The express lane's consumers are a group of their own; their topic is none of the other group's.
    Future<Map<TopicPartition, OffsetAndMetadata>> committed = Future.all(
            KafkaFutures.on(context, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()),
            KafkaFutures.on(context,
                admin.listConsumerGroupOffsets(Topics.expressGroup(group)).partitionsToOffsetAndMetadata()))
        .map(both -> {
          Map<TopicPartition, OffsetAndMetadata> all = new HashMap<>(both.<Map<TopicPartition, OffsetAndMetadata>>resultAt(0));
          all.putAll(both.resultAt(1));
          return all;
        });
    Future<Map<TopicPartition, ListOffsetsResultInfo>> ends = KafkaFutures.on(context,
            admin.describeTopics(topics).allTopicNames())
        .compose(described -> {
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          for (TopicDescription topic : described.values()) {
            topic.partitions().forEach(partition ->
                latest.put(new TopicPartition(topic.name(), partition.partition()), OffsetSpec.latest()));
          }
          return KafkaFutures.on(context, admin.listOffsets(latest).all());
        });
    return Future.all(committed, ends).map(both -> {
      Map<TopicPartition, OffsetAndMetadata> done = committed.result();
      Map<String, Long> lag = new HashMap<>();
      ends.result().forEach((partition, end) -> {
        OffsetAndMetadata at = done.get(partition);
        // Nothing committed yet: the group starts from the beginning (auto.offset.reset=earliest).
        long behind = Math.max(0, end.offset() - (at == null ? 0 : at.offset()));
        String topic = partition.topic();
        lag.merge(Topics.isExpress(topic) ? EXPRESS_SERIES : Topics.jobIdOfTasks(topic), behind, Long::sum);
      });
      return lag;
    });
  }

  private void show(Map<String, Long> lag) {
    lag.forEach((jobId, behind) -> lagByJob.computeIfAbsent(jobId, this::register).set(behind));
    Set<String> gone = lagByJob.keySet().stream().filter(jobId -> !lag.containsKey(jobId))
        .collect(Collectors.toSet());
    gone.forEach(jobId -> {
      registry.remove(gauges.remove(jobId));
      lagByJob.remove(jobId);
    });
  }

  private AtomicLong register(String jobId) {
    AtomicLong behind = new AtomicLong();
    gauges.put(jobId, Gauge.builder(FanoutMeters.CONSUMER_LAG, behind::get).tag(FanoutMeters.TAG_JOB, jobId)
        .description("Task records of a running job not yet committed by the workers' group")
        .register(registry));
    return behind;
  }
}
