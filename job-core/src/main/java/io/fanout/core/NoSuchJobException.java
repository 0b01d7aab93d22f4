package io.fanout.core;

/** A job id that names no job. */
public final class NoSuchJobException extends RuntimeException {
  public NoSuchJobException(String jobId) {
    super("no job '" + jobId + "'", null, false, false);
  }
}
