package io.fanout.app.bench;

import io.fanout.app.testing.SockJsBridgeClient;
import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scenario 3, one job at a time so that no job waits behind another, each watched through the
 * SockJS bridge from right after its submission (its first task waits for the workers to find the
 * job's topic, far longer than a subscription takes). Submit to first task done: from the moment
 * the client sends POST /jobs to the earliest {@code at} in the job's log. Task done to browser:
 * for each task, from its {@code at} to the arrival of the first progress snapshot whose
 * {@code done} counts it. Every clock read is this JVM's (the Fanout roles run in it too).
 * A log record's {@code at} is when its task's last attempt ended.
 */
final class LatencyProbe {
  private static final Logger LOG = LoggerFactory.getLogger(LatencyProbe.class);
  private static final Duration JOB_LIMIT = Duration.ofSeconds(60);
  private static final Duration LOG_LIMIT = Duration.ofSeconds(10);

  /**
   * One job as the browser saw it.
   *
   * @param submitToFirstMs client's POST to the earliest {@code at}
   * @param submitToStartedMs client's POST to the job's {@code startedAt} (admission, topic creation)
   * @param browserDelaysMs per task counted after the subscription, {@code at} to the snapshot showing it
   * @param unseen tasks no snapshot showed
   * @param spanMs first to last {@code at}
   */
  record Watched(double submitToFirstMs, double submitToStartedMs, List<Double> browserDelaysMs, int snapshots,
      int unseen, long spanMs) {}

  private final FanoutHttp http;
  private final JobLog log;
  private final SockJsBridgeClient browser;

  LatencyProbe(FanoutHttp http, JobLog log, SockJsBridgeClient browser) {
    this.http = http;
    this.log = log;
    this.browser = browser;
  }

  /** Submits {@code job}, watches it to its final snapshot, then reads its log. */
  Watched watch(JsonObject job, long tasks) {
    long epochAtNanosZero = System.currentTimeMillis() - System.nanoTime() / 1_000_000;
    long sentAt = System.currentTimeMillis();
    String id = http.submit(job);
    String address = Addresses.progress(id);
    long subscribedAt = System.currentTimeMillis();
    browser.register(address);
    List<long[]> snapshots = new ArrayList<>();
    long deadline = System.nanoTime() + JOB_LIMIT.toNanos();
    boolean finalSeen = false;
    while (!finalSeen && System.nanoTime() < deadline) {
      SockJsBridgeClient.Frame arrival = browser.poll(Duration.ofMillis(500));
      if (arrival == null || !address.equals(arrival.address()) || arrival.body() == null) {
        continue;
      }
      long arrivedAt = epochAtNanosZero + arrival.arrivedNanos() / 1_000_000;
      snapshots.add(new long[] {arrival.body().getLong("done", 0L), arrivedAt});
      finalSeen = JobState.fromWire(arrival.body().getString("status")).isFinal();
    }
    browser.unregister(address);
    if (!finalSeen) {
      http.cancel(id);
      throw new IllegalStateException("no final snapshot of job " + id + " within " + JOB_LIMIT);
    }
    JsonObject finished = http.job(id);
    List<Long> doneTimes = new ArrayList<>(log.doneTimes(id, tasks, LOG_LIMIT));
    if (doneTimes.isEmpty()) {
      throw new IllegalStateException("the log of job " + id + " holds no finished task");
    }
    Collections.sort(doneTimes);
    // Tasks counted before the subscription could only be seen late; they would time the subscription.
    long listeningFrom = snapshots.isEmpty() ? subscribedAt : Math.min(snapshots.get(0)[1], subscribedAt + 50);
    List<Double> delays = new ArrayList<>();
    int unseen = 0;
    for (int k = 0; k < doneTimes.size(); k++) {
      long at = doneTimes.get(k);
      if (at < listeningFrom) {
        continue;
      }
      long visibleAt = firstShowing(snapshots, k + 1);
      if (visibleAt < 0) {
        unseen++;
      } else {
        delays.add((double) (visibleAt - at));
      }
    }
    long startedAt = FanoutHttp.epochMillis(finished, "startedAt");
    long spanMs = doneTimes.get(doneTimes.size() - 1) - doneTimes.get(0);
    LOG.info("Job {}: {} snapshots for {} tasks finished over {} ms, {} delays measured", id,
        snapshots.size(), tasks, spanMs, delays.size());
    return new Watched(doneTimes.get(0) - sentAt, startedAt - sentAt, delays, snapshots.size(), unseen, spanMs);
  }

  /** When the first snapshot counting at least {@code done} tasks arrived; -1 if none did. */
  private static long firstShowing(List<long[]> snapshots, long done) {
    for (long[] snapshot : snapshots) {
      if (snapshot[0] >= done) {
        return snapshot[1];
      }
    }
    return -1;
  }
}
