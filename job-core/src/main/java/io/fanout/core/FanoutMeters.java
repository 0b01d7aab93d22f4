package io.fanout.core;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.time.Duration;

/**
 * The names of Fanout's own meters, defined once (Prometheus shows them with dots as underscores,
 * counters with {@code _total}, timers in seconds), and the meter registry of the process a
 * verticle runs in.
 */
public final class FanoutMeters {
  /** Gauge, tag {@code state}: jobs queued, running, completed, failed, cancelled (cluster-wide, from Redis). */
  public static final String JOBS = "fanout.jobs";
  /** Gauge, tag {@code queue}: jobs waiting to be admitted, and delayed ones. */
  public static final String QUEUE_DEPTH = "fanout.queue.depth";
  /** Gauge: jobs admitted and not finished. */
  public static final String ACTIVE_JOBS = "fanout.jobs.active";
  /** Counter, tag {@code type}: tasks this process ran to success. */
  public static final String TASKS_DONE = "fanout.tasks.done";
  /** Counter, tag {@code type}: tasks this process gave up on after their last attempt. */
  public static final String TASKS_FAILED = "fanout.tasks.failed";
  /** Timer with histogram buckets, tag {@code type}: one attempt of one task. */
  public static final String TASK_DURATION = "fanout.task.duration";
  /** Counter, tag {@code type}: failed attempts that are tried again. */
  public static final String TASK_RETRIES = "fanout.task.retries";
  /** Counter, tag {@code type}: records committed to the dead-letter topic. */
  public static final String DLQ_WRITES = "fanout.dlq.writes";
  /** Counter, tag {@code type}: task records the dispatchers of this process had acknowledged by Kafka. */
  public static final String TASKS_PRODUCED = "fanout.tasks.produced";
  /** Gauge, tag {@code job_id}: a running job's task records not yet committed by the workers' group. */
  public static final String CONSUMER_LAG = "fanout.consumer.lag";
  /** Counter: progress messages the progress verticles heard (one per counted batch or lifecycle event). */
  public static final String PROGRESS_HEARD = "fanout.progress.updates.heard";
  /** Counter: snapshots published to browsers. */
  public static final String PROGRESS_PUBLISHED = "fanout.progress.snapshots.published";
  /** Gauge: updates heard per snapshot published since the process started. */
  public static final String PROGRESS_COALESCING = "fanout.progress.coalescing.ratio";

  public static final String TAG_TYPE = "type";
  public static final String TAG_STATE = "state";
  public static final String TAG_QUEUE = "queue";
  /** Not {@code job}: Prometheus gives every series a {@code job} label of its own, the scrape's. */
  public static final String TAG_JOB = "job_id";

  /**
   * Bucket bounds of {@link #TASK_DURATION}: from a no-op task (microseconds) to an HTTP call that
   * times out, a dozen fixed buckets rather than Micrometer's seventy, so recording stays cheap.
   */
  public static final Duration[] TASK_DURATION_BUCKETS = {
      Duration.ofNanos(10_000), Duration.ofNanos(100_000), Duration.ofMillis(1), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private FanoutMeters() {}

  /**
   * The registry the process's Vert.x was built with (named by {@link Settings#METRICS_REGISTRY}).
   * A verticle deployed on a Vert.x without metrics, as a module's own tests do, gets a registry
   * that records nothing.
   */
  public static MeterRegistry registry(Settings settings) {
    MeterRegistry registry = BackendRegistries.getNow(registryName(settings));
    return registry != null ? registry : new CompositeMeterRegistry();
  }

  /** The name of the process's registry, for {@code PrometheusScrapingHandler.create}. */
  public static String registryName(Settings settings) {
    String name = settings.optionalString(Settings.METRICS_REGISTRY);
    return name != null ? name : MicrometerMetricsOptions.DEFAULT_REGISTRY_NAME;
  }
}
