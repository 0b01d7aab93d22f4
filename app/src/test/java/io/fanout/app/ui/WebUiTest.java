package io.fanout.app.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.Await;
import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.JobState;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

@ExtendWith(SharedBackends.class)
@DisplayName("In a real browser, the page submits jobs and follows them live, across reloads, and keeps schedules")
class WebUiTest {
  /** Where the mid-job screenshot goes; -Dfanout.ui.screenshot=<file> copies it there too (docs/). */
  private static final Path SCREENSHOT = Path.of("target", "ui", "fanout-ui.png");
  /** Big enough to still be running when the test looks, small enough to finish in seconds. */
  private static final long LONG_JOB = 60_000;
  /** Six fields, seconds first: a schedule firing every 2 s, so one comes while the test looks. */
  private static final String EVERY_TWO_SECONDS = "*/2 * * * * *";

  private static FanoutUnderTest fanout;
  private static Browser browser;
  private static FanoutPage page;

  @BeforeAll
  static void start() {
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject());
    browser = Browser.start();
    page = new FanoutPage(browser, "http://127.0.0.1:" + fanout.app().settings().integer(Settings.HTTP_PORT) + "/");
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

  @BeforeEach
  void freshPage() {
    page.openFresh();
  }

  @Test
  @DisplayName("a job submitted from the form fills its bar to 100 % and shows its final count; its log pages forward and back")
  void submitAndWatch() {
    String jobId = page.submitCount("count", 3_000);

    page.awaitStatus(jobId, "completed");

    assertThat(page.shownDone(jobId)).isEqualTo(3_000L);
    assertThat(page.text(jobId, ".bar-label")).isEqualTo("100 %");
    assertThat(page.text(jobId, ".done-count")).isEqualTo("3,000 / 3,000 done");
    assertThat(page.text(jobId, ".state")).isEqualTo("completed");
    assertThat(page.card(jobId).findElement(By.cssSelector(".bar")).getDomAttribute("aria-valuenow")).isEqualTo("100");
    assertThat(page.doneSeenSinceLoad(jobId)).isSorted();

    page.card(jobId).findElement(By.cssSelector("button.log")).click();
    awaitLogPosition(jobId, "records 1–20");
    assertThat(page.card(jobId).findElements(By.cssSelector(".log-panel tbody tr"))).hasSize(20);
    page.card(jobId).findElement(By.cssSelector("button.log-later")).click();
    awaitLogPosition(jobId, "records 21–40");
    page.card(jobId).findElement(By.cssSelector("button.log-earlier")).click();
    awaitLogPosition(jobId, "records 1–20");
  }

  @Test
  @DisplayName("after a reload mid-job the job is back at once and resumes, never showing less than before")
  void reloadMidJob() {
    String jobId = page.submitCount("count", LONG_JOB);
    long shownBeforeReload = page.awaitRunningPast(jobId, 0);

    page.reload();
    page.awaitStatus(jobId, "completed");

    List<Long> seenAfterReload = page.doneSeenSinceLoad(jobId);
    assertThat(seenAfterReload).isNotEmpty().isSorted();
    assertThat(seenAfterReload.get(0)).as("the first count shown after the reload").isGreaterThanOrEqualTo(shownBeforeReload);
    assertThat(page.shownDone(jobId)).isEqualTo(LONG_JOB);
    assertThat(page.jobIds()).containsOnlyOnce(jobId);
  }

  @Test
  @DisplayName("a second job does not disturb the first: one card each, each count only rising, each ending exact")
  void twoJobs() throws Exception {
    String first = page.submitCount("count", LONG_JOB);
    page.awaitRunningPast(first, 0);
    String second = page.submitCount("sha256", 2_000);

    page.awaitRunningPast(first, LONG_JOB / 2);
    browser.screenshot(SCREENSHOT);
    String copyTo = System.getProperty("fanout.ui.screenshot");
    if (copyTo != null && !copyTo.isBlank()) {
      Files.copy(SCREENSHOT, Path.of(copyTo), StandardCopyOption.REPLACE_EXISTING);
    }
    page.awaitStatus(second, "completed");
    page.awaitStatus(first, "completed");

    assertThat(page.jobIds()).containsExactly(second, first);
    assertThat(page.shownDone(first)).isEqualTo(LONG_JOB);
    assertThat(page.shownDone(second)).isEqualTo(2_000L);
    assertThat(page.doneSeenSinceLoad(first)).isSorted();
    assertThat(page.doneSeenSinceLoad(second)).isSorted();
  }

  private static void awaitLogPosition(String jobId, String position) {
    browser.waitFor("the log of job " + jobId + " to show " + position,
        driver -> position.equals(page.text(jobId, ".log-pager .note")));
  }

  @Test
  @DisplayName("a payload with <script> and an onerror image is shown as text and runs nothing")
  void markupInPayloadIsText() {
    String hostile = "<script>window.__pwned = 1</script><img src=x onerror=\\\"window.__pwned = 2\\\">";
    String jobId = page.submitSingle("compute", "{\"input\": \"" + hostile + "\"}");

    page.awaitStatus(jobId, "completed");

    assertThat(page.text(jobId, ".payload")).contains("<script>window.__pwned = 1</script>").contains("onerror=");
    assertThat(page.card(jobId).findElements(By.cssSelector("script, img"))).isEmpty();
    assertThat(browser.script("return window.__pwned === undefined;")).isEqualTo(true);
  }

  @Test
  @DisplayName("retrying a failed job's failed tasks from its card follows the new run to its end, its count above the first run's")
  void retryFollowsTheNewRun() {
    // Each task fails at each of its 3 attempts with probability 0.7: about a third fail for good.
    String jobId = page.submitCount("fail", 300, "{\"p\": 0.7}");
    page.awaitStatus(jobId, "failed");
    JsonObject firstRun = fanout.awaitFinal(jobId, Duration.ofSeconds(60));
    page.awaitShown(jobId, "failed", firstRun.getLong("done"));

    page.card(jobId).findElement(By.cssSelector("button.retry")).click();
    // The run after a retry is the job's next generation: its states order after every one of the first run.
    JsonObject secondRun = Await.until(() -> fanout.http().get("/jobs/" + jobId).send().map(HttpResponse::bodyAsJsonObject),
        job -> job.getLong("progressSeq") > firstRun.getLong("progressSeq")
            && JobState.fromWire(job.getString("status")).isFinal(), Duration.ofSeconds(60));

    assertThat(secondRun.getLong("done")).as("tasks done after the retry").isGreaterThan(firstRun.getLong("done"));
    page.awaitShown(jobId, secondRun.getString("status"), secondRun.getLong("done"));
    assertThat(page.doneSeenSinceLoad(jobId)).isSorted();

    // Without the live feed (a page that was closed meanwhile, or a bridge that is down) the
    // answer alone moves the card on: the second run ends with as many tasks counted as the
    // first, but in the next generation.
    JsonObject shownAtFirstEnd = new JsonObject().put("status", firstRun.getString("status"))
        .put("done", firstRun.getLong("done")).put("failed", firstRun.getLong("failed"))
        .put("total", firstRun.getLong("total")).put("seq", firstRun.getLong("progressSeq"));
    JsonObject card = page.cardAfter(shownAtFirstEnd, secondRun);
    assertThat(card.getString("error")).isNull();
    assertThat(card.getLong("done")).isEqualTo(secondRun.getLong("done"));
    assertThat(card.getLong("failed")).isEqualTo(secondRun.getLong("failed"));
  }

  @Test
  @DisplayName("cancelling a running job stops it and the card says cancelled; a dismissed job stays gone after a reload")
  void cancelThenDismiss() {
    String jobId = page.submitCount("count", 5_000_000);
    page.awaitRunningPast(jobId, 0);

    page.card(jobId).findElement(By.cssSelector("button.cancel")).click();
    page.awaitStatus(jobId, "cancelled");
    page.card(jobId).findElement(By.cssSelector("button.dismiss")).click();
    page.reload();
    page.awaitConnection("live");

    assertThat(page.jobIds()).doesNotContain(jobId);
  }

  @Test
  @DisplayName("a schedule made in the form is listed, fires a job its row links to, and is paused and deleted from its row")
  void makeFirePauseAndDelete() {
    List<String> existing = storedIds();

    page.addSchedule(EVERY_TWO_SECONDS, "Europe/Paris", "count", 3);
    String id = browser.waitFor("the new schedule in the list", driver -> {
      String refusal = browser.find("#schedule-error").getDomProperty("textContent");
      if (!refusal.isEmpty()) {
        throw new AssertionError("the form did not make the schedule: " + refusal);
      }
      return page.scheduleIds().stream().filter(shown -> !existing.contains(shown)).findFirst().orElse(null);
    });
    JsonObject stored = schedule(id);
    assertThat(stored.getString("cron")).isEqualTo(EVERY_TWO_SECONDS);
    assertThat(stored.getString("timeZone")).isEqualTo("Europe/Paris");
    assertThat(stored.getJsonObject("template").getMap()).containsEntry("type", "count").containsEntry("count", 3);
    Map<String, String> shown = page.scheduleShown(id);
    assertThat(shown).containsEntry("cron", EVERY_TWO_SECONDS).containsEntry("zone", "Europe/Paris")
        .containsEntry("job", "count × 3").containsEntry("paused", "false");
    assertThat(shown.get("next")).startsWith("next ");

    String link = browser.waitFor("a job fired by the schedule, linked from its row", driver -> {
      Map<String, String> row = page.scheduleShown(id);
      return row != null && !row.get("lastJobHref").isEmpty() ? row.get("lastJobHref") : null;
    });
    assertThat(link).startsWith("#/jobs/");
    browser.screenshot(Path.of("target", "ui", "fanout-schedules.png"));
    String jobId = link.substring("#/jobs/".length());
    assertThat(schedule(id).getJsonArray("firings").stream().map(firing -> ((JsonObject) firing).getString("jobId")))
        .as("the schedule's firings in the API").contains(jobId);
    page.clickOnSchedule(id, "a.schedule-last-job");
    browser.waitFor("the fired job's page showing it completed", driver -> browser.find("#job-page").isDisplayed()
        && browser.findAll("#job-page-card > li.job[data-job-id='" + jobId + "'][data-status='completed']").size() == 1);
    assertThat(fanout.awaitFinal(jobId, Duration.ofSeconds(60)).getInteger("done")).isEqualTo(3);

    page.clickOnSchedule(id, "button.schedule-pause");
    browser.waitFor("the row to say the schedule is paused", driver -> "true".equals(page.scheduleShown(id).get("paused")));
    JsonObject paused = schedule(id);
    assertThat(paused.getBoolean("paused")).as("paused in the API").isTrue();
    assertThat(paused.containsKey("nextFireAt")).as("a paused schedule's next firing").isFalse();
    assertThat(page.scheduleShown(id).get("next")).isEqualTo("no next firing");

    page.clickOnSchedule(id, "button.schedule-delete");
    browser.waitFor("the schedule gone from the list", driver -> !page.scheduleIds().contains(id));
    assertThat(fanout.get("/schedules/" + id).statusCode()).as("GET of the deleted schedule").isEqualTo(404);
    assertThat(storedIds()).doesNotContain(id);
  }

  @Test
  @DisplayName("an invalid cron shows the API's refusal under the form, marks the cron field, and stores nothing")
  void invalidCronIsRefused() {
    String cron = "every two seconds";
    List<String> before = storedIds();
    HttpResponse<Buffer> refused = fanout.post("/schedules", new JsonObject().put("cron", cron).put("timeZone", "UTC")
        .put("template", new JsonObject().put("type", "count").put("count", 3)));
    assertThat(refused.statusCode()).isEqualTo(400);
    JsonObject error = refused.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("field")).isEqualTo("cron");

    page.addSchedule(cron, "UTC", "count", 3);
    String shown = browser.waitFor("the refusal under the schedules' form", driver -> {
      String text = browser.find("#schedule-error").getDomProperty("textContent");
      return text.isEmpty() ? null : text;
    });

    assertThat(shown).isEqualTo(error.getString("message"));
    assertThat(browser.find("#schedule-form [name=cron]").getDomAttribute("aria-invalid")).isEqualTo("true");
    assertThat(storedIds()).as("schedules stored").containsExactlyInAnyOrderElementsOf(before);
  }

  private static JsonObject schedule(String id) {
    HttpResponse<Buffer> response = fanout.get("/schedules/" + id);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static List<String> storedIds() {
    return fanout.get("/schedules").bodyAsJsonObject().getJsonArray("schedules").stream()
        .map(schedule -> ((JsonObject) schedule).getString("id")).toList();
  }
}
