package io.fanout.app.bench;

import io.fanout.app.testing.Await;
import io.fanout.core.Addresses;
import io.fanout.core.JobState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scenario 5: many one-task {@code compute} jobs, submitted at once or by a number of clients each
 * submitting its share one after another; jobs per second from the first submission to the last
 * final event on {@code jobs.events}. Bounded in time: what finished by then is what counts.
 */
final class SingleTaskJobs {
  /**
   * @param queuedMs median createdAt to startedAt (waiting for admission, then topic creation)
   * @param runningMs median startedAt to finishedAt (topic discovery by the workers, the task)
   * @param cost the processes' CPU per finished job from the first submission to the last final event, if asked
   */
  record Result(double jobsPerSecond, int finished, int submitted, double seconds, double queuedMs, double runningMs,
      CpuPerJob.Cost cost) {

    /** The JIT compiler's CPU over the run's time, as a share of one core (0 when not measured). */
    double jitShare() {
      return cost == null || seconds <= 0 ? 0 : cost.jitMs() * finished / 1000 / seconds;
    }
  }

  private final Vertx fanoutVertx;
  private final FanoutHttp http;

  SingleTaskJobs(Vertx fanoutVertx, FanoutHttp http) {
    this.fanoutVertx = fanoutVertx;
    this.http = http;
  }

  /** Every job submitted at once. */
  Result run(int jobs, Duration limit) {
    return run(jobs, jobs, limit, null);
  }

  /**
   * {@code clients} clients, each sending its next job once the API accepted its last one; with
   * {@code cpu}, what the processes spent on it, counted to the last final event.
   */
  Result run(int jobs, int clients, Duration limit, CpuPerJob cpu) {
    Map<String, Long> finishedAt = new ConcurrentHashMap<>();
    MessageConsumer<JsonObject> events = fanoutVertx.eventBus().consumer(Addresses.EVENTS, message -> {
      String event = message.body().getString("event");
      if (event != null && isFinal(event)) {
        finishedAt.put(message.body().getString("jobId"), System.nanoTime());
      }
    });
    Await.result(events.completion());
    try {
      if (cpu != null) {
        cpu.start();
      }
      long start = System.nanoTime();
      String[] submitted = new String[jobs];
      List<Future<Void>> submitting = new ArrayList<>();
      for (int client = 0; client < clients; client++) {
        Future<Void> share = Future.succeededFuture();
        for (int i = client; i < jobs; i += clients) {
          int index = i;
          share = share.compose(previous -> http.submitAsync(new JsonObject().put("type", "compute")
              .put("payload", new JsonObject().put("input", "job-" + index)))
              .onSuccess(id -> submitted[index] = id).mapEmpty());
        }
        submitting.add(share);
      }
      Await.result(Future.all(submitting), limit.plusSeconds(60));
      List<String> ids = List.of(submitted);
      long deadline = start + limit.toNanos();
      // Only the jobs still out are looked at again: this thread's CPU counts against the jobs too.
      Set<String> out = new HashSet<>(ids);
      while (System.nanoTime() < deadline) {
        out.removeIf(finishedAt::containsKey);
        if (out.isEmpty()) {
          break;
        }
        FanoutHttp.pause(20);
      }
      List<Long> ends = ids.stream().map(finishedAt::get).filter(java.util.Objects::nonNull).toList();
      CpuPerJob.Cost cost = cpu == null || ends.isEmpty() ? null : cpu.stop(ends.size());
      boolean all = ends.size() == ids.size();
      long end = all ? ends.stream().mapToLong(Long::longValue).max().orElse(start) : System.nanoTime();
      double seconds = (end - start) / 1e9;
      List<Double> queued = new ArrayList<>();
      List<Double> running = new ArrayList<>();
      for (String id : ids) {
        JsonObject job = http.job(id);
        if (!all && !JobState.fromWire(job.getString("status")).isFinal()) {
          http.cancel(id);
        } else if (job.getString("finishedAt") != null && job.getString("startedAt") != null) {
          queued.add((double) FanoutHttp.millisBetween(job, "createdAt", "startedAt"));
          running.add((double) FanoutHttp.millisBetween(job, "startedAt", "finishedAt"));
        }
      }
      return new Result(ends.size() / seconds, ends.size(), ids.size(), seconds, Samples.median(queued),
          Samples.median(running), cost);
    } finally {
      Await.result(events.unregister());
    }
  }

  private static boolean isFinal(String event) {
    try {
      return JobState.fromWire(event).isFinal();
    } catch (IllegalArgumentException notAState) {
      // Other lifecycle events (submitted, ...) are not states.
      return false;
    }
  }
}
