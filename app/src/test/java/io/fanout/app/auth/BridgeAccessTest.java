package io.fanout.app.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.Tokens;
import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.app.testing.SockJsBridgeClient.Frame;
import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.fanout.core.auth.TokenHash;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bridge checks a browser's token when it subscribes, on the progress port and on the API's
 * own origin alike. Every role may read every job (the dashboard is the whole system's), so the
 * rule under test is "viewer or above", not ownership.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The bridge lets a browser subscribe only with a token of role viewer or above")
class BridgeAccessTest {
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
  private static final List<String> REFUSALS = List.of("rejected", "access_denied");

  private static FanoutUnderTest fanout;
  /** A finished job of alice's: its snapshot on subscribe is the bridge's acknowledgement. */
  private static String finished;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.AUTH_TOKENS, Tokens.AUTH_TOKENS));
    finished = submit(Tokens.ALICE, "bridge");
    awaitCompleted(finished);
  }

  private static void awaitCompleted(String id) {
    fanout.awaitStatus(id, JobState.COMPLETED, Tokens.VIEWER, JOB_TIMEOUT);
  }

  @AfterAll
  static void stop() {
    if (fanout != null) {
      fanout.close();
    }
  }

  @Test
  @DisplayName("a viewer's token subscribes to another token's job, on the progress port and at /eventbus on the API's port")
  void viewerSubscribes() {
    for (int port : List.of(progressPort(), apiPort())) {
      try (SockJsBridgeClient browser = SockJsBridgeClient.connect(fanout.app().vertx(), port)) {
        browser.register(Addresses.progress(finished), Tokens.VIEWER);

        JsonObject snapshot = browser.nextBody(FRAME_TIMEOUT);

        assertThat(snapshot.getString("jobId")).as("port %d", port).isEqualTo(finished);
        assertThat(snapshot.getLong("done")).isEqualTo(1);
      }
    }
  }

  @Test
  @DisplayName("no token, an unknown token or a malformed header is refused, for a job's progress and for jobs.events")
  void withoutAKnownTokenNothingIsDelivered() {
    for (int port : List.of(progressPort(), apiPort())) {
      try (SockJsBridgeClient browser = SockJsBridgeClient.connect(fanout.app().vertx(), port)) {
        for (String address : List.of(Addresses.progress(finished), Addresses.EVENTS)) {
          for (String token : new String[] {null, TokenHash.newToken(), ""}) {
            browser.register(address, token);
            assertRefused(browser.next(FRAME_TIMEOUT), address);
          }
        }
        // A refused registration leaves no subscription behind: a job's events, published while
        // it ran to its end, never reached this browser.
        String unheard = submit(Tokens.ALICE, "unheard-" + port);
        awaitCompleted(unheard);
        assertThat(browser.poll(Duration.ofSeconds(1))).isNull();
      }
    }
  }

  @Test
  @DisplayName("a viewer subscribed to jobs.events hears another token's job start and end")
  void viewerHearsLifecycleEvents() {
    try (SockJsBridgeClient browser = SockJsBridgeClient.connect(fanout.app().vertx(), apiPort())) {
      browser.register(Addresses.EVENTS, Tokens.VIEWER);
      // The registration is acknowledged by nothing; a snapshot subscription after it is, and
      // frames arrive in order, so once it answers jobs.events is registered too.
      browser.register(Addresses.progress(finished), Tokens.VIEWER);
      assertThat(browser.nextBody(FRAME_TIMEOUT).getString("jobId")).isEqualTo(finished);

      String id = submit(Tokens.BOB, "heard");

      Frame event;
      do {
        event = browser.next(JOB_TIMEOUT);
      } while (!(Addresses.EVENTS.equals(event.address()) && id.equals(event.body().getString("jobId"))
          && JobState.COMPLETED.wireName().equals(event.body().getString("event"))));
      assertThat(event.type()).isEqualTo("rec");
    }
  }

  @Test
  @DisplayName("a token made by an admin subscribes until it is revoked")
  void revokedTokenIsRefused() {
    HttpResponse<Buffer> created = Await.result(fanout.http().post("/tokens").bearerTokenAuthentication(Tokens.ADMIN)
        .sendJsonObject(new JsonObject().put("name", "kiosk").put("role", "viewer")));
    String kiosk = created.bodyAsJsonObject().getString("token");
    try (SockJsBridgeClient browser = SockJsBridgeClient.connect(fanout.app().vertx(), apiPort())) {
      browser.register(Addresses.progress(finished), kiosk);
      assertThat(browser.nextBody(FRAME_TIMEOUT).getString("jobId")).isEqualTo(finished);

      assertThat(Await.result(fanout.http().delete("/tokens/kiosk").bearerTokenAuthentication(Tokens.ADMIN).send())
          .statusCode()).isEqualTo(200);
      browser.register(Addresses.progress(finished), kiosk);

      assertRefused(browser.next(FRAME_TIMEOUT), "a revoked token");
    }
  }

  private static void assertRefused(Frame frame, String what) {
    assertThat(frame.type()).as(what + " is answered with an error").isEqualTo("err");
    assertThat(frame.json().getString("body")).as(what).isIn(REFUSALS);
  }

  private static String submit(String token, String input) {
    HttpResponse<Buffer> response = Await.result(fanout.http().post("/jobs").bearerTokenAuthentication(token)
        .sendJsonObject(new JsonObject().put("type", "compute").put("payload", new JsonObject().put("input", input))));
    assertThat(response.statusCode()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("jobId");
  }

  private static int progressPort() {
    return fanout.app().settings().integer(Settings.PROGRESS_PORT);
  }

  private static int apiPort() {
    return fanout.app().settings().integer(Settings.HTTP_PORT);
  }
}
