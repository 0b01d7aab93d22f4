package io.fanout.app.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.app.testing.SockJsBridgeClient.Frame;
import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("Two clustered processes, each with its own progress verticles, show one consistent progress")
class ProgressAcrossNodesTest {
  private static final int TASKS = 20_000;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(10);

  private static FanoutUnderTest worker;
  private static FanoutUnderTest bridgeOnly;

  @BeforeAll
  static void start() {
    // A cluster of this test's own: another Fanout cluster on this machine must not join it.
    JsonObject clustered = new JsonObject()
        .put(Settings.CLUSTER, true)
        .put(Settings.CLUSTER_NAME, "progress-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime())
        .put(Settings.CLUSTER_PORT, FanoutUnderTest.freePort());
    worker = FanoutUnderTest.onSharedBackends(clustered.copy().put(Settings.PROGRESS_INSTANCES, 2));
    bridgeOnly = FanoutUnderTest.onSharedBackends(clustered.copy()
        .put(Settings.ROLES, "progress").put(Settings.PROGRESS_INSTANCES, 2));
  }

  @AfterAll
  static void stop() {
    if (bridgeOnly != null) {
      bridgeOnly.close();
    }
    if (worker != null) {
      worker.close();
    }
  }

  @Test
  @DisplayName("browsers on either node see seq strictly up and done never down, to the same final snapshot")
  void bothNodesAgree() {
    try (SockJsBridgeClient onWorkerNode = connect(worker); SockJsBridgeClient onOtherNode = connect(bridgeOnly)) {
      String jobId = worker.submit(new JsonObject().put("type", "count").put("count", TASKS));
      onWorkerNode.register(Addresses.progress(jobId));
      onOtherNode.register(Addresses.progress(jobId));

      List<JsonObject> seenOnWorkerNode = untilFinal(onWorkerNode);
      List<JsonObject> seenOnOtherNode = untilFinal(onOtherNode);

      for (List<JsonObject> seen : List.of(seenOnWorkerNode, seenOnOtherNode)) {
        for (int i = 1; i < seen.size(); i++) {
          assertThat(seen.get(i).getLong("seq")).isGreaterThan(seen.get(i - 1).getLong("seq"));
          assertThat(seen.get(i).getLong("done")).isGreaterThanOrEqualTo(seen.get(i - 1).getLong("done"));
        }
      }
      JsonObject lastOnWorkerNode = seenOnWorkerNode.get(seenOnWorkerNode.size() - 1);
      JsonObject lastOnOtherNode = seenOnOtherNode.get(seenOnOtherNode.size() - 1);
      assertThat(lastOnOtherNode.getLong("seq")).isEqualTo(lastOnWorkerNode.getLong("seq"));
      assertThat(lastOnOtherNode.getLong("done")).isEqualTo(TASKS);
      assertThat(lastOnWorkerNode.getLong("done")).isEqualTo(TASKS);
    }
  }

  @Test
  @DisplayName("a browser on a node that runs no worker gets a finished job's snapshot as soon as it subscribes")
  void snapshotOnSubscribeOnAnyNode() {
    JsonObject job = worker.runToEnd(new JsonObject().put("type", "count").put("count", 50), JOB_TIMEOUT);
    try (SockJsBridgeClient onOtherNode = connect(bridgeOnly)) {
      onOtherNode.register(Addresses.progress(job.getString("id")));

      JsonObject snapshot = onOtherNode.next(FRAME_TIMEOUT).body();

      assertThat(snapshot.getString("status")).isEqualTo("completed");
      assertThat(snapshot.getLong("done")).isEqualTo(50L);
      assertThat(snapshot.getLong("seq")).isEqualTo(101L);
    }
  }

  private static SockJsBridgeClient connect(FanoutUnderTest process) {
    return SockJsBridgeClient.connect(process.app().vertx(), process.app().settings().integer(Settings.PROGRESS_PORT));
  }

  private static List<JsonObject> untilFinal(SockJsBridgeClient browser) {
    List<JsonObject> seen = new ArrayList<>();
    Frame frame;
    do {
      frame = browser.next(JOB_TIMEOUT);
      assertThat(frame.type()).as("frame %s", frame.json()).isEqualTo("rec");
      seen.add(frame.body());
    } while (!List.of("completed", "failed", "cancelled").contains(frame.body().getString("status")));
    return seen;
  }
}
