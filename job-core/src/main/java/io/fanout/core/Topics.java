package io.fanout.core;

import java.util.regex.Pattern;

/** Kafka topic names. Each job has its own pair, so that a finished job's data can be dropped whole. */
public final class Topics {
  /** What every worker in the consumer group subscribes to. */
  public static final Pattern TASKS_PATTERN = Pattern.compile("job\\." + JobId.REGEX + "\\.tasks");

  /** Tasks that exhausted their attempts, with their error. */
  public static final String DEAD_LETTERS = "jobs.dlq";

  private static final String PREFIX = "job.";

  private Topics() {}

  /** The job's tasks, keyed by task index. */
  public static String tasks(String jobId) {
    return PREFIX + jobId + ".tasks";
  }

  /** One partition: the result of each task's first completion, then lifecycle records. */
  public static String log(String jobId) {
    return PREFIX + jobId + ".log";
  }

  /** The job id of a job's task or log topic. */
  public static String jobIdOf(String topic) {
    return topic.substring(PREFIX.length(), topic.lastIndexOf('.'));
  }

  /** The job id of a task topic's name. */
  public static String jobIdOfTasks(String topic) {
    return topic.substring(PREFIX.length(), topic.length() - ".tasks".length());
  }
}
