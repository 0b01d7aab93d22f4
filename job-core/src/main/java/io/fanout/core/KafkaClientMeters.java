package io.fanout.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Makes plain Kafka clients of one kind (a worker's consumer, say) with Micrometer's
 * {@link KafkaClientMetrics} bound to each. A component holds one such client at a time and makes
 * a new one after a failure: asking for the next one unbinds the last, so a client restarted
 * every second (a broker away) does not leave a binder, and its thread, behind each time.
 */
public final class KafkaClientMeters<C> implements Supplier<C>, AutoCloseable {
  private final MeterRegistry registry;
  private final Supplier<C> factory;
  private final Function<C, KafkaClientMetrics> binder;
  private KafkaClientMetrics bound;

  private KafkaClientMeters(MeterRegistry registry, Supplier<C> factory, Function<C, KafkaClientMetrics> binder) {
    this.registry = registry;
    this.factory = factory;
    this.binder = binder;
  }

  public static <C extends org.apache.kafka.clients.producer.Producer<?, ?>> KafkaClientMeters<C> producers(
      MeterRegistry registry, Supplier<C> factory) {
    return new KafkaClientMeters<>(registry, factory, producer -> new KafkaClientMetrics(producer, kind("producer")));
  }

  public static <C extends org.apache.kafka.clients.consumer.Consumer<?, ?>> KafkaClientMeters<C> consumers(
      MeterRegistry registry, Supplier<C> factory) {
    return new KafkaClientMeters<>(registry, factory, consumer -> new KafkaClientMetrics(consumer, kind("consumer")));
  }

  /**
   * The tag that tells a worker's producer and consumer apart: they share a client id, and a
   * meter both report (Kafka's app-info) would otherwise be registered once for the two.
   */
  public static Tags kind(String kind) {
    return Tags.of("kafka.client", kind);
  }

  /** A new client, measured; the previous one's meters go. */
  @Override
  public synchronized C get() {
    close();
    C client = factory.get();
    bound = binder.apply(client);
    bound.bindTo(registry);
    return client;
  }

  /** Removes the last client's meters (the client itself is closed by its owner). */
  @Override
  public synchronized void close() {
    if (bound != null) {
      bound.close();
      bound = null;
    }
  }
}
