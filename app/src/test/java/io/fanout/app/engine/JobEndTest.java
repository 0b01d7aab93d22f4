package io.fanout.app.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.KafkaProbe;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobStore;
import io.fanout.core.JobStore.Success;
import io.fanout.core.LifecycleEvent;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.fanout.worker.WorkerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * A job ends only once every task it counted is in its log, so that its end (status, end record,
 * webhook) never comes before a task's record or result. A worker that counted half a job and
 * died before its transaction committed is played here by counting those tasks by hand (the odd
 * ones: the job's second partition of two). The live worker runs them again; the last few take two
 * seconds each, on fewer threads than the pool has, so the first partition's tasks, quick, bring
 * the count to its end while they are not yet logged.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("A job ends after the records of all its tasks")
class JobEndTest {
  private static final int REDIS_DB = 2;
  private static final long TOTAL = 2_000;

  @Test
  @DisplayName("the round that would end a job while tasks counted by a dead worker are not logged waits; "
      + "they run again, and the job ends with its end record after every task's record")
  void endWaitsForEveryRecord() {
    JsonObject settings = new JsonObject()
        .put(Settings.REDIS_URL, SharedBackends.redisUrl(REDIS_DB))
        .put(Settings.WORKER_INSTANCES, 0)
        .put(Settings.WORKER_POOL, 8)
        .put(Settings.TASK_TYPES, "tally");
    Logger recorderLog = (Logger) LoggerFactory.getLogger("io.fanout.worker.OutcomeRecorder");
    Level levelBefore = recorderLog.getLevel();
    recorderLog.setLevel(Level.DEBUG); // the wait is told at debug
    ListAppender<ILoggingEvent> told = new ListAppender<>();
    told.start();
    recorderLog.addAppender(told);
    try (FanoutUnderTest fanout = FanoutUnderTest.onSharedBackends(settings);
        KafkaProbe kafka = new KafkaProbe(fanout.app())) {
      String id = fanout.submit(new JsonObject().put("type", "tally").put("count", TOTAL).put("partitions", 2)
          .put("payload", new JsonObject().put("ms", 0).put("oddFrom", TOTAL - 10).put("oddMs", 2_000)));
      Await.until(() -> kafka.records(Topics.tasks(id), 2), records -> records == TOTAL, Duration.ofSeconds(30));
      List<Success> odd = LongStream.range(0, TOTAL).filter(index -> index % 2 == 1)
          .mapToObj(index -> new Success(index, null)).toList();
      Redis redis = Redis.createClient(fanout.app().vertx(), SharedBackends.redisUrl(REDIS_DB));
      try {
        // Counted by a worker whose transaction died with it: never logged.
        assertThat(Await.result(new JobStore(redis).recordOutcomes(id, odd, List.of(), null, "{}", true))
            .countedNow()).isEqualTo(TOTAL / 2);
      } finally {
        redis.close();
      }

      DeploymentOptions worker = new DeploymentOptions().setConfig(fanout.app().settings().asJson());
      Await.result(fanout.app().vertx().deployVerticle(new WorkerVerticle(), worker));
      String waiting = "Job " + id + " ends once ";
      Await.until(() -> Future.succeededFuture(new ArrayList<>(told.list).stream()
          .anyMatch(event -> event.getFormattedMessage().startsWith(waiting))), seen -> seen, Duration.ofSeconds(60));

      JsonObject job = fanout.awaitFinal(id, Duration.ofSeconds(60));
      assertThat(job.getString("status")).isEqualTo("completed");
      assertThat(job.getLong("done")).isEqualTo(TOTAL);
      assertThat(TallyHandler.runsOf(id).values()).as("runs per task").hasSize((int) TOTAL)
          .allMatch(runs -> runs.get() == 1);
      List<String> logged = Await.until(() -> Future.succeededFuture(kafka.readAll(Topics.log(id)).stream()
          .map(KafkaConsumerRecord::key).toList()), keys -> keys.contains(LifecycleEvent.LOG_KEY), Duration.ofSeconds(30));
      assertThat(logged).as("a record per task, then the job's end").hasSize((int) TOTAL + 1).doesNotHaveDuplicates()
          .endsWith(LifecycleEvent.LOG_KEY);
    } finally {
      recorderLog.detachAppender(told);
      recorderLog.setLevel(levelBefore);
    }
  }
}
