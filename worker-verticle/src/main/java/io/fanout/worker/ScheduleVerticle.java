package io.fanout.worker;

import io.fanout.core.Addresses;
import io.fanout.core.CronSchedule;
import io.fanout.core.JobId;
import io.fanout.core.JobQueue;
import io.fanout.core.RedisClients;
import io.fanout.core.ReplicaAck;
import io.fanout.core.Schedule;
import io.fanout.core.ScheduleStore;
import io.fanout.core.ScheduleStore.Due;
import io.fanout.core.Settings;
import io.fanout.core.SubmissionInProgressException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires schedules: every dispatcher process claims the due ones now and then ({@link ScheduleStore}),
 * with no leader, and submits each firing's job with an idempotency key made of the schedule's id
 * and the firing's time, so that each firing is one job across the cluster even when the process
 * that claimed it dies midway.
 *
 * <p>Missed firings: a schedule due for a firing that is already followed by another one in the
 * past (everything was down, or the claimer died and its lease ran out) fires once, for the
 * latest of the missed firings, and then goes on with the first one after now. It never fires once
 * per missed slot, which after a long outage would flood the queue with stale jobs.
 */
public class ScheduleVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ScheduleVerticle.class);
  /** How long a claimed firing is this process's; a firing takes a few Redis round trips. */
  static final long CLAIM_LEASE_MS = 5000;
  private static final int CLAIM_BATCH = 32;
  /**
   * How long a firing's idempotency key lives: only a claimer that took over within minutes can
   * submit the firing again, and a schedule firing every second keeps at most an hour of keys.
   */
  private static final long FIRING_KEY_TTL_MS = 3_600_000;

  private Settings settings;
  private Redis redis;
  private ScheduleStore schedules;
  private JobQueue queue;
  private boolean claiming;
  private long timer;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    schedules = new ScheduleStore(redis);
    queue = new JobQueue(redis, ReplicaAck.from(settings));
    timer = vertx.setPeriodic(settings.longValue(Settings.SCHEDULE_POLL_MS), tick -> fireDue());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return redis.close();
  }

  private void fireDue() {
    if (claiming) {
      return;
    }
    claiming = true;
    schedules.claimDue(CLAIM_LEASE_MS, CLAIM_BATCH)
        .onComplete(claimed -> claiming = false)
        .onSuccess(due -> due.forEach(firing -> fire(firing).onFailure(failure -> LOG.warn(
            "Schedule {} did not fire for {} ({}); it is tried again when the claim runs out", firing.schedule().id(),
            Instant.ofEpochMilli(firing.slot()), failure.toString()))))
        .onFailure(failure -> LOG.warn("Could not read the due schedules: {}", failure.toString()));
  }

  private Future<?> fire(Due due) {
    Schedule schedule = due.schedule();
    CronSchedule times;
    try {
      times = schedule.times();
    } catch (IllegalArgumentException unusable) {
      // Validated when it was stored; only a stored definition that no longer parses gets here.
      return Future.failedFuture(unusable);
    }
    Instant now = Instant.now();
    Instant slot = Instant.ofEpochMilli(due.slot());
    // The latest firing due by now: the claimed one, or a later one when several were missed.
    Instant latest = times.latestAtOrBefore(now).filter(missed -> missed.isAfter(slot)).orElse(slot);
    if (latest.equals(slot)) {
      return fire(schedule, due, slot, times.nextAfter(now));
    }
    // A claimer that died after submitting the claimed firing's job, before recording it: that
    // firing is finished first (same key, same job), and the latest missed one is due right after.
    return schedules.submitted(schedule.id(), due.slot()).compose(begun -> begun
        ? fire(schedule, due, slot, Optional.of(latest)).mapEmpty()
        : fire(schedule, due, latest, times.nextAfter(now)).mapEmpty());
  }

  private Future<?> fire(Schedule schedule, Due due, Instant firedFor, Optional<Instant> next) {
    Instant now = Instant.now();
    Instant slot = Instant.ofEpochMilli(due.slot());
    String key = ScheduleStore.firingKey(schedule.id(), firedFor.toEpochMilli());
    return queue.enqueue(schedule.template().jobAt(JobId.next(), now, schedule.createdBy(),
            settings.longValue(Settings.SMALL_JOB_TASKS)),
            schedule.template().options(), key, FIRING_KEY_TTL_MS)
        .compose(enqueued -> {
          if (!enqueued.duplicate()) {
            vertx.eventBus().publish(Addresses.QUEUE_WAKEUP, enqueued.jobId());
            LOG.info("Schedule {} fired for {}{}: job {}", schedule.id(), firedFor,
                firedFor.equals(slot) ? "" : " (missed firings since " + slot + " coalesced into this one)",
                enqueued.jobId());
          }
          return schedules.fired(schedule.id(), due.slot(), next.orElse(null), enqueued.jobId(),
              firedFor.toEpochMilli());
        })
        .recover(failure -> failure instanceof SubmissionInProgressException
            // Another process is submitting this firing now: it records it, or its claim runs out.
            ? Future.succeededFuture(false)
            : Future.failedFuture(failure));
  }
}
