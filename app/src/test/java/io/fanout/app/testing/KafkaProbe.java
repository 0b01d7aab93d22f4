package io.fanout.app.testing;

import io.fanout.app.FanoutApp;
import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.admin.OffsetSpec;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** Looks at topics as Kafka has them, for tests, with clients of its own (no group, no commits). */
public final class KafkaProbe implements AutoCloseable {
  private final FanoutApp app;
  private final KafkaAdminClient admin;

  public KafkaProbe(FanoutApp app) {
    this.app = app;
    this.admin = KafkaAdminClient.create(app.vertx(), KafkaClients.admin(app.settings(), "probe-" + UUID.randomUUID()));
  }

  public KafkaAdminClient admin() {
    return admin;
  }

  /**
   * Records written to the topic's first {@code partitions} partitions, as end offsets; 0 while the
   * topic does not exist. Only for topics written without transactions (task topics): in a log or
   * jobs.dlq commit markers take offsets too, so count those with {@link #logRecords} or {@link #readAll}.
   */
  public Future<Long> records(String topic, int partitions) {
    Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      ends.put(new TopicPartition(topic, p), OffsetSpec.LATEST);
    }
    return admin.listOffsets(ends)
        .map(offsets -> offsets.values().stream().mapToLong(info -> info.getOffset()).sum())
        .otherwise(0L);
  }

  /** Task records in a job's task topic, over the default partition count unless given. */
  public long taskRecords(String jobId, int partitions) {
    return Await.result(records(Topics.tasks(jobId), partitions));
  }

  public long taskRecords(String jobId) {
    return taskRecords(jobId, app.settings().integer(Settings.TASK_PARTITIONS));
  }

  /** The topics of a job that exist now (tasks, log, staging), by name. */
  public java.util.Set<String> topicsOf(String jobId) {
    String prefix = "job." + jobId + ".";
    return Await.result(admin.listTopics()).stream().filter(topic -> topic.startsWith(prefix))
        .collect(java.util.stream.Collectors.toSet());
  }

  /** Committed records of a job's log, counted one by one. */
  public long logRecords(String jobId) {
    return jobLog(jobId).size();
  }

  /**
   * Every committed record of the job's log, wherever it is: its own log topic, or, for a small
   * job, its records among the other small jobs' in the express log (their keys start with its id).
   */
  public List<KafkaConsumerRecord<String, String>> jobLog(String jobId) {
    if (Await.result(admin.listTopics()).contains(Topics.log(jobId))) {
      return readAll(Topics.log(jobId));
    }
    String prefix = Topics.logKey(Topics.EXPRESS_LOG, jobId, "");
    return readAll(Topics.EXPRESS_LOG).stream().filter(record -> record.key() != null && record.key().startsWith(prefix))
        .toList();
  }

  /** Every committed record of partition 0 of the topic, read from the beginning (read_committed). */
  public List<KafkaConsumerRecord<String, String>> readAll(String topic) {
    return readAll(topic, 0);
  }

  /**
   * Every committed record of one partition of the topic, read from the beginning (read_committed)
   * to its high watermark. A read_committed consumer's end offset is the last stable offset, which
   * a killed producer's open transaction holds back until the broker aborts it (its transaction
   * timeout, then the broker's cleanup pass); reading only to there would miss the later records
   * others committed, so the reader polls on until the abort lets it past.
   */
  public List<KafkaConsumerRecord<String, String>> readAll(String topic, int partitionNumber) {
    Map<String, String> config = KafkaClients.consumer(app.settings(), "probe-reader", "unused");
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    KafkaConsumer<String, String> consumer = KafkaConsumer.create(app.vertx(), config);
    TopicPartition partition = new TopicPartition(topic, partitionNumber);
    List<KafkaConsumerRecord<String, String>> records = new ArrayList<>();
    try {
      Await.result(consumer.assign(partition));
      long end = Await.result(admin.listOffsets(Map.of(partition, OffsetSpec.LATEST))).get(partition).getOffset();
      Await.result(consumer.seek(partition, 0));
      // Commit markers take offsets but are no records: read to the position, not to a count.
      long deadline = System.nanoTime() + Await.DEFAULT.toNanos();
      while (Await.result(consumer.position(partition)) < end) {
        if (System.nanoTime() > deadline) {
          // A topic deleted under the reader (a janitor) would otherwise keep it polling for ever.
          throw new AssertionError("could not read " + topic + " to offset " + end + " within " + Await.DEFAULT);
        }
        KafkaConsumerRecords<String, String> batch = Await.result(consumer.poll(Duration.ofMillis(500)));
        for (int i = 0; i < batch.size(); i++) {
          records.add(batch.recordAt(i));
        }
      }
      return records;
    } finally {
      Await.result(consumer.close());
    }
  }

  @Override
  public void close() {
    Await.result(admin.close());
  }
}
