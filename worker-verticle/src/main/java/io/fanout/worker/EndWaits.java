package io.fanout.worker;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The jobs whose ending outcomes this worker holds back until the tasks counted elsewhere are
 * logged ({@code complete.lua} answers how many are not), and since when. A job ends regardless
 * once it has waited {@link #LOG_WAIT_MS}, so that a mark lost in a Redis failover cannot hold it
 * for ever; while it waits, the commit rounds send none of its records ahead of Redis's answer,
 * which would abort every round. A wait not asked about again for {@link #GAP_MS} is over (this
 * worker gave the partition up, or the job ended elsewhere): a later one of that job starts anew.
 * Read and written on any thread.
 */
final class EndWaits {
  /**
   * Well past a dead worker's session (6 s) and transaction (5 s) timeouts and the run of its
   * tasks on the partitions' next owner.
   */
  static final long LOG_WAIT_MS = 30_000;
  /**
   * Rounds come every COMMIT_INTERVAL_MS, or at worst a count's and an announcement's timeouts
   * apart (12 s): a wait this long unasked is not this worker's any more.
   */
  private static final long GAP_MS = 30_000;
  /** Past this many, waits over are swept out. */
  private static final int SWEEP_ABOVE = 1_000;

  private record Wait(long since, long lastAsked) {}

  private final Map<String, Wait> waits = new ConcurrentHashMap<>();

  /** Whether the job, if this count would end it, is to end only once its other counted tasks are logged. */
  boolean endOnceLogged(String jobId, long now) {
    Wait wait = current(jobId, now);
    return wait == null || now - wait.since() < LOG_WAIT_MS;
  }

  /** Whether the job's ending outcomes are held back now. */
  boolean waiting(String jobId) {
    return current(jobId, System.currentTimeMillis()) != null;
  }

  /** Redis said the job's end waits; true if this starts the wait. */
  boolean waits(String jobId, long now) {
    Wait before = current(jobId, now);
    waits.put(jobId, new Wait(before == null ? now : before.since(), now));
    if (waits.size() > SWEEP_ABOVE) {
      waits.values().removeIf(wait -> now - wait.lastAsked() > GAP_MS);
    }
    return before == null;
  }

  /** The job's end waits no more: how long it waited, or -1 if it did not. */
  long over(String jobId, long now) {
    Wait wait = waits.remove(jobId);
    return wait == null ? -1 : now - wait.since();
  }

  private Wait current(String jobId, long now) {
    Wait wait = waits.get(jobId);
    if (wait != null && now - wait.lastAsked() > GAP_MS) {
      waits.remove(jobId, wait);
      return null;
    }
    return wait;
  }
}
