package io.fanout.core;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.concurrent.CompletionException;
import org.apache.kafka.common.KafkaFuture;

/**
 * Kafka's admin answers as Vert.x futures, completed on a verticle's context, for the calls made
 * with Kafka's own admin client: where Vert.x's wrapper cannot express the request (a topic
 * without a replication factor) or cannot carry the answer (a partition without a leader, whose
 * conversion fails).
 */
public final class KafkaFutures {
  private KafkaFutures() {}

  public static <T> Future<T> on(Context context, KafkaFuture<T> answer) {
    return Future.fromCompletionStage(answer.toCompletionStage(), context)
        .recover(failure -> Future.failedFuture(failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure));
  }
}
