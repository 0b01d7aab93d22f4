package io.fanout.app.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.NginxProxy;
import io.fanout.app.testing.SharedBackends;
import io.fanout.app.testing.Tokens;
import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.WebElement;

/**
 * The page as an operator uses it with authentication on: sign in, the dashboard of every job
 * (jobs submitted by others over HTTP), its status filter, a job's own page followed live to the
 * end; and the same through a real nginx in front, one origin, WebSocket upgrade passed on.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("The dashboard: sign in, every job, filters, a job's page live, directly and behind nginx")
class DashboardTest {
  /** Sleep tasks on the default pool of 8: some seconds of steady progress to follow. */
  private static final int TASKS = 6_000;
  private static final int TASK_MS = 25;
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(90);
  /** Where screenshots go; with -Dfanout.ui.docs=$PWD/docs they are copied over the README's. */
  private static final Path SHOTS = Path.of("target", "ui");

  private static final Pattern WEBSOCKET_UPGRADED = Pattern.compile("\"GET /eventbus/\\S+/websocket HTTP/1.1\" 101 ");

  private static FanoutUnderTest fanout;
  private static Browser browser;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.AUTH_TOKENS, Tokens.AUTH_TOKENS));
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
  @DisplayName("a viewer signs in, sees jobs another token submitted, filters them by status, and follows one on its page to the end")
  void signInFilterAndFollow() {
    String finished = submit(new JsonObject().put("type", "compute").put("payload", new JsonObject().put("input", "ui")));
    // Queued for an hour: a job the status filter must tell from the finished one.
    String waiting = submit(new JsonObject().put("type", "count").put("count", 1).put("delayMs", 3_600_000));
    awaitStatus(finished, JobState.COMPLETED);
    FanoutPage page = new FanoutPage(browser, "http://127.0.0.1:" + port(Settings.HTTP_PORT) + "/");

    page.openSignedOut();
    browser.waitFor("the sign-in form", driver -> browser.find("#sign-in").isDisplayed());
    assertThat(browser.find("#app").isDisplayed()).as("the dashboard before signing in").isFalse();
    page.signIn(Tokens.VIEWER);
    assertThat(browser.find("#signed-in-name").getText()).isEqualTo("vera (viewer)");
    assertThat(browser.script("return window.sessionStorage.getItem('fanout.token');")).isEqualTo(Tokens.VIEWER);
    assertThat(browser.driver().getCurrentUrl()).doesNotContain(Tokens.VIEWER);
    page.awaitConnection("live");

    browser.waitFor("both jobs on the dashboard", driver -> page.dashboardIds().containsAll(List.of(finished, waiting)));
    assertThat(page.dashboardIds().indexOf(waiting)).as("newest first").isLessThan(page.dashboardIds().indexOf(finished));
    assertThat(browser.script("return document.querySelector(\"#all-job-list > li.job[data-job-id='\" + arguments[0]"
        + " + \"'] .job-owner\").textContent;", finished)).isEqualTo("by alice");
    page.filterStatus("completed");
    browser.waitFor("only finished jobs", driver -> page.dashboardIds().contains(finished)
        && !page.dashboardIds().contains(waiting));
    page.filterStatus("queued");
    browser.waitFor("only queued jobs", driver -> page.dashboardIds().contains(waiting)
        && !page.dashboardIds().contains(finished));
    page.filterStatus("");

    String running = submit(sleepJob());
    browser.waitFor("the new job running on the dashboard", driver -> page.dashboardIds().contains(running)
        && "running".equals(browser.script("return document.querySelector(\"#all-job-list > li.job[data-job-id='\""
        + " + arguments[0] + \"']\").dataset.status;", running)));
    screenshot("fanout-dashboard.png");
    page.openJobPage(running);
    List<Long> seen = followToTheEnd(page);
    screenshot("fanout-job.png");

    assertLiveToTheEnd(seen);
    assertThat(browser.find("#job-timeline [data-step=finished] dd").getText()).isNotEqualTo("–");
    assertThat(browser.find("#job-timeline [data-step=started] dd").getText()).isNotEqualTo("–");
    for (String format : List.of("ndjson", "csv")) {
      browser.script("document.getElementById('job-results-note').removeAttribute('data-lines');");
      browser.find("#job-results-" + format).click();
      browser.waitFor("the " + format + " results saved", driver -> browser.find("#job-results-note")
          .getAttribute("data-lines") != null);
      assertThat(browser.find("#job-results-note").getAttribute("data-lines")).as("results saved as " + format)
          .isEqualTo(Integer.toString(TASKS));
    }
    Await.result(fanout.http().delete("/jobs/" + waiting).bearerTokenAuthentication(Tokens.ADMIN).send());
  }

  @Test
  @DisplayName("behind nginx on one port the page signs in and its job page gets live progress over the proxied WebSocket")
  void behindOneReverseProxy() {
    try (NginxProxy proxy = NginxProxy.inFrontOf(port(Settings.HTTP_PORT))) {
      FanoutPage page = new FanoutPage(browser, proxy.url());
      page.openSignedOut();
      page.signIn(Tokens.VIEWER);
      page.awaitConnection("live");
      String running = submit(sleepJob());

      browser.open(proxy.url() + "#/jobs/" + running);
      browser.waitFor("the job page", driver -> !browser.findAll("#job-page-card > li.job").isEmpty());
      List<Long> seen = followToTheEnd(page);

      assertLiveToTheEnd(seen);
      @SuppressWarnings("unchecked")
      List<String> requested = (List<String>) browser.script(
          "return performance.getEntriesByType('resource').map((entry) => entry.name);");
      assertThat(requested).as("what the page fetched").isNotEmpty()
          .allSatisfy(url -> assertThat(url).startsWith(proxy.url()))
          .noneSatisfy(url -> assertThat(url).contains(":" + port(Settings.PROGRESS_PORT)));
      // nginx logs a request when it ends: leaving the page closes the WebSocket.
      browser.open("about:blank");
      browser.waitFor("nginx to log the page's WebSocket, upgraded (101)", driver ->
          WEBSOCKET_UPGRADED.matcher(proxy.accessLog()).find());
    }
  }

  /** Every count the job page's card showed, read as often as the page renders, until the job is over. */
  private static List<Long> followToTheEnd(FanoutPage page) {
    List<Long> seen = new ArrayList<>();
    browser.waitFor("the job page to show the job completed", driver -> {
      WebElement card = page.jobPageCard();
      // The state first: once it says completed, the count read after it is the final one.
      boolean completed = "completed".equals(card.getDomAttribute("data-status"));
      long done = Long.parseLong(card.getDomAttribute("data-done"));
      if (seen.isEmpty() || seen.get(seen.size() - 1) != done) {
        seen.add(done);
      }
      return completed;
    });
    return seen;
  }

  private static void assertLiveToTheEnd(List<Long> seen) {
    assertThat(seen).as("counts the job page showed").isSorted().endsWith((long) TASKS);
    assertThat(seen.stream().filter(done -> done > 0 && done < TASKS).count())
        .as("counts shown while the job ran, each from a live snapshot").isGreaterThanOrEqualTo(2);
  }

  private static JsonObject sleepJob() {
    return new JsonObject().put("type", "sleep").put("count", TASKS).put("payload", new JsonObject().put("ms", TASK_MS));
  }

  /** A job submitted as curl would, with another token than the browser's. */
  private static String submit(JsonObject job) {
    HttpResponse<Buffer> response = Await.result(fanout.http().post("/jobs").bearerTokenAuthentication(Tokens.ALICE)
        .sendJsonObject(job));
    assertThat(response.statusCode()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("jobId");
  }

  private static void awaitStatus(String id, JobState state) {
    fanout.awaitStatus(id, state, Tokens.ADMIN, JOB_TIMEOUT);
  }

  private static int port(String setting) {
    return fanout.app().settings().integer(setting);
  }

  private static void screenshot(String name) {
    Path shot = SHOTS.resolve(name);
    browser.screenshot(shot);
    String docs = System.getProperty("fanout.ui.docs");
    if (docs != null && !docs.isBlank()) {
      try {
        Files.copy(shot, Path.of(docs, name), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
