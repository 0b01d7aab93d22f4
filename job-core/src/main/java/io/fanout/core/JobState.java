package io.fanout.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The life of a job, and the one table of the changes it may go through. Jobs change state only
 * in the Redis scripts beside {@link RedisScript} (start, cancel, complete, retry), atomically,
 * each guarded by the statuses it may leave; Java writes a status only once, a new job's
 * {@code queued} (create.lua stores {@link Job#toHash}). The scripts do not consult this table at
 * run time: {@code ScriptTransitionsTest} reads every script and fails the build if one can make
 * a change this table forbids or names a status it does not know, or if the table allows a change
 * no script makes. {@link #moveTo} is for Java code that reasons about a change before asking a
 * script for it.
 */
public enum JobState {
  QUEUED,
  RUNNING,
  COMPLETED,
  FAILED,
  CANCELLED;

  private static final Map<JobState, Set<JobState>> ALLOWED = new EnumMap<>(JobState.class);

  static {
    ALLOWED.put(QUEUED, EnumSet.of(RUNNING, CANCELLED));
    ALLOWED.put(RUNNING, EnumSet.of(COMPLETED, FAILED, CANCELLED));
    ALLOWED.put(COMPLETED, EnumSet.noneOf(JobState.class));
    // A failed job's failed tasks may be queued to run again (retry-failed).
    ALLOWED.put(FAILED, EnumSet.of(QUEUED));
    ALLOWED.put(CANCELLED, EnumSet.noneOf(JobState.class));
  }

  /** The state's name on the wire and in Redis: lower case. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobState fromWire(String name) {
    for (JobState state : values()) {
      if (state.wireName().equals(name)) {
        return state;
      }
    }
    throw new IllegalArgumentException("unknown job state '" + name + "'");
  }

  /** Whether the job has ended: no task of it runs any more (a failed job may still be retried). */
  public boolean isFinal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  public Set<JobState> allowedNext() {
    return Collections.unmodifiableSet(ALLOWED.get(this));
  }

  public boolean canMoveTo(JobState next) {
    return ALLOWED.get(this).contains(next);
  }

  /** Returns {@code next} if the table allows the change, otherwise throws naming both states. */
  public JobState moveTo(JobState next) {
    if (!canMoveTo(next)) {
      throw new IllegalStateChangeException(this, next);
    }
    return next;
  }
}
