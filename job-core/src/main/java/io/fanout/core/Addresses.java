package io.fanout.core;

/**
 * Event-bus addresses. Those under {@code jobs.progress.} and {@code jobs.events} go outbound to
 * browsers through the bridge; the others stay inside the cluster.
 */
public final class Addresses {
  /** Lifecycle events of all jobs (submitted, finished, cancelled), outbound to browsers. */
  public static final String EVENTS = "jobs.events";

  /** Cluster-wide broadcasts to workers and dispatchers: cancel a job, pause or resume. */
  public static final String CONTROL = "jobs.control";

  /**
   * Raw progress from workers, one message per counted batch; internal. Progress verticles
   * coalesce it into the per-job snapshots that browsers see.
   */
  public static final String PROGRESS_UPDATES = "jobs.progress-updates";

  /** Tells dispatchers that the queue has something for them; internal. */
  public static final String QUEUE_WAKEUP = "jobs.queue.wakeup";

  /** Bridge filter for per-job progress: the id in its exact shape, the dots escaped. */
  public static final String PROGRESS_REGEX = "jobs\\.progress\\." + JobId.REGEX;

  /**
   * The name of a process-local {@code LocalMap<String, JsonObject>} where each worker verticle
   * keeps its own figures under its id: {@code tasksDone}, {@code tasksFailed}, {@code inFlight},
   * {@code pool}, {@code paused}. Not an address; it lives here with the other shared names.
   */
  public static final String WORKER_FIGURES_MAP = "fanout.worker-figures";

  /** What every per-job progress address starts with; the page is given it to subscribe. */
  public static final String PROGRESS_PREFIX = "jobs.progress.";

  private Addresses() {}

  /**
   * Progress snapshots of one job, outbound to browsers. Several progress verticles publish here,
   * so a consumer may get an older snapshot after a newer one: {@code seq} orders them.
   */
  public static String progress(String jobId) {
    return PROGRESS_PREFIX + jobId;
  }
}
