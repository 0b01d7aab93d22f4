package io.fanout.worker;

import io.fanout.core.FanoutMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A worker's meters per task type. Each type's set is made once and then held next to its
 * handler ({@link TaskRunner}), so counting a task adds no lookup to the hundreds of thousands
 * a second a worker runs.
 */
final class TaskMeters {
  /** One task type's meters. */
  static final class OfType {
    private final Counter done;
    private final Counter failed;
    private final Counter retries;
    private final Counter deadLetters;
    private final Timer duration;

    private OfType(MeterRegistry registry, String type) {
      done = Counter.builder(FanoutMeters.TASKS_DONE).tag(FanoutMeters.TAG_TYPE, type)
          .description("Tasks run to success by this process").register(registry);
      failed = Counter.builder(FanoutMeters.TASKS_FAILED).tag(FanoutMeters.TAG_TYPE, type)
          .description("Tasks failed after their last attempt on this process").register(registry);
      retries = Counter.builder(FanoutMeters.TASK_RETRIES).tag(FanoutMeters.TAG_TYPE, type)
          .description("Failed attempts to be tried again").register(registry);
      deadLetters = Counter.builder(FanoutMeters.DLQ_WRITES).tag(FanoutMeters.TAG_TYPE, type)
          .description("Records committed to the dead-letter topic").register(registry);
      duration = Timer.builder(FanoutMeters.TASK_DURATION).tag(FanoutMeters.TAG_TYPE, type)
          .description("One attempt of one task")
          .serviceLevelObjectives(FanoutMeters.TASK_DURATION_BUCKETS)
          .register(registry);
    }

    void succeeded(long nanos) {
      duration.record(nanos, TimeUnit.NANOSECONDS);
      done.increment();
    }

    /** A failed attempt: tried again, or the task's last. */
    void failed(long nanos, boolean triedAgain) {
      duration.record(nanos, TimeUnit.NANOSECONDS);
      (triedAgain ? retries : failed).increment();
    }

    void deadLettered(int records) {
      deadLetters.increment(records);
    }
  }

  private final MeterRegistry registry;
  private final Map<String, OfType> byType = new ConcurrentHashMap<>();

  TaskMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  OfType forType(String type) {
    return byType.computeIfAbsent(type, named -> new OfType(registry, named));
  }
}
