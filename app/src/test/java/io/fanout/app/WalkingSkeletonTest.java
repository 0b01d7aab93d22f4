package io.fanout.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.KafkaClients;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.kafka.client.common.TopicPartition;
import io.vertx.kafka.client.consumer.OffsetAndMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("A job goes from HTTP through Redis and Kafka to a worker and back")
class WalkingSkeletonTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);

  private static FanoutUnderTest fanout;
  private static KafkaAdminClient admin;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject());
    admin = KafkaAdminClient.create(fanout.app().vertx(), KafkaClients.admin(fanout.app().settings(), "skeleton-test"));
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      Await.result(admin.close());
    }
    if (fanout != null) {
      fanout.close();
    }
  }

  @Test
  @DisplayName("health is UP when Kafka and Redis answer")
  void healthIsUp() {
    HttpResponse<Buffer> health = fanout.get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.bodyAsJsonObject().getString("status")).isEqualTo("UP");
    assertThat(health.bodyAsJsonObject().getJsonObject("checks").getMap())
        .containsEntry("redis", "UP").containsEntry("kafka", "UP");
  }

  @Test
  @DisplayName("a compute job is answered 202 at once and completes with the sha256sum of its input")
  void computeJobEndToEnd() throws Exception {
    String input = "fan me out, " + System.nanoTime();
    HttpResponse<Buffer> accepted = fanout.post("/jobs", compute(input));
    assertThat(accepted.statusCode()).isEqualTo(202);
    assertThat(accepted.bodyAsJsonObject().getString("status")).isEqualTo("queued");

    JsonObject job = fanout.runToEnd(compute(input), JOB_TIMEOUT);

    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("total")).isEqualTo(1L);
    assertThat(job.getLong("done")).isEqualTo(1L);
    assertThat(job.getJsonObject("result").getString("value")).isEqualTo(sha256sum(input));
    assertThat(job.getString("finishedAt")).isNotNull();
  }

  @Test
  @DisplayName("dispatch creates a big job's tasks and log topics, with the partitions asked for; a small job gets "
      + "none, its tasks and log records going through the express topics, where its log and results are read")
  void dispatchCreatesTopics() {
    JsonObject big = fanout.runToEnd(new JsonObject().put("type", "count").put("count", smallJobTasks() + 1)
        .put("partitions", 3), JOB_TIMEOUT);
    String id = big.getString("id");
    assertThat(big.getString("lane")).isEqualTo("standard");
    var topics = Await.result(admin.describeTopics(List.of(Topics.tasks(id), Topics.log(id))));
    assertThat(topics.get(Topics.tasks(id)).getPartitions()).hasSize(3);
    assertThat(topics.get(Topics.log(id)).getPartitions()).hasSize(1);

    JsonObject single = fanout.runToEnd(compute("topics").put("partitions", 3), JOB_TIMEOUT);
    String singleId = single.getString("id");
    assertThat(single.getString("lane")).isEqualTo("express");
    assertThat(single.getInteger("partitions")).as("never more than one per task").isEqualTo(1);
    assertThat(Await.result(admin.listTopics())).contains(Topics.EXPRESS_TASKS, Topics.EXPRESS_LOG)
        .doesNotContain(Topics.tasks(singleId), Topics.log(singleId));
    JsonObject log = fanout.get("/jobs/" + singleId + "/log").bodyAsJsonObject();
    assertThat(log.getJsonArray("records")).extracting(entry -> ((JsonObject) entry).getJsonObject("record")
        .getString("jobId")).as("the job's records alone, among other small jobs'").containsOnly(singleId);
    List<JsonObject> records = log.getJsonArray("records").stream()
        .map(entry -> ((JsonObject) entry).getJsonObject("record")).toList();
    assertThat(records).filteredOn(record -> record.containsKey("index")).as("its one task").hasSize(1);
    assertThat(records).extracting(record -> record.getString("event")).as("its end").contains("completed");
    String results = fanout.get("/jobs/" + singleId + "/results").bodyAsString();
    assertThat(results.lines().map(JsonObject::new).toList()).singleElement()
        .satisfies(line -> assertThat(line.getJsonObject("result").getString("value")).isEqualTo(sha256sum("topics")));
  }

  @Test
  @DisplayName("the worker group commits the tasks' offsets after recording their results")
  void workerCommitsOffset() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", smallJobTasks() + 1)
        .put("partitions", 1), JOB_TIMEOUT);
    TopicPartition partition = new TopicPartition(Topics.tasks(job.getString("id")), 0);
    String group = fanout.app().settings().string(Settings.WORKER_GROUP);

    // A commit announces no event; ask the group coordinator until it reports one.
    Map<TopicPartition, OffsetAndMetadata> offsets = Await.until(
        () -> admin.listConsumerGroupOffsets(group),
        committed -> committed.containsKey(partition) && committed.get(partition).getOffset() > 0,
        Duration.ofSeconds(20));

    assertThat(offsets.get(partition).getOffset()).isEqualTo(smallJobTasks() + 1L);
  }

  @Test
  @DisplayName("a 5,000-iteration count job completes with done exactly 5,000 and one log record per task")
  void countJobCountsEveryTaskOnce() {
    JsonObject job = fanout.runToEnd(new JsonObject().put("type", "count").put("count", 5000), JOB_TIMEOUT);

    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).isEqualTo(5000L);
    assertThat(job.getLong("failed")).isZero();
    assertThat(job.getJsonObject("result").getLong("done")).isEqualTo(5000L);
    long logRecords;
    try (KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      logRecords = kafka.logRecords(job.getString("id"));
    }
    assertThat(logRecords).as("task records plus the lifecycle record").isEqualTo(5001L);
  }

  @Test
  @DisplayName("a job that does not exist is a 404 with a JSON error")
  void unknownJob() {
    HttpResponse<Buffer> response = fanout.get("/jobs/00000000-0000-4000-8000-000000000000");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("not_found");
  }

  private static int smallJobTasks() {
    return fanout.app().settings().integer(Settings.SMALL_JOB_TASKS);
  }

  private static JsonObject compute(String input) {
    return new JsonObject().put("type", "compute").put("payload", new JsonObject().put("input", input));
  }

  /** The digest as the coreutils tool prints it, so the check does not share code with the worker. */
  private static String sha256sum(String input) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("sha256sum").start();
    process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    assertThat(process.waitFor()).isZero();
    return output.split("\\s+")[0];
  }
}
