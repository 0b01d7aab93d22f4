package io.fanout.api;

import io.fanout.core.Job;
import io.fanout.core.KafkaClients;
import io.fanout.core.LogLocation;
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
 * keeps no state between requests. A small job's log is its records in the shared express log
 * ({@link LogLocation}): a page starts no earlier than the job's first possible offset and passes
 * over the other jobs' records, so its offsets are the express log's.
 */
final class JobLogReader {
  private static final Duration POLL = Duration.ofMillis(200);
  private static final int MAX_POLLS = 25;
  private static final int SHARED_LOG_POLL_RECORDS = 5_000;

  private final Vertx vertx;
  private final Settings settings;
  private final KafkaAdminClient admin;

  JobLogReader(Vertx vertx, Settings settings, KafkaAdminClient admin) {
    this.vertx = vertx;
    this.settings = settings;
    this.admin = admin;
  }

  /**
   * Up to {@code limit} records from offset {@code from} of the job's log, fewer at its end; fails
   * with 410 once the topic is deleted. Workers write the log in transactions, so offsets are not
   * records: each commit marker takes one, and a page of {@code limit} records can span more
   * offsets. {@code end} is the last stable offset (the reader is read_committed) and {@code next}
   * is the offset after the page, not {@code from} plus the records returned.
   */
  Future<JsonObject> page(Job job, long askedFrom, int limit) {
    String jobId = job.id();
    LogLocation log = LogLocation.of(job);
    long from = Math.max(askedFrom, log.from());
    return present(job).compose(present -> {
      Map<String, String> config = KafkaClients.consumer(settings, "log-reader-" + UUID.randomUUID(), "unused");
      config.remove(ConsumerConfig.GROUP_ID_CONFIG);
      // In the express log the job's records lie among other jobs': a poll takes many, so that a
      // page reaches the job's first records however many of the others' lie before them.
      config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
          Integer.toString(log.keyPrefix() == null ? limit : Math.max(limit, SHARED_LOG_POLL_RECORDS)));
      KafkaConsumer<String, String> consumer = KafkaConsumer.create(vertx, config);
      TopicPartition partition = new TopicPartition(log.topic(), 0);
      JsonArray records = new JsonArray();
      return consumer.assign(partition)
          .compose(assigned -> consumer.endOffsets(partition))
          .compose(end -> {
            Future<Long> read = from >= end
                ? Future.succeededFuture(from)
                : consumer.seek(partition, from)
                    .compose(sought -> poll(consumer, partition, log, records, limit, end, MAX_POLLS));
            return read.map(next -> new JsonObject()
                .put("jobId", jobId)
                .put("from", from)
                .put("records", records)
                .put("next", next)
                .put("end", end));
          })
          .eventually(consumer::close);
    });
  }

  /**
   * Fails with 410 when the job's log is not in Kafka: not made yet, or deleted after retention
   * (a small job's records, in the shared log, count as gone from then on too).
   */
  Future<Void> present(Job job) {
    String jobId = job.id();
    Future<Boolean> present = job.express()
        ? Future.succeededFuture(job.startedAt() != null && job.topicsDeletedAt() == null)
        : admin.listTopics().map(topics -> topics.contains(Topics.log(jobId)));
    return present.compose(there -> there ? Future.<Void>succeededFuture()
        : Future.failedFuture(new ApiError(410, "log_gone", "the log of job " + jobId
            + " is not in Kafka (not started yet, or deleted TOPIC_RETENTION_MS after the job ended); its last "
            + "record is at /jobs/" + jobId + "/log/last", null)));
  }

  /**
   * Polls until the page is full or the consumer's position reaches {@code end} (a count of records
   * would never get there when markers sit among them); completes with the offset of the next page.
   */
  private Future<Long> poll(KafkaConsumer<String, String> consumer, TopicPartition partition, LogLocation log,
      JsonArray into, int limit, long end, int pollsLeft) {
    if (into.size() >= limit) {
      // The last batch may have been cut short: the next page starts after the last record taken.
      return Future.succeededFuture(into.getJsonObject(into.size() - 1).getLong("offset") + 1);
    }
    return consumer.position(partition).compose(position -> {
      if (position >= end || pollsLeft == 0) {
        // Every record below the position is in the page, bar those at or past end, which the next page has.
        return Future.succeededFuture(Math.min(position, end));
      }
      return consumer.poll(POLL).compose(batch -> {
        add(batch, log, into, limit, end);
        return poll(consumer, partition, log, into, limit, end, pollsLeft - 1);
      });
    });
  }

  private static void add(KafkaConsumerRecords<String, String> batch, LogLocation log, JsonArray into, int limit,
      long end) {
    for (int i = 0; i < batch.size() && into.size() < limit; i++) {
      KafkaConsumerRecord<String, String> record = batch.recordAt(i);
      if (record.offset() >= end) {
        break; // committed after this page was asked for; as before, a page stops at its end
      }
      if (!log.holds(record.key())) {
        continue; // another small job's record in the express log
      }
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
