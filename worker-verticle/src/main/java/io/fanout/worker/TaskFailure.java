package io.fanout.worker;

/**
 * A task attempt's failure that says what may follow it: nothing ({@link #permanent}: trying again
 * would fail the same way), or another attempt no sooner than a delay the other side asked for
 * ({@link #retryAfter}). Any other exception is retried after the runner's own backoff.
 */
public final class TaskFailure extends Exception {
  /** {@link #retryAfterMs()} of a failure that is not to be tried again. */
  public static final long NEVER = -1;

  private final long retryAfterMs;
  private final boolean jobCancelled;

  private TaskFailure(String message, long retryAfterMs, boolean jobCancelled) {
    super(message, null, false, false);
    this.retryAfterMs = retryAfterMs;
    this.jobCancelled = jobCancelled;
  }

  public static TaskFailure permanent(String message) {
    return new TaskFailure(message, NEVER, false);
  }

  /** The attempt did not do its work: its job was cancelled while it waited. Nothing is recorded of it. */
  public static TaskFailure jobCancelled() {
    return new TaskFailure("job cancelled", NEVER, true);
  }

  /** A failure to try again after at least {@code delayMs} (0: the runner's backoff alone). */
  public static TaskFailure retryAfter(String message, long delayMs) {
    return new TaskFailure(message, Math.max(0, delayMs), false);
  }

  public long retryAfterMs() {
    return retryAfterMs;
  }

  public boolean isJobCancelled() {
    return jobCancelled;
  }
}
