package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("A worker process killed mid-job loses nothing and counts nothing twice")
class WorkerCrashTest {
  private static final int REDIS_DB = 7;
  private static final long TOTAL = 100_000;

  @Test
  @DisplayName("with one of two workers killed by SIGKILL, done never passes 100,000, ends exactly there, and the log holds each task once")
  void killedWorkersTasksRunElsewhere() throws Exception {
    JsonObject shared = new JsonObject().put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB));
    try (FanoutUnderTest survivor = FanoutUnderTest.onSharedBackends(shared);
        ChildFanout doomed = ChildFanout.start("worker-crash-child", List.of("-Xmx256m"), List.of("--roles", "worker"),
          Map.of(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB),
              Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
              Settings.DISPATCH_INSTANCES, "0"))) {
      doomed.awaitLog("joined group", Duration.ofSeconds(60));
      String id = survivor.submit(new JsonObject().put("type", "sleep").put("count", TOTAL)
          .put("payload", new JsonObject().put("ms", 1)));
      // Killed once it holds part of the job and has committed some of it: the survivor alone can
      // make the job progress, so progress does not show that the doomed worker did any work.
      doomed.awaitLog(Topics.tasks(id), Duration.ofSeconds(60));
      String doomedWorker = doomed.workerId();
      try (KafkaProbe kafka = new KafkaProbe(survivor.app())) {
        Await.until(() -> Future.succeededFuture(kafka.readAll(Topics.log(id)).stream().map(WorkerCrashTest::workerOf)
            .anyMatch(doomedWorker::equals)), logged -> logged, Duration.ofSeconds(120));
      }

      doomed.kill();

      AtomicLong mostDone = new AtomicLong();
      JsonObject job = Await.until(() -> survivor.http().get("/jobs/" + id).send().map(r -> r.bodyAsJsonObject()),
          polled -> {
            mostDone.accumulateAndGet(polled.getLong("done"), Math::max);
            return !"running".equals(polled.getString("status"));
          }, Duration.ofSeconds(180));
      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(TOTAL);
      assertThat(mostDone.get()).as("done, polled while the killed worker's tasks ran again").isEqualTo(TOTAL);
      assertThat(job.getLong("failed")).isZero();
      List<KafkaConsumerRecord<String, String>> records;
      try (KafkaProbe kafka = new KafkaProbe(survivor.app())) {
        records = kafka.readAll(Topics.log(id));
      }
      // Exactly one record per task, and the job's end: the killed worker's uncommitted log
      // records were aborted with its transaction, and its tasks logged again by the survivor.
      Map<String, Long> recordsPerKey = records.stream()
          .collect(Collectors.groupingBy(KafkaConsumerRecord::key, Collectors.counting()));
      assertThat(recordsPerKey).hasSize((int) TOTAL + 1).containsEntry("lifecycle", 1L);
      assertThat(recordsPerKey.values()).as("records per task").containsOnly(1L);
      Set<String> loggedBy = records.stream()
          .map(WorkerCrashTest::workerOf)
          .filter(Objects::nonNull)
          .collect(Collectors.toSet());
      assertThat(loggedBy).as("workers that logged tasks: the killed one held part of the job").hasSize(2);
    }
  }

  private static String workerOf(KafkaConsumerRecord<String, String> record) {
    return new JsonObject(record.value()).getString("worker");
  }

}
