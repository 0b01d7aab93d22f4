package io.fanout.app.bench;

import io.fanout.core.JobState;
import io.fanout.core.Topics;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scenario 1: one big job at a time, from submit to final state, timed by the job's own
 * {@code createdAt} and {@code finishedAt}. While it runs, the job's task topic is sampled to see
 * when the dispatcher had produced every task: a dispatcher that finishes just before the job
 * sets the pace; one that finishes early leaves it to the workers. A job still running at the time
 * limit is cancelled and its rate so far reported as such, so the benchmark always ends.
 */
final class EndToEndThroughput {
  private static final Logger LOG = LoggerFactory.getLogger(EndToEndThroughput.class);
  private static final long POLL_MS = 250;

  /**
   * @param rate tasks per second, createdAt to finishedAt (or to the time limit)
   * @param waitMs createdAt to startedAt: admission and topic creation
   * @param dispatchedMs createdAt to the first sample with every task in Kafka; -1 if never seen
   * @param finished false when the time limit cut the run short
   */
  record Run(double rate, long tasks, long millis, long waitMs, long dispatchedMs, boolean finished) {
    String describe() {
      String dispatch = dispatchedMs < 0 ? ""
          : String.format(", all tasks in Kafka after %.1f s", dispatchedMs / 1000.0);
      return String.format("%,d tasks in %.1f s%s%s", tasks, millis / 1000.0, dispatch,
          finished ? "" : " (cut at the time limit)");
    }
  }

  private final FanoutHttp http;
  private final TopicOffsets offsets;
  private final Duration limit;

  EndToEndThroughput(FanoutHttp http, TopicOffsets offsets, Duration limit) {
    this.http = http;
    this.offsets = offsets;
    this.limit = limit;
  }

  List<Run> runs(JsonObject body, int runs) {
    List<Run> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Run run = once(body);
      LOG.info("{} job run {}: {} = {} tasks/s", body.getString("type"), i + 1, run.describe(), Math.round(run.rate()));
      results.add(run);
    }
    return results;
  }

  private Run once(JsonObject body) {
    String id = http.submit(body);
    long total = body.getLong("count");
    long deadline = System.nanoTime() + limit.toNanos();
    long allDispatchedAt = -1;
    JsonObject job = http.job(id);
    while (!JobState.fromWire(job.getString("status")).isFinal() && System.nanoTime() < deadline) {
      if (allDispatchedAt < 0 && offsets.records(Topics.tasks(id)) >= total) {
        allDispatchedAt = System.currentTimeMillis();
      }
      FanoutHttp.pause(POLL_MS);
      job = http.job(id);
    }
    long createdAt = FanoutHttp.epochMillis(job, "createdAt");
    long dispatchedMs = allDispatchedAt < 0 ? -1 : allDispatchedAt - createdAt;
    if (!JobState.fromWire(job.getString("status")).isFinal()) {
      http.cancel(id);
      long millis = Duration.between(Instant.ofEpochMilli(createdAt), Instant.now()).toMillis();
      long done = job.getLong("done", 0L);
      return new Run(done * 1000.0 / millis, done, millis, waitOf(job), dispatchedMs, false);
    }
    if (!"completed".equals(job.getString("status"))) {
      throw new IllegalStateException("job " + id + " ended " + job.encode());
    }
    long millis = FanoutHttp.millisBetween(job, "createdAt", "finishedAt");
    long done = job.getLong("done");
    return new Run(done * 1000.0 / Math.max(1, millis), done, millis, waitOf(job), dispatchedMs, true);
  }

  private static long waitOf(JsonObject job) {
    return job.getString("startedAt") == null ? -1 : FanoutHttp.millisBetween(job, "createdAt", "startedAt");
  }
}
