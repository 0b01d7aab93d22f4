package io.fanout.app.outage;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.engine.TallyHandler;
import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisProbe;
import io.fanout.core.JobState;
import io.fanout.core.RedisKeys;
import io.fanout.core.JobState;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import java.time.Duration;

/**
 * A job of {@code tally} tasks followed through an outage of one of Fanout's backends: through the
 * API, which answers 503 while its backend is away, so an answer that is not 200 is no sample.
 */
final class JobProgress {
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(60);

  private final FanoutUnderTest fanout;
  private final String id;
  private final int deployed;

  private JobProgress(FanoutUnderTest fanout, String id, int deployed) {
    this.fanout = fanout;
    this.id = id;
    this.deployed = deployed;
  }

  /** Submits {@code tasks} tasks of 1 ms on 8 partitions, once Fanout says it is healthy. */
  static JobProgress submitTally(FanoutUnderTest fanout, long tasks) {
    assertThat(fanout.get("/health").statusCode()).as("health before the outage").isEqualTo(200);
    int deployed = fanout.app().vertx().deploymentIDs().size();
    String id = fanout.submit(new JsonObject().put("type", "tally").put("count", tasks).put("partitions", 8)
        .put("payload", new JsonObject().put("ms", 1)));
    return new JobProgress(fanout, id, deployed);
  }

  /** Waits until at least {@code done} tasks are counted, the job still running. */
  void awaitDone(long done) {
    // A job still queued (not yet admitted) is waited for too: only a final state ends the wait early.
    JsonObject job = Await.until(this::poll, polled -> polled != null && (polled.getLong("done") >= done
        || JobState.fromWire(polled.getString("status")).isFinal()), Duration.ofSeconds(120));
    assertThat(job.getString("status")).as("the job still runs when the outage begins").isEqualTo("running");
  }

  void awaitHealth(int status) {
    Await.until(() -> fanout.http().get("/health").send().map(HttpResponse::statusCode), answer -> answer == status,
        HEALTH_TIMEOUT);
  }

  /**
   * After the backend is back: the job completes with every task counted once, /health answers
   * 200 again, and no verticle of the process was undeployed by the outage.
   */
  void awaitRecovered(long total, Duration timeout, String redisUrl) {
    awaitCompleted(total, timeout);
    awaitHealth(200);
    assertCountedOnce(total, redisUrl);
    assertThat(fanout.app().vertx().deploymentIDs()).as("verticles still deployed").hasSize(deployed);
  }

  /** Waits for the job's end; {@code done} never passes {@code total} on the way, and ends there. */
  private void awaitCompleted(long total, Duration timeout) {
    JsonObject job = Await.until(this::poll, polled -> {
      if (polled == null) {
        return false;
      }
      assertThat(polled.getLong("done")).as("done never passes total").isLessThanOrEqualTo(total);
      return JobState.fromWire(polled.getString("status")).isFinal();
    }, timeout);
    assertThat(job.getString("status")).isEqualTo("completed");
    assertThat(job.getLong("done")).as("done").isEqualTo(total);
    assertThat(job.getLong("failed")).as("failed").isZero();
  }

  /** Every task ran, and its bit in the job's done bitmap is the one count it got. */
  private void assertCountedOnce(long total, String redisUrl) {
    try (RedisProbe redis = new RedisProbe(fanout.app().vertx(), redisUrl)) {
      assertThat(redis.send(Command.BITCOUNT, RedisKeys.doneBits(id)).toLong()).as("tasks with their bit set")
          .isEqualTo(total);
    }
    assertThat(TallyHandler.runsOf(id)).as("tasks that ran at least once").hasSize((int) total);
  }

  private io.vertx.core.Future<JsonObject> poll() {
    return fanout.http().get("/jobs/" + id).send()
        .map(response -> response.statusCode() == 200 ? response.bodyAsJsonObject() : null);
  }
}
