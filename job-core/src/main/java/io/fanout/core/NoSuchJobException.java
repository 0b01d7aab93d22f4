package io.fanout.core;

/** A job id that names no job. */
public final class NoSuchJobException extends RuntimeException {
  public NoSuchJobException(String jobId) {
    super("no job '" + jobId + "': there never was one, or it finished longer ago than the retention time "
        + "(JOB_RETENTION_MS) or was purged, and is forgotten", null, false, false);
  }
}
