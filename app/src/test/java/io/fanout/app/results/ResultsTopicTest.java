package io.fanout.app.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.ChildFanout;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.LifecycleEvent;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A job's resultsTopic: each task's result once in the user's topic, in the transaction of its log record. */
@ExtendWith(SharedBackends.class)
@DisplayName("resultsTopic gets each task's result exactly once")
class ResultsTopicTest {
  private static final int REDIS_DB = 8;
  private static final int ITEMS = 200_000;
  private static final int PARTITIONS = 4;

  @Test
  @DisplayName("a 200,000-item sha256 dataset job with resultsTopic, one of two workers killed with SIGKILL mid-job: "
      + "the topic holds exactly one record per task (read_committed), each the digest of its item")
  void oncePerTaskThroughACrash() throws Exception {
    String resultsTopic = "digests-" + System.nanoTime();
    try (FanoutUnderTest survivor = FanoutUnderTest.onSharedBackends(new JsonObject()
            .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB)));
        ChildFanout doomed = ChildFanout.start("results-topic-worker", List.of("-Xmx256m"), List.of("--roles", "worker"),
            Map.of(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB),
                Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
                Settings.DISPATCH_INSTANCES, "0"))) {
      doomed.awaitLog("joined group", Duration.ofSeconds(60));
      StringBuilder upload = new StringBuilder("{\"type\":\"sha256\",\"partitions\":" + PARTITIONS
          + ",\"resultsTopic\":\"" + resultsTopic + "\"}\n");
      for (int index = 0; index < ITEMS; index++) {
        upload.append("\"item-").append(index).append("\"\n");
      }
      HttpResponse<Buffer> accepted = Await.result(survivor.http().post("/jobs")
          .putHeader("Content-Type", "application/x-ndjson").sendBuffer(Buffer.buffer(upload.toString())));
      assertThat(accepted.statusCode()).as(accepted.bodyAsString()).isEqualTo(202);
      String id = accepted.bodyAsJsonObject().getString("jobId");

      // Killed once it holds part of the job and the job is under way, before it ends.
      doomed.awaitLog(Topics.tasks(id), Duration.ofSeconds(60));
      Await.until(() -> survivor.http().get("/jobs/" + id).send().map(HttpResponse::bodyAsJsonObject),
          job -> job.getLong("done", 0L) > ITEMS / 20, Duration.ofMinutes(2));
      // It must have committed some of the job: the survivor alone can make it progress.
      String doomedWorker = doomed.workerId();
      try (KafkaProbe kafka = new KafkaProbe(survivor.app())) {
        Await.until(() -> Future.succeededFuture(kafka.readAll(Topics.log(id)).stream()
            .anyMatch(record -> doomedWorker.equals(new JsonObject(record.value()).getString("worker")))),
            logged -> logged, Duration.ofSeconds(120));
      }
      doomed.kill();
      long doneAtKill = survivor.get("/jobs/" + id).bodyAsJsonObject().getLong("done");
      assertThat(doneAtKill).as("tasks done when the worker was killed").isLessThan(ITEMS);

      JsonObject job = survivor.awaitFinal(id, Duration.ofMinutes(4));
      assertThat(job.getString("status")).as(job.encode()).isEqualTo("completed");
      assertThat(job.getString("resultsTopic")).isEqualTo(resultsTopic);
      List<KafkaConsumerRecord<String, String>> results = new ArrayList<>();
      Set<String> loggedBy;
      try (KafkaProbe kafka = new KafkaProbe(survivor.app())) {
        // The job ends only once every task counted before is logged, the killed worker's last
        // round too (counted, its transaction dead: run again on the survivor), and its end record
        // is committed with or after the last of them. So a reader that has seen the end in the
        // job's log finds every result in the results topic, read once.
        Await.until(() -> Future.succeededFuture(kafka.readAll(Topics.log(id)).stream()
            .anyMatch(record -> LifecycleEvent.LOG_KEY.equals(record.key()))), ended -> ended, Duration.ofSeconds(30));
        int partitions = Await.result(kafka.admin().describeTopics(List.of(resultsTopic)))
            .get(resultsTopic).getPartitions().size();
        for (int partition = 0; partition < partitions; partition++) {
          results.addAll(kafka.readAll(resultsTopic, partition));
        }
        loggedBy = kafka.readAll(Topics.log(id)).stream().map(record -> new JsonObject(record.value()).getString("worker"))
            .filter(Objects::nonNull).collect(Collectors.toSet());
      }
      assertThat(loggedBy).as("workers that logged tasks: the killed one held part of the job").hasSize(2);
      Map<String, Long> recordsPerKey = results.stream()
          .collect(Collectors.groupingBy(KafkaConsumerRecord::key, Collectors.counting()));
      assertThat(recordsPerKey).as("distinct tasks in the results topic").hasSize(ITEMS);
      assertThat(recordsPerKey.values()).as("records per task").containsOnly(1L);
      Map<String, String> digestByKey = results.stream()
          .collect(Collectors.toMap(KafkaConsumerRecord::key, KafkaConsumerRecord::value, (a, b) -> a));
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      Function<Integer, String> digestOf = index -> HexFormat.of()
          .formatHex(sha256.digest(("item-" + index).getBytes(StandardCharsets.UTF_8)));
      for (int index = 0; index < ITEMS; index++) {
        String value = digestByKey.get(id + ":" + index);
        assertThat(value).as("result of task " + index).isNotNull();
        assertThat(new JsonObject(value).getString("value")).as("digest of item " + index)
            .isEqualTo(digestOf.apply(index));
      }
    }
  }
}
