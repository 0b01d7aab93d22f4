package io.fanout.app.bench;

import io.fanout.app.testing.Await;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a job's log as a client does, page by page through {@code GET /jobs/<id>/log}, whichever
 * lane the job took (a big job's own log topic, or its records among the other small jobs' in the
 * express log): each task's first outcome carries {@code at}, the epoch ms it finished, which is
 * what the latency figures start or end at.
 */
final class JobLog {
  private static final int PAGE = 1000;

  private final FanoutHttp http;

  JobLog(FanoutHttp http) {
    this.http = http;
  }

  /**
   * The finish times (epoch ms) of the job's tasks that succeeded, in log order. The log can trail
   * the job's final state by a batch or two, so it reads until {@code expected} are there or the
   * timeout passes.
   */
  List<Long> doneTimes(String jobId, long expected, Duration timeout) {
    List<Long> times = new ArrayList<>();
    long from = 0;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (times.size() < expected && System.nanoTime() < deadline) {
      JsonObject page = Await.result(http.web().get("/jobs/" + jobId + "/log")
          .addQueryParam("from", Long.toString(from)).addQueryParam("limit", Integer.toString(PAGE)).send())
          .bodyAsJsonObject();
      JsonArray records = page.getJsonArray("records", new JsonArray());
      for (int i = 0; i < records.size(); i++) {
        JsonObject record = records.getJsonObject(i).getJsonObject("record");
        if (record != null && "done".equals(record.getString("status")) && record.getLong("at") != null) {
          times.add(record.getLong("at"));
        }
      }
      long next = page.getLong("next", from);
      if (next == from) {
        FanoutHttp.pause(20); // at the log's end for now: the last records are on their way
      }
      from = next;
    }
    return times;
  }
}
