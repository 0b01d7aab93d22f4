package io.fanout.progress;

import io.fanout.core.Addresses;
import io.fanout.core.FanoutMeters;
import io.fanout.core.JobId;
import io.fanout.core.ProgressSnapshot;
import io.fanout.progress.ProgressStore.Claim;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the workers' raw progress (one message per counted batch, from any worker on any node,
 * in no particular order) into at most one snapshot per job every {@value #MIN_INTERVAL_MS} ms,
 * cluster-wide, and always the final one. A message only says "this job moved": the snapshot's
 * counts are read from Redis when it is claimed, so messages out of order cannot show a step back.
 */
final class ProgressCoalescer {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressCoalescer.class);

  /** About ten snapshots a second per job: smooth to the eye, cheap for the bridge. */
  static final long MIN_INTERVAL_MS = 100;
  private static final long RETRY_MS = 1000;

  /** What this instance knows of a job it heard about and has not yet seen published. */
  private static final class Pending {
    boolean dirty;
    boolean busy;
    long lastIndex = -1;
    long timer = -1;
  }

  private final Vertx vertx;
  private final ProgressStore store;
  private final Counter heard;
  private final Counter published;
  private final Map<String, Pending> jobs = new HashMap<>();
  private boolean redisFailing;
  private boolean stopped;

  /** Counts into {@code registry} what it hears and what it publishes: the ratio is what coalescing saves. */
  ProgressCoalescer(Vertx vertx, ProgressStore store, MeterRegistry registry) {
    this.vertx = vertx;
    this.store = store;
    this.heard = Counter.builder(FanoutMeters.PROGRESS_HEARD)
        .description("Progress messages heard from workers and lifecycle events").register(registry);
    this.published = Counter.builder(FanoutMeters.PROGRESS_PUBLISHED)
        .description("Progress snapshots published to browsers").register(registry);
    // Registered once per process: a second instance finds the first's, which reads the same two counters.
    Gauge.builder(FanoutMeters.PROGRESS_COALESCING, heard, counted -> published.count() == 0 ? 0
            : counted.count() / published.count())
        .description("Progress messages heard per snapshot published")
        .strongReference(true)
        .register(registry);
  }

  /** Something happened to the job; {@code lastIndex} is the task it named, or -1. */
  void heard(String jobId, long lastIndex) {
    if (stopped || !JobId.isWellFormed(jobId)) {
      return;
    }
    heard.increment();
    Pending job = jobs.computeIfAbsent(jobId, id -> new Pending());
    job.dirty = true;
    if (lastIndex >= 0) {
      job.lastIndex = lastIndex;
    }
    if (!job.busy) {
      flush(jobId, job);
    }
  }

  void stop() {
    stopped = true;
    jobs.values().forEach(job -> vertx.cancelTimer(job.timer));
    jobs.clear();
  }

  private void flush(String jobId, Pending job) {
    job.busy = true;
    job.dirty = false;
    job.timer = -1;
    store.claim(jobId, job.lastIndex, MIN_INTERVAL_MS).onComplete(claimed -> {
      if (stopped) {
        return;
      }
      if (claimed.failed()) {
        warnOnce(jobId, claimed.cause());
        job.dirty = true;
        coolDown(jobId, job, RETRY_MS);
        return;
      }
      redisFailing = false;
      Claim claim = claimed.result();
      switch (claim.outcome()) {
        case PUBLISH -> publish(jobId, job, claim.snapshot());
        case TOO_SOON -> {
          job.dirty = true;
          coolDown(jobId, job, claim.waitMs());
        }
        case UP_TO_DATE -> coolDown(jobId, job, claim.waitMs());
        case GONE -> jobs.remove(jobId);
      }
    });
  }

  private void publish(String jobId, Pending job, ProgressSnapshot snapshot) {
    vertx.eventBus().publish(Addresses.progress(jobId), snapshot.toJson());
    published.increment();
    if (ProgressSnapshot.isFinal(snapshot.status())) {
      jobs.remove(jobId);
    } else {
      coolDown(jobId, job, MIN_INTERVAL_MS);
    }
  }

  /** Waits out the interval, then claims what arrived meanwhile, or forgets a job gone quiet. */
  private void coolDown(String jobId, Pending job, long delayMs) {
    if (stopped) {
      return;
    }
    if (delayMs <= 0 && !job.dirty) {
      jobs.remove(jobId);
      return;
    }
    job.timer = vertx.setTimer(Math.max(1, delayMs), timer -> {
      if (job.dirty) {
        flush(jobId, job);
      } else {
        jobs.remove(jobId);
      }
    });
  }

  private void warnOnce(String jobId, Throwable failure) {
    if (!redisFailing) {
      redisFailing = true;
      LOG.warn("Progress of job {} not published, Redis did not answer (retrying every {} ms): {}",
          jobId, RETRY_MS, failure.toString());
    }
  }
}
