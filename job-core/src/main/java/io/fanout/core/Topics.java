package io.fanout.core;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Kafka topic names. Each job has its own topics, so that a finished job's data can be dropped
 * whole: its tasks, its log, and for a dataset the staging topic its upload was written to.
 */
public final class Topics {
  /** What every worker in the consumer group subscribes to. */
  public static final Pattern TASKS_PATTERN = Pattern.compile("job\\." + JobId.REGEX + "\\.tasks");

  /** Tasks that exhausted their attempts, with their error. */
  public static final String DEAD_LETTERS = "jobs.dlq";

  private static final String PREFIX = "job.";
  /** Kafka's own rule for a topic's name. */
  private static final Pattern KAFKA_TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private Topics() {}

  /** The job's tasks, keyed by task index. */
  public static String tasks(String jobId) {
    return PREFIX + jobId + ".tasks";
  }

  /** One partition: the result of each task's first completion, then lifecycle records. */
  public static String log(String jobId) {
    return PREFIX + jobId + ".log";
  }

  /**
   * A dataset's items as uploaded, in one partition, so that an item's offset is its task index.
   * The API writes it while the upload streams in; the dispatcher reads it when it fans the job
   * out (a retry run by index). It goes with the job's other topics.
   */
  public static String items(String jobId) {
    return PREFIX + jobId + ".items";
  }

  /**
   * Why a user's {@code resultsTopic} cannot be one, or null if it can: Kafka's name rules, and
   * none of Fanout's own names ({@code job.*}, which the janitor deletes, and {@code jobs.*}).
   */
  public static String refusalOfResultsTopic(String topic) {
    if (!KAFKA_TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      return "resultsTopic must be a Kafka topic name: 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-', not . or ..";
    }
    if (topic.startsWith(PREFIX) || topic.startsWith("jobs.") || topic.startsWith("__")) {
      return "resultsTopic may not be one of Fanout's or Kafka's own topics (job.*, jobs.*, __*)";
    }
    return null;
  }

  /** Every topic a job may have, for deleting them. */
  public static List<String> ofJob(String jobId) {
    return List.of(tasks(jobId), log(jobId), items(jobId));
  }

  /**
   * Topic settings Fanout sets when it creates the topic. A dataset may wait in the queue longer
   * than the broker's default retention (7 days) and must not lose items meanwhile: its staging
   * topic keeps everything until Fanout deletes it.
   */
  public static Map<String, String> configOf(String topic) {
    return topic.endsWith(".items") ? Map.of("retention.ms", "-1", "retention.bytes", "-1") : Map.of();
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
