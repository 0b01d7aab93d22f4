package io.fanout.worker;

import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a dataset job's items from its staging topic for the fan-out: one partition, written in
 * order by one idempotent producer, so the item of task i is the record at offset i. Kafka's
 * consumer blocks, so every read runs on a worker thread, and it is not thread-safe: the fan-out
 * asks for the next window while the previous one is still being read, so reads queue behind each
 * other here. Records fetched past a window are kept for the next one.
 */
final class DatasetReader {
  private static final Duration POLL = Duration.ofMillis(200);
  /** A partition that gives nothing for this long is not readable (its leader is away): the fan-out stops and resumes later. */
  private static final long READ_TIMEOUT_MS = 30_000;

  private final Vertx vertx;
  private final Map<String, String> config;
  private final TopicPartition partition;
  private final TreeMap<Long, String> ahead = new TreeMap<>();
  private KafkaConsumer<String, String> consumer;
  /** Where the consumer reads next; a seek (which drops what it fetched ahead) only when a read starts elsewhere. */
  private long next = -1;
  /** The last read queued: the next one starts when it ends. Touched on the dispatcher's event loop only. */
  private Future<?> queued = Future.succeededFuture();

  DatasetReader(Vertx vertx, Settings settings, String clientId, String jobId) {
    this.vertx = vertx;
    this.config = KafkaClients.reader(settings, clientId);
    this.partition = new TopicPartition(Topics.items(jobId), 0);
  }

  /** Items of tasks [from, to). */
  Future<List<String>> range(long from, long to) {
    return serially(() -> {
      List<String> items = new ArrayList<>((int) (to - from));
      for (long index = from; index < to; index++) {
        items.add(item(index));
      }
      return items;
    });
  }

  /** Items of these tasks (a retry run's), in their order. */
  Future<List<String>> at(List<Long> indexes) {
    return serially(() -> {
      List<String> items = new ArrayList<>(indexes.size());
      for (long index : indexes) {
        items.add(item(index));
      }
      return items;
    });
  }

  Future<Void> close() {
    return serially(() -> {
      if (consumer != null) {
        consumer.close(Duration.ofSeconds(1));
      }
      return null;
    });
  }

  /** Runs on a worker thread once every read queued before it has ended, whether it succeeded or not. */
  private <T> Future<T> serially(Callable<T> read) {
    Future<T> result = queued.transform(previous -> vertx.executeBlocking(read, false));
    queued = result;
    return result;
  }

  private String item(long index) {
    ahead.headMap(index).clear();
    String item = ahead.remove(index);
    if (item != null) {
      return item;
    }
    KafkaConsumer<String, String> reader = consumer();
    if (next != index) {
      reader.seek(partition, index);
      next = index;
    }
    long deadline = System.currentTimeMillis() + READ_TIMEOUT_MS;
    while (System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<String, String> record : reader.poll(POLL)) {
        if (record.offset() >= index) {
          ahead.put(record.offset(), record.value());
        }
        next = record.offset() + 1;
      }
      item = ahead.remove(index);
      if (item != null) {
        return item;
      }
      if (!ahead.isEmpty()) {
        throw new IllegalStateException("item " + index + " is missing from " + partition);
      }
    }
    throw new IllegalStateException("item " + index + " of " + partition + " could not be read in "
        + READ_TIMEOUT_MS + " ms");
  }

  private KafkaConsumer<String, String> consumer() {
    if (consumer == null) {
      consumer = new KafkaConsumer<>(Map.copyOf(config));
      consumer.assign(List.of(partition));
    }
    return consumer;
  }
}
