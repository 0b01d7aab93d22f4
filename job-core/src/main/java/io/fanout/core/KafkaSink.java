package io.fanout.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends records in bulk with the plain Kafka producer. A whole list is handed to the producer
 * in one hop to a worker thread (a first send to a topic may block on metadata, so never on an
 * event loop), and one future completes when Kafka has acknowledged every record of it. Per
 * record this costs a callback, not a thread hop, which matters at a hundred thousand tasks a
 * second.
 */
public final class KafkaSink implements AutoCloseable {
  private final Vertx vertx;
  private final KafkaProducer<String, String> producer;
  private final KafkaClientMetrics producerMetrics;

  /** The producer's own metrics (batch sizes, request latency, errors) go to {@code registry}. */
  public KafkaSink(Vertx vertx, Map<String, String> config, MeterRegistry registry) {
    this.vertx = vertx;
    this.producer = new KafkaProducer<>(Map.copyOf(config));
    this.producerMetrics = new KafkaClientMetrics(producer, KafkaClientMeters.kind("producer"));
    producerMetrics.bindTo(registry);
  }

  /** Resolves when every record is acknowledged; fails with the first error. */
  public Future<Void> sendAll(List<ProducerRecord<String, String>> records) {
    if (records.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> acknowledged = Promise.promise();
    AtomicInteger pending = new AtomicInteger(records.size());
    return vertx.executeBlocking(() -> {
      for (ProducerRecord<String, String> record : records) {
        producer.send(record, (metadata, error) -> {
          if (error != null) {
            acknowledged.tryFail(error);
          } else if (pending.decrementAndGet() == 0) {
            acknowledged.tryComplete();
          }
        });
      }
      return null;
    }, false).compose(handedOver -> acknowledged.future());
  }

  /** Sends what is buffered and waits for it, then closes; on a worker thread. */
  public Future<Void> closeAsync() {
    return vertx.executeBlocking(() -> {
      close();
      return null;
    }, false);
  }

  @Override
  public void close() {
    producerMetrics.close();
    producer.close();
  }
}
