package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.fanout.worker.WorkerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A dispatcher that resumes after a crash writes the tasks of its last windows again. Here the
 * copies are written by hand, some long after their originals and some right behind them, and
 * one worker runs them all: each task is counted once and logged once.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("Tasks written twice are counted and logged once")
class DuplicateTasksTest {
  private static final int REDIS_DB = 14;
  private static final long TOTAL = 2_000;
  private static final int PARTITIONS = 2;

  @Test
  @DisplayName("copies far behind their originals and copies right behind them: one count and one log record per task")
  void copiesCountOnce() {
    JsonObject settings = new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.WORKER_INSTANCES, 0);
    try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(settings);
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      String id = fanout.submit(new JsonObject().put("type", "count").put("count", TOTAL).put("partitions", PARTITIONS));
      Await.until(() -> kafka.records(Topics.tasks(id), PARTITIONS), records -> records == TOTAL, Duration.ofSeconds(30));

      // As a dispatcher writes them: key the index, no value, partition index mod n.
      List<Long> copies = LongStream.concat(LongStream.range(0, 200), LongStream.of(1999, 1999, 1998, 1998)).boxed()
          .toList();
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(Map.copyOf(KafkaClients.producer(fanout.app().settings(), "copier")))) {
        copies.forEach(index -> producer.send(new ProducerRecord<>(Topics.tasks(id), (int) (index % PARTITIONS),
            Long.toString(index), null)));
      }
      assertThat(kafka.taskRecords(id, PARTITIONS)).isEqualTo(TOTAL + copies.size());

      DeploymentOptions worker = new DeploymentOptions().setConfig(fanout.app().settings().asJson());
      Await.result(fanout.app().vertx().deployVerticle(new WorkerVerticle(), worker));
      JsonObject job = fanout.awaitFinal(id, Duration.ofSeconds(60));

      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(TOTAL);
      // The job can end before the last copies are run: the log is read once every record is committed.
      String group = fanout.app().settings().string(Settings.WORKER_GROUP);
      Await.until(() -> kafka.admin().listConsumerGroupOffsets(group), committed -> committed.entrySet().stream()
          .filter(entry -> entry.getKey().getTopic().equals(Topics.tasks(id)))
          .mapToLong(entry -> entry.getValue().getOffset()).sum() == TOTAL + copies.size(), Duration.ofSeconds(30));
      List<String> logged = kafka.readAll(Topics.log(id)).stream().map(KafkaConsumerRecord::key).toList();
      assertThat(logged).as("a record per task and the job's end").hasSize((int) TOTAL + 1).doesNotHaveDuplicates();
    }
  }
}
