package io.fanout.app;

import io.fanout.core.FanoutMeters;
import io.fanout.core.JobQueue;
import io.fanout.core.JobState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Jobs by state, queue depth and active jobs, as gauges. The counts come from the queue in Redis
 * and are cluster-wide (every API process shows the same figures); they are read every
 * {@code METRICS_REFRESH_MS}, never during a scrape, which runs on an event loop.
 */
final class JobGauges {
  private final JobQueue queue;
  private final AtomicLong waiting = new AtomicLong();
  private final AtomicLong delayed = new AtomicLong();
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong cancelled = new AtomicLong();

  JobGauges(JobQueue queue, MeterRegistry registry) {
    this.queue = queue;
    jobs(registry, JobState.QUEUED, () -> waiting.get() + delayed.get());
    jobs(registry, JobState.RUNNING, active::get);
    jobs(registry, JobState.COMPLETED, completed::get);
    jobs(registry, JobState.FAILED, failed::get);
    jobs(registry, JobState.CANCELLED, cancelled::get);
    Gauge.builder(FanoutMeters.QUEUE_DEPTH, waiting::get).tag(FanoutMeters.TAG_QUEUE, "waiting")
        .description("Jobs waiting to be admitted").register(registry);
    Gauge.builder(FanoutMeters.QUEUE_DEPTH, delayed::get).tag(FanoutMeters.TAG_QUEUE, "delayed")
        .description("Jobs waiting for their start time").register(registry);
    Gauge.builder(FanoutMeters.ACTIVE_JOBS, active::get).description("Jobs admitted and not finished")
        .register(registry);
  }

  private static void jobs(MeterRegistry registry, JobState state, java.util.function.Supplier<Number> count) {
    Gauge.builder(FanoutMeters.JOBS, count).tag(FanoutMeters.TAG_STATE, state.wireName())
        .description("Jobs by state, cluster-wide").register(registry);
  }

  /** Reads the counts once; a failed read leaves the last figures in place until the next. */
  Future<Void> refresh() {
    return queue.stats().onSuccess(this::take).mapEmpty();
  }

  private void take(JsonObject stats) {
    waiting.set(stats.getLong("waiting"));
    delayed.set(stats.getLong("delayed"));
    active.set(stats.getLong("active"));
    completed.set(stats.getLong("completed"));
    failed.set(stats.getLong("failed"));
    cancelled.set(stats.getLong("cancelled"));
  }
}
