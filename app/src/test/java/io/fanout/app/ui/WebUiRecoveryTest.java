package io.fanout.app.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedBackends.class)
@DisplayName("In a real browser, the page rides out a restart of the app")
class WebUiRecoveryTest {
  private static final long TASKS = 100_000;

  private static FanoutUnderTest fanout;
  private static Browser browser;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject());
    browser = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (fanout != null) {
      fanout.close();
    }
  }

  @Test
  @DisplayName("while the app is down the page says disconnected; restarted on the same ports, it reconnects by itself and the job ends exact, its count never going back")
  void recoversAfterRestart() {
    int httpPort = fanout.app().settings().integer(Settings.HTTP_PORT);
    int progressPort = fanout.app().settings().integer(Settings.PROGRESS_PORT);
    FanoutPage page = new FanoutPage(browser, "http://127.0.0.1:" + httpPort + "/");
    page.openFresh();
    String jobId = page.submitCount("count", TASKS);
    long shownBeforeStop = page.awaitRunningPast(jobId, 0);

    fanout.close();
    fanout = null;
    page.awaitConnection("disconnected");
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject()
        .put(Settings.HTTP_PORT, httpPort).put(Settings.PROGRESS_PORT, progressPort));
    page.awaitConnection("live");
    page.awaitStatus(jobId, "completed");

    List<Long> seen = page.doneSeenSinceLoad(jobId);
    assertThat(seen).as("every count the card showed, before, during and after the restart").isSorted()
        .contains(shownBeforeStop);
    assertThat(page.shownDone(jobId)).isEqualTo(TASKS);
    assertThat(page.jobIds()).containsExactly(jobId);
  }
}
