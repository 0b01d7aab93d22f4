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

  private TaskFailure(String message, long retryAfterMs) {
    super(message, null, false, false);
    this.retryAfterMs = retryAfterMs;
  }

  public static TaskFailure permanent(String message) {
    return new TaskFailure(message, NEVER);
  }

  /** A failure to try again after at least {@code delayMs} (0: the runner's backoff alone). */
  public static TaskFailure retryAfter(String message, long delayMs) {
    return new TaskFailure(message, Math.max(0, delayMs));
  }

  public long retryAfterMs() {
    return retryAfterMs;
  }
}
