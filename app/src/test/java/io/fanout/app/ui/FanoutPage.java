package io.fanout.app.ui;

import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/** The web UI as a user sees it: the new-job form, the job cards, the connection badge, the schedules. */
final class FanoutPage {
  /**
   * Records every {@code data-done} a job card ever shows, from the first render after each
   * load, so a test can prove the count never went back (even between two of its looks).
   */
  private static final String DONE_RECORDER = """
      window.__doneSeen = {};
      new MutationObserver((mutations) => {
        for (const mutation of mutations) {
          const nodes = mutation.type === 'attributes' ? [mutation.target] : [...mutation.addedNodes];
          for (const node of nodes) {
            if (node.nodeType === 1 && node.dataset && node.dataset.jobId && node.dataset.done !== undefined) {
              (window.__doneSeen[node.dataset.jobId] ||= []).push(Number(node.dataset.done));
            }
          }
        }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-done'] });
      """;

  private final Browser browser;
  private final String url;

  FanoutPage(Browser browser, String url) {
    this.browser = browser;
    this.url = url;
    browser.onEveryPage(DONE_RECORDER);
  }

  /** A first visit: nothing remembered from earlier tests; shows the jobs this browser follows. */
  void openFresh() {
    openSignedOut();
    awaitConnection("live");
    showOnly("mine");
  }

  /** A first visit with nothing remembered, before any sign-in. */
  void openSignedOut() {
    browser.open(url);
    browser.script("window.localStorage.clear(); window.sessionStorage.clear();");
    browser.reload();
  }

  /** Types the token into the sign-in form and waits until the page says who is signed in. */
  void signIn(String token) {
    browser.waitFor("the sign-in form", driver -> browser.find("#sign-in").isDisplayed());
    fill("#token-input", token);
    browser.find("#sign-in-submit").click();
    browser.waitFor("the page to say who is signed in", driver -> browser.find("#signed-in").isDisplayed());
  }

  /** The dashboard's scope: "all" (every job) or "mine" (this browser's). */
  void showOnly(String scope) {
    new Select(browser.find("#filter-scope")).selectByValue(scope);
  }

  /** Filters the dashboard by status ("" for any). */
  void filterStatus(String status) {
    new Select(browser.find("#filter-status")).selectByValue(status);
  }

  /** The ids on the dashboard's current page, newest first. */
  @SuppressWarnings("unchecked")
  List<String> dashboardIds() {
    // Read in one script: the dashboard redraws its page as jobs come and go, which would leave
    // elements found one call earlier stale.
    return (List<String>) browser.script(
        "return [...document.querySelectorAll('#all-job-list > li.job')].map((card) => card.dataset.jobId);");
  }

  WebElement dashboardCard(String jobId) {
    return browser.find("#all-job-list > li.job[data-job-id='" + jobId + "']");
  }

  /** Follows the job's link from the dashboard to its page. */
  void openJobPage(String jobId) {
    browser.waitFor("a click on the link of job " + jobId, driver -> {
      try {
        dashboardCard(jobId).findElement(org.openqa.selenium.By.cssSelector("a.job-id")).click();
        return true;
      } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
        // The dashboard redrew its page between finding the link and clicking it: find it again.
        return false;
      }
    });
    browser.waitFor("the page of job " + jobId, driver -> browser.find("#job-page").isDisplayed()
        && !browser.findAll("#job-page-card > li.job[data-job-id='" + jobId + "']").isEmpty());
  }

  WebElement jobPageCard() {
    return browser.find("#job-page-card > li.job");
  }

  void reload() {
    browser.reload();
  }

  void awaitConnection(String state) {
    browser.waitFor("the connection badge to say " + state,
        driver -> state.equals(browser.find("#connection").getDomAttribute("data-state")));
  }

  /** Fills the form for a job of {@code count} iterations and submits it; returns the new card's job id. */
  String submitCount(String type, long count) {
    return submitCount(type, count, "");
  }

  /** The same, with a payload typed into the form as JSON text. */
  String submitCount(String type, long count, String payloadJson) {
    fill("#job-type", type);
    browser.find("input[name=work][value=count]").click();
    fill("#job-count", Long.toString(count));
    fill("#job-payload", payloadJson);
    return submit();
  }

  /** A one-task job over a payload, typed into the form as JSON text. */
  String submitSingle(String type, String payloadJson) {
    fill("#job-type", type);
    browser.find("input[name=work][value=single]").click();
    fill("#job-payload", payloadJson);
    return submit();
  }

  List<String> jobIds() {
    return browser.findAll("#job-list > li.job").stream().map(card -> card.getDomAttribute("data-job-id")).toList();
  }

  WebElement card(String jobId) {
    return browser.find("#job-list > li.job[data-job-id='" + jobId + "']");
  }

  String status(String jobId) {
    return card(jobId).getDomAttribute("data-status");
  }

  long shownDone(String jobId) {
    return Long.parseLong(card(jobId).getDomAttribute("data-done"));
  }

  /** The text of a part of the job's card as the page wrote it (before any CSS capitalisation). */
  String text(String jobId, String part) {
    return card(jobId).findElement(org.openqa.selenium.By.cssSelector(part)).getDomProperty("textContent");
  }

  void awaitStatus(String jobId, String status) {
    browser.waitFor("job " + jobId + " to be " + status, driver -> status.equals(status(jobId)));
  }

  /** Waits until the card shows {@code done} tasks done and the job in {@code status}. */
  void awaitShown(String jobId, String status, long done) {
    browser.waitFor("job " + jobId + " to show " + done + " done and be " + status,
        driver -> status.equals(status(jobId)) && shownDone(jobId) == done);
  }

  /** Waits until the card shows at least {@code done} tasks done while still running; returns what it shows. */
  long awaitRunningPast(String jobId, long done) {
    return browser.waitFor("job " + jobId + " to run past " + done + " tasks", driver -> {
      long shown = shownDone(jobId);
      return "running".equals(status(jobId)) && shown > done ? shown : null;
    });
  }

  /**
   * What a card of the page's own code (js/job-card.js), off screen, shows after it showed
   * {@code shown} and then gets {@code answer} from {@code GET /jobs/<id>}: the page's ordering of
   * what it hears, without the live feed's timing. Returns the card's state as JSON.
   */
  JsonObject cardAfter(JsonObject shown, JsonObject answer) {
    Object state = browser.asyncScript("const [shown, answer, finish] = arguments;"
        + "import('/js/job-card.js').then(({ JobCard }) => {"
        + "  const card = new JobCard(answer.id, shown, { cancel() {}, retry() {}, dismiss() {}, shown() {} });"
        + "  card.applyJob(answer);"
        + "  finish(JSON.stringify(card.state));"
        + "}).catch((e) => finish(JSON.stringify({ error: String(e) })));", shown.getMap(), answer.getMap());
    return new JsonObject((String) state);
  }

  /** Every count the card has shown since the page was last loaded, in order. */
  @SuppressWarnings("unchecked")
  List<Long> doneSeenSinceLoad(String jobId) {
    Map<String, List<Number>> seen = (Map<String, List<Number>>) browser.script("return window.__doneSeen;");
    List<Number> values = seen == null ? null : seen.get(jobId);
    return values == null ? List.of() : values.stream().map(Number::longValue).toList();
  }

  /** The ids in the schedules list, as drawn now. */
  @SuppressWarnings("unchecked")
  List<String> scheduleIds() {
    return (List<String>) browser.script(
        "return [...document.querySelectorAll('#schedule-list > li.schedule')].map((row) => row.dataset.scheduleId);");
  }

  /** Fills the schedules' form and submits it; the list or the error line then answers. */
  void addSchedule(String cron, String timeZone, String type, long count) {
    fill("#schedule-form [name=cron]", cron);
    fill("#schedule-form [name=timeZone]", timeZone);
    fill("#schedule-form [name=type]", type);
    fill("#schedule-form [name=count]", Long.toString(count));
    browser.find("#schedule-submit").click();
  }

  /**
   * Clicks a button of a schedule's row; the list redraws every two seconds, so a row found one
   * call earlier may be gone: find it again.
   */
  void clickOnSchedule(String scheduleId, String buttonCss) {
    browser.waitFor("a click on " + buttonCss + " of schedule " + scheduleId, driver -> {
      try {
        browser.find("#schedule-list > li.schedule[data-schedule-id='" + scheduleId + "'] " + buttonCss).click();
        return true;
      } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
        return false;
      }
    });
  }

  /** A schedule's row as shown (null when it is not listed), read in one script so a redraw cannot come between. */
  @SuppressWarnings("unchecked")
  Map<String, String> scheduleShown(String scheduleId) {
    return (Map<String, String>) browser.script("""
        const row = document.querySelector(`#schedule-list > li.schedule[data-schedule-id='${arguments[0]}']`);
        if (!row) return null;
        const link = row.querySelector('a.schedule-last-job');
        return { cron: row.querySelector('.schedule-cron').textContent,
          zone: row.querySelector('.schedule-zone').textContent,
          job: row.querySelector('.schedule-job').textContent,
          next: row.querySelector('.schedule-next').textContent,
          paused: row.dataset.paused,
          lastJobHref: link ? link.getAttribute('href') : '' };""", scheduleId);
  }

  private String submit() {
    Set<String> before = new HashSet<>(jobIds());
    browser.find("#job-submit").click();
    return browser.waitFor("a new job card after submitting", driver -> {
      String refusal = browser.find("#submit-error").getText();
      if (!refusal.isEmpty()) {
        throw new AssertionError("the form did not submit the job: " + refusal);
      }
      return jobIds().stream().filter(id -> !before.contains(id)).findFirst().orElse(null);
    });
  }

  private void fill(String css, String value) {
    WebElement field = browser.find(css);
    field.clear();
    if (!value.isEmpty()) {
      field.sendKeys(value);
    }
  }
}
