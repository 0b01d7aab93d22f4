package io.fanout.app.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The page's schedules panel against a real Fanout: a schedule made in its form fires jobs, and
 * its row pauses and deletes it; what the page shows is checked against what the API stores.
 */
@ExtendWith(SharedBackends.class)
@DisplayName("In a real browser, the page makes, lists, pauses and deletes schedules, and shows the API's refusals")
class SchedulesPageTest {
  /** Six fields, seconds first: a firing every 2 s, so one comes while the test looks. */
  private static final String EVERY_TWO_SECONDS = "*/2 * * * * *";
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);

  private static FanoutUnderTest fanout;
  private static Browser browser;
  private static FanoutPage page;

  @BeforeAll
  static void start() {
    // The dispatcher looks for due schedules often, so a firing's job comes soon after its slot.
    fanout = FanoutUnderTest.onSharedBackends(new JsonObject().put(Settings.SCHEDULE_POLL_MS, 200));
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
    String jobId = link.substring("#/jobs/".length());
    assertThat(schedule(id).getJsonArray("firings").stream().map(firing -> ((JsonObject) firing).getString("jobId")))
        .as("the schedule's firings in the API").contains(jobId);
    page.clickOnSchedule(id, "a.schedule-last-job");
    browser.waitFor("the fired job's page showing it completed", driver -> browser.find("#job-page").isDisplayed()
        && browser.findAll("#job-page-card > li.job[data-job-id='" + jobId + "'][data-status='completed']").size() == 1);
    assertThat(fanout.awaitFinal(jobId, JOB_TIMEOUT).getInteger("done")).isEqualTo(3);

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
