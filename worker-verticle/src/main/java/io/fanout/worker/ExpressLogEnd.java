package io.fanout.worker;

import io.fanout.core.KafkaFutures;
import io.fanout.core.TopicAdmin;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The express log's end offset as last asked of Kafka: no record written after the asking can lie
 * below it. A dispatcher records it as a small job's {@code logFrom} before sending the job's
 * tasks, and readers of the job's log start there. It is asked again every {@link #REFRESH_MS},
 * so a reader passes over at most that long of other small jobs' records. An admission waits for
 * Kafka only for the first answer, or when the last ask failed (it then asks again).
 */
final class ExpressLogEnd {
  private static final long REFRESH_MS = 500;
  private static final TopicPartition PARTITION = new TopicPartition(Topics.EXPRESS_LOG, 0);

  private final Vertx vertx;
  private final TopicAdmin admin;
  private Future<Long> known;

  ExpressLogEnd(Vertx vertx, TopicAdmin admin) {
    this.vertx = vertx;
    this.admin = admin;
  }

  /** Starts asking; on the verticle's context. */
  void start() {
    known = ask();
    vertx.setPeriodic(REFRESH_MS, tick -> ask().onSuccess(end -> known = Future.succeededFuture(end)));
  }

  /** An end offset asked before this call: a lower bound of every record written from now on. Once started. */
  Future<Long> lowerBound() {
    return known.recover(failed -> known = ask());
  }

  private Future<Long> ask() {
    return KafkaFutures.on(vertx.getOrCreateContext(),
            admin.kafka().listOffsets(Map.of(PARTITION, OffsetSpec.latest())).partitionResult(PARTITION))
        .map(info -> info.offset());
  }
}
