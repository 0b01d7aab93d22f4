package io.fanout.app.bench;

import io.fanout.core.Topics;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a job's log topic straight from Kafka: each task's first outcome carries {@code at}, the
 * epoch ms it finished, which is what the latency figures start or end at. One consumer, no
 * group, reused for every job.
 */
final class JobLog implements AutoCloseable {
  private final KafkaConsumer<String, String> consumer;

  JobLog(String bootstrapServers) {
    this.consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
        // Workers write the log in transactions: an aborted attempt's outcome is not a finish time.
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000"));
  }

  /**
   * The finish times (epoch ms) of the job's tasks that succeeded, in log order. The log can trail
   * the job's final state by a batch or two, so it reads until {@code expected} are there or the
   * timeout passes.
   */
  List<Long> doneTimes(String jobId, long expected, Duration timeout) {
    TopicPartition log = new TopicPartition(Topics.log(jobId), 0);
    consumer.assign(List.of(log));
    consumer.seekToBeginning(List.of(log));
    List<Long> times = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (times.size() < expected && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
        JsonObject value = new JsonObject(record.value());
        if ("done".equals(value.getString("status")) && value.getLong("at") != null) {
          times.add(value.getLong("at"));
        }
      }
    }
    consumer.unsubscribe();
    return times;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
