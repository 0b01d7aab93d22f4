package io.fanout.api;

import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.KafkaConsumer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.consumer.KafkaConsumerRecords;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * Reads a page of a job's log topic: a short-lived consumer assigned to its one partition, no
 * group, no commits. Pages are rare next to tasks, so a consumer per page is cheap enough and
 * keeps no state between requests.
 */
final class JobLogReader {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final int MAX_POLLS = 25;

  private final Vertx vertx;
  private final Settings settings;
  private final KafkaAdminClient admin;

  JobLogReader(Vertx vertx, Settings settings, KafkaAdminClient admin) {
    this.vertx = vertx;
    this.settings = settings;
    this.admin = admin;
  }

  /** Records [from, from + limit) of the job's log, fewer at its end; fails with 410 once the topic is deleted. */
  Future<JsonObject> page(String jobId, long from, int limit) {
    String topic = Topics.log(jobId);
    return admin.listTopics().compose(topics -> {
      if (!topics.contains(topic)) {
        return Future.failedFuture(new ApiError(410, "log_gone", "the log of job " + jobId
            + " is not in Kafka (not started yet, or deleted after retention); its last record is at /jobs/"
            + jobId + "/log/last", null));
      }
      Map<String, String> config = KafkaClients.consumer(settings, "log-reader-" + UUID.randomUUID(), "unused");
      config.remove(ConsumerConfig.GROUP_ID_CONFIG);
      config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(limit));
      KafkaConsumer<String, String> consumer = KafkaConsumer.create(vertx, config);
      TopicPartition partition = new TopicPartition(topic, 0);
      JsonArray records = new JsonArray();
      return consumer.assign(partition)
          .compose(assigned -> consumer.endOffsets(partition))
          .compose(end -> {
            long wanted = Math.max(0, Math.min(limit, end - from));
            Future<Void> read = wanted == 0
                ? Future.succeededFuture()
                : consumer.seek(partition, from).compose(sought -> poll(consumer, records, wanted, MAX_POLLS));
            return read.map(done -> new JsonObject()
                .put("jobId", jobId)
                .put("from", from)
                .put("records", records)
                .put("next", from + records.size())
                .put("end", end));
          })
          .eventually(consumer::close);
    });
  }

  private Future<Void> poll(KafkaConsumer<String, String> consumer, JsonArray into, long wanted, int pollsLeft) {
    if (into.size() >= wanted || pollsLeft == 0) {
      return Future.succeededFuture();
    }
    return consumer.poll(POLL).compose(batch -> {
      add(batch, into, wanted);
      return poll(consumer, into, wanted, pollsLeft - 1);
    });
  }

  private static void add(KafkaConsumerRecords<String, String> batch, JsonArray into, long wanted) {
    for (int i = 0; i < batch.size() && into.size() < wanted; i++) {
      KafkaConsumerRecord<String, String> record = batch.recordAt(i);
      JsonObject entry = new JsonObject().put("offset", record.offset());
      try {
        entry.put("record", new JsonObject(record.value()));
      } catch (DecodeException e) {
        entry.put("record", record.value());
      }
      into.add(entry);
    }
  }
}
