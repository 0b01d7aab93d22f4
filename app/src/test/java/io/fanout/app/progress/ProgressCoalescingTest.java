package io.fanout.app.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.app.testing.SockJsBridgeClient.Frame;
import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@ExtendWith(SharedBackends.class)
@DisplayName("Progress reaches a browser coalesced: about ten snapshots a second, always forward, the final one always")
class ProgressCoalescingTest {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressCoalescingTest.class);
  /** Enough for several seconds of work, so the rate limit is tested over time, not one burst. */
  private static final int TASKS = 100_000;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);
  /** Ten a second, plus the snapshot sent on subscribe and the final one, which skip the wait. */
  private static final int MAX_IN_ANY_SECOND = 12;

  private static FanoutUnderTest fanout;

  @BeforeAll
  static void start() {
    // Three progress verticles hear every raw update; only one may publish each snapshot.
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.PROGRESS_INSTANCES, 3));
  }

  @AfterAll
  static void stop() {
    if (fanout != null) {
      fanout.close();
    }
  }

  @Test
  @DisplayName("a 100,000-task job shows at most ~10 snapshots a second, seq strictly up, done never down, ending on the job's final counts")
  void coalescedForwardAndFinal() {
    try (SockJsBridgeClient browser = SockJsBridgeClient.connect(fanout.app().vertx(),
        fanout.app().settings().integer(Settings.PROGRESS_PORT))) {
      List<JsonObject> raw = new CopyOnWriteArrayList<>();
      MessageConsumer<JsonObject> fromWorkers = fanout.app().vertx().eventBus()
          .consumer(Addresses.PROGRESS_UPDATES, message -> raw.add(message.body()));
      String jobId = fanout.submit(new JsonObject().put("type", "count").put("count", TASKS));
      List<JsonObject> published = new CopyOnWriteArrayList<>();
      MessageConsumer<JsonObject> onTheBus = fanout.app().vertx().eventBus()
          .consumer(Addresses.progress(jobId), message -> published.add(message.body()));
      browser.register(Addresses.progress(jobId));

      List<Frame> seen = new ArrayList<>();
      Frame frame;
      do {
        frame = browser.next(JOB_TIMEOUT);
        assertThat(frame.type()).as("frame %s", frame.json()).isEqualTo("rec");
        seen.add(frame);
      } while (!isFinal(frame.body().getString("status")));
      JsonObject job = fanout.get("/jobs/" + jobId).bodyAsJsonObject();
      JsonObject last = seen.get(seen.size() - 1).body();
      // Three verticles publish, each right after its own claim's answer from Redis, so the bus may
      // deliver a running snapshot claimed just before the final one after it: a consumer orders
      // them by seq, as the bridge does. What counts is that the final snapshot is published.
      Await.until(() -> io.vertx.core.Future.succeededFuture(published),
          all -> all.stream().anyMatch(snapshot -> last.getLong("seq").equals(snapshot.getLong("seq"))),
          Duration.ofSeconds(5));
      onTheBus.unregister();
      fromWorkers.unregister();

      assertThat(last.getString("status")).isEqualTo("completed");
      assertThat(last.getLong("done")).isEqualTo(TASKS).isEqualTo(job.getLong("done"));
      assertThat(last.getLong("failed")).isZero().isEqualTo(job.getLong("failed"));
      assertThat(last.getLong("total")).isEqualTo(TASKS);
      assertThat(last.getLong("etaMs")).isZero();
      for (int i = 1; i < seen.size(); i++) {
        JsonObject before = seen.get(i - 1).body();
        JsonObject after = seen.get(i).body();
        assertThat(after.getLong("seq")).as("seq of snapshot %d", i).isGreaterThan(before.getLong("seq"));
        assertThat(after.getLong("done")).as("done of snapshot %d", i).isGreaterThanOrEqualTo(before.getLong("done"));
      }
      assertThat(maxInAnySecond(seen)).as("snapshots in any one second").isLessThanOrEqualTo(MAX_IN_ANY_SECOND);
      assertThat(published.stream().map(snapshot -> snapshot.getLong("seq")).toList())
          .as("each state is published once, by one of the three progress verticles").doesNotHaveDuplicates();
      JsonObject newest = published.stream().max(Comparator.comparingLong(snapshot -> snapshot.getLong("seq")))
          .orElseThrow();
      assertThat(newest.getLong("seq")).as("the newest snapshot published is the browser's last")
          .isEqualTo(last.getLong("seq"));
      assertThat(newest.getString("status")).isEqualTo("completed");

      report(seen, published, raw.stream().filter(update -> jobId.equals(update.getString("jobId"))).count());
    }
  }

  private static boolean isFinal(String status) {
    return "completed".equals(status) || "failed".equals(status) || "cancelled".equals(status);
  }

  private static int maxInAnySecond(List<Frame> frames) {
    int max = 0;
    int from = 0;
    for (int to = 0; to < frames.size(); to++) {
      while (frames.get(to).arrivedNanos() - frames.get(from).arrivedNanos() >= TimeUnit.SECONDS.toNanos(1)) {
        from++;
      }
      max = Math.max(max, to - from + 1);
    }
    return max;
  }

  /**
   * The figures behind the freshness goal, for the record (not asserted: timing belongs
   * to the benchmark): from the worker logging the last task of a snapshot to its arrival here.
   */
  private static void report(List<Frame> seen, List<JsonObject> published, long rawUpdates) {
    List<Long> lagsMs = new ArrayList<>();
    for (Frame frame : seen) {
      JsonObject lastLog = frame.body().getJsonObject("lastLog");
      if (lastLog != null && lastLog.getLong("index") != null && lastLog.getLong("at") != null) {
        long arrivedMs = System.currentTimeMillis()
            - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frame.arrivedNanos());
        lagsMs.add(arrivedMs - lastLog.getLong("at"));
      }
    }
    lagsMs.sort(Long::compare);
    double seconds = (seen.get(seen.size() - 1).arrivedNanos() - seen.get(0).arrivedNanos()) / 1e9;
    LOG.info("Coalescing: {} raw updates from workers became {} snapshots on the bus and {} to the browser over {} s, "
            + "max {} in any second; task-to-browser lag p50 {} ms, p99 {} ms, max {} ms",
        rawUpdates, published.size(), seen.size(), String.format("%.1f", seconds), maxInAnySecond(seen),
        percentile(lagsMs, 0.50), percentile(lagsMs, 0.99), lagsMs.isEmpty() ? "-" : lagsMs.get(lagsMs.size() - 1));
  }

  private static Object percentile(List<Long> sorted, double p) {
    return sorted.isEmpty() ? "-" : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
  }
}
