package io.fanout.core;

/** A job was submitted with an idempotency key that a submission still under way holds. */
public final class SubmissionInProgressException extends RuntimeException {
  public SubmissionInProgressException(String idempotencyKey) {
    super("a job with idempotencyKey '" + idempotencyKey + "' is being submitted right now; ask again in a moment");
  }
}
