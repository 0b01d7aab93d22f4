package io.fanout.app.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.app.testing.SockJsBridgeClient.Frame;
import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("The progress bridge lets browsers listen to job progress and job events, and to nothing else")
class ProgressBridgeTest {
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
  private static final List<String> REFUSALS = List.of("rejected", "access_denied");
  /** The shape of the JavaScript client's reply addresses. */
  private static final String REPLY_ADDRESS = "0b6f4a53-2f53-4f1e-9c43-5b3d2e0a7c11";

  private static FanoutUnderTest fanout;
  private static Vertx vertx;
  /** A finished one-task job: its snapshot on subscribe is the bridge's acknowledgement of a registration. */
  private static String finishedJob;

  private SockJsBridgeClient browser;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject());
    vertx = fanout.app().vertx();
    finishedJob = fanout.runToEnd(new JsonObject().put("type", "compute")
        .put("payload", new JsonObject().put("input", "bridge")), JOB_TIMEOUT).getString("id");
  }

  @AfterAll
  static void stop() {
    if (fanout != null) {
      fanout.close();
    }
  }

  @BeforeEach
  void connect() {
    browser = SockJsBridgeClient.connect(vertx, fanout.app().settings().integer(Settings.PROGRESS_PORT));
  }

  @AfterEach
  void disconnect() {
    browser.close();
  }

  @Test
  @DisplayName("subscribing to a finished job's progress sends its final snapshot at once")
  void snapshotOnSubscribe() {
    browser.register(Addresses.progress(finishedJob));

    Frame first = browser.next(FRAME_TIMEOUT);

    assertThat(first.type()).isEqualTo("rec");
    assertThat(first.address()).isEqualTo(Addresses.progress(finishedJob));
    assertThat(first.body().getString("jobId")).isEqualTo(finishedJob);
    assertThat(first.body().getString("status")).isEqualTo("completed");
    assertThat(first.body().getLong("done")).isEqualTo(1L);
    assertThat(first.body().getLong("total")).isEqualTo(1L);
    assertThat(first.body().getLong("etaMs")).isZero();
    assertThat(first.body().getLong("seq")).as("(done + failed) * 2 + 1 once final").isEqualTo(3L);
  }

  @Test
  @DisplayName("what is published on a subscribed job's progress address and on jobs.events is delivered, older snapshots are not")
  void permittedAddressesDeliver() {
    browser.register(Addresses.EVENTS);
    acknowledgedSubscription(finishedJob);

    JsonObject event = new JsonObject().put("jobId", finishedJob).put("event", "completed").put("probe", 1);
    vertx.eventBus().publish(Addresses.EVENTS, event);
    Frame eventFrame = browser.next(FRAME_TIMEOUT);
    assertThat(eventFrame.type()).isEqualTo("rec");
    assertThat(eventFrame.address()).isEqualTo(Addresses.EVENTS);
    assertThat(eventFrame.body()).isEqualTo(event);

    vertx.eventBus().publish(Addresses.progress(finishedJob), snapshot(finishedJob, 2));
    vertx.eventBus().publish(Addresses.progress(finishedJob), snapshot(finishedJob, 7));
    Frame progressFrame = browser.next(FRAME_TIMEOUT);
    assertThat(progressFrame.address()).isEqualTo(Addresses.progress(finishedJob));
    assertThat(progressFrame.body().getLong("seq"))
        .as("seq 2 is older than the seq 3 the socket already has, so it is skipped").isEqualTo(7L);
  }

  @Test
  @DisplayName("sending or publishing into the bridge is refused, whatever the address, and nothing reaches the event bus")
  void inboundIsRefused() {
    List<String> addresses = List.of(Addresses.CONTROL, Addresses.PROGRESS_UPDATES, Addresses.QUEUE_WAKEUP,
        Addresses.EVENTS, Addresses.progress(finishedJob), "anything.else");
    Map<String, List<Object>> received = new ConcurrentHashMap<>();
    List<MessageConsumer<Object>> spies = addresses.stream()
        .map(address -> vertx.eventBus().consumer(address, message ->
            received.computeIfAbsent(address, key -> new CopyOnWriteArrayList<>()).add(message.body())))
        .toList();
    spies.forEach(spy -> Await.result(spy.completion()));
    try {
      JsonObject fromBrowser = new JsonObject().put("jobId", finishedJob).put("done", 1_000_000).put("from", "browser");
      for (String address : addresses) {
        browser.publish(address, fromBrowser);
        assertRefused(browser.next(FRAME_TIMEOUT), "publish to " + address);
        browser.sendTo(address, fromBrowser, null);
        assertRefused(browser.next(FRAME_TIMEOUT), "send to " + address);
        browser.sendTo(address, fromBrowser, REPLY_ADDRESS);
        assertRefused(browser.next(FRAME_TIMEOUT), "request to " + address);
      }

      // Had the bridge forwarded anything, it would have reached the spies before these.
      JsonObject sentinel = new JsonObject().put("action", "probe").put("sentinel", true);
      addresses.forEach(address -> vertx.eventBus().publish(address, sentinel));
      Await.until(() -> Future.succeededFuture(received),
          seen -> addresses.stream().allMatch(address -> seen.getOrDefault(address, List.of()).contains(sentinel)),
          FRAME_TIMEOUT);
      received.forEach((address, bodies) ->
          assertThat(bodies).as("messages on " + address).doesNotContain(fromBrowser));
    } finally {
      spies.forEach(MessageConsumer::unregister);
    }
  }

  @Test
  @DisplayName("registering on any address but a job's progress or jobs.events is refused and delivers nothing")
  void otherAddressesAreRefused() {
    List<String> forbidden = List.of(Addresses.CONTROL, Addresses.PROGRESS_UPDATES, Addresses.QUEUE_WAKEUP,
        "jobs.progress.x", Addresses.progress(finishedJob) + ".extra", Addresses.progress(finishedJob.toUpperCase(Locale.ROOT)),
        "jobs.progress." + finishedJob.substring(1), "jobs.events.x", "xjobs.events", "jobs.progress", "");
    for (String address : forbidden) {
      browser.register(address);
      assertRefused(browser.next(FRAME_TIMEOUT), "register on '" + address + "'");
    }
    browser.register(Addresses.EVENTS);
    acknowledgedSubscription(finishedJob);

    forbidden.forEach(address -> vertx.eventBus().publish(address, snapshot(finishedJob, 1_000)));
    JsonObject sentinel = new JsonObject().put("jobId", finishedJob).put("event", "sentinel");
    vertx.eventBus().publish(Addresses.EVENTS, sentinel);

    Frame next = browser.next(FRAME_TIMEOUT);
    assertThat(next.address()).as("the first frame after the forbidden publications").isEqualTo(Addresses.EVENTS);
    assertThat(next.body()).isEqualTo(sentinel);
  }

  /** Subscribes to the finished job and waits for its snapshot: the bridge has then registered. */
  private void acknowledgedSubscription(String jobId) {
    browser.register(Addresses.progress(jobId));
    Frame ack = browser.next(FRAME_TIMEOUT);
    assertThat(ack.address()).isEqualTo(Addresses.progress(jobId));
    assertThat(ack.body().getString("status")).isEqualTo("completed");
  }

  private static void assertRefused(Frame frame, String what) {
    assertThat(frame.type()).as(what + " is answered with an error").isEqualTo("err");
    assertThat(frame.json().getString("body")).as(what).isIn(REFUSALS);
  }

  private static JsonObject snapshot(String jobId, long seq) {
    return new JsonObject().put("jobId", jobId).put("seq", seq).put("done", seq).put("failed", 0).put("total", 1)
        .put("status", "running");
  }

}
