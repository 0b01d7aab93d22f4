package io.fanout.api;

import io.fanout.core.KafkaSink;
import io.fanout.core.Settings;
import io.fanout.core.StagingLedger;
import io.fanout.core.StaleUploads;
import io.fanout.core.TopicCreator;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Stages a dataset in Kafka as it arrives: a topic of its own with one partition (the item of task
 * i is the record at offset i), created with the cluster's replication like the job's other
 * topics, written by an idempotent producer with acks=all. A job is answered 202 only after every
 * write of its upload is acknowledged. Redis holds only the upload's entry and byte count in the
 * {@link StagingLedger}, which bounds uploads in flight plus queued datasets by
 * {@code STAGING_BUDGET_BYTES}; past it the upload is refused with 507 and its topic deleted.
 */
final class DatasetStaging {
  /**
   * What a refused client is told to wait: datasets leave the budget as dispatchers admit them,
   * which takes seconds to minutes on a busy queue.
   */
  static final long RETRY_AFTER_SECONDS = 60;

  private final Settings settings;
  private final TopicCreator topics;
  private final KafkaSink sink;
  private final StagingLedger ledger;
  private final StaleUploads uploads;

  DatasetStaging(Settings settings, TopicCreator topics, KafkaSink sink, StagingLedger ledger, StaleUploads uploads) {
    this.settings = settings;
    this.topics = topics;
    this.sink = sink;
    this.ledger = ledger;
    this.uploads = uploads;
  }

  /**
   * Registers the upload (refused if {@code announcedBytes}, 0 when unknown, would pass the
   * budget), then creates its staging topic. The entry comes first so that a crash after the
   * topic exists leaves something that the sweep of stopped uploads finds.
   */
  Future<Upload> open(String jobId, long announcedBytes) {
    return ledger.open(jobId, announcedBytes, budget())
        .compose(verdict -> verdict.accepted()
            ? topics.create(Map.of(Topics.items(jobId), 1)).map(created -> new Upload(jobId))
            : Future.failedFuture(overBudget(verdict.stagedBytes(), announcedBytes)));
  }

  /**
   * Whether a dataset job's items are still in Kafka: its staging topic goes with the job's other
   * topics {@code TOPIC_RETENTION_MS} after it ends, and a retry run without it could read nothing.
   */
  Future<Boolean> retained(String jobId) {
    return topics.admin().describeTopics(List.of(Topics.items(jobId)))
        .map(described -> true)
        .recover(failure -> failure instanceof UnknownTopicOrPartitionException
            || failure.getCause() instanceof UnknownTopicOrPartitionException
            ? Future.succeededFuture(false) : Future.failedFuture(failure));
  }

  private long budget() {
    return settings.longValue(Settings.STAGING_BUDGET_BYTES);
  }

  private ApiError overBudget(long staged, long asked) {
    return new ApiError(507, "staging_budget_exceeded", "datasets waiting to run already hold " + staged
        + " bytes" + (asked > 0 ? ", and this one would add " + asked : "") + ", past the staging budget of "
        + budget() + " bytes (STAGING_BUDGET_BYTES); nothing was stored. Try again later", null)
        .retryAfter(RETRY_AFTER_SECONDS);
  }

  /** One upload's writes, made one batch after the other so that offsets follow the items' order. */
  final class Upload {
    private final String jobId;
    private Future<Void> writes = Future.succeededFuture();

    private Upload(String jobId) {
      this.jobId = jobId;
    }

    /** Counts the items against the budget and sends them; resolves when Kafka has all of them. */
    Future<Void> write(List<String> items) {
      long bytes = items.stream().mapToLong(item -> item.length() + 1L).sum();
      List<ProducerRecord<String, String>> records = new ArrayList<>(items.size());
      String topic = Topics.items(jobId);
      items.forEach(item -> records.add(new ProducerRecord<>(topic, 0, null, item)));
      writes = writes
          .compose(previous -> ledger.grow(jobId, bytes, budget()))
          .compose(verdict -> {
            if (verdict.abandoned()) {
              return Future.failedFuture(new ApiError(408, "upload_stalled", "the upload sent nothing for more than "
                  + settings.longValue(Settings.UPLOAD_GRACE_MS) + " ms and was dropped; send it again", null));
            }
            return verdict.accepted() ? sink.sendAll(records) : Future.failedFuture(overBudget(verdict.stagedBytes(), 0));
          });
      return writes;
    }

    /** Resolves once every write so far is acknowledged. */
    Future<Void> written() {
      return writes;
    }

    /**
     * Deletes what a refused or cut-off upload staged, once its writes are over; an upload whose
     * job was queued meanwhile is left alone. If this fails, the sweep of stopped uploads does it.
     */
    Future<Void> discard() {
      return writes.transform(over -> uploads.drop(jobId, Long.MAX_VALUE)).mapEmpty();
    }
  }
}
