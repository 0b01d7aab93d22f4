package io.fanout.core;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Kafka topic names. Each job has its own topics, so that a finished job's data can be dropped
 * whole: its tasks, its log, and for a dataset the staging topic its upload was written to.
 */
public final class Topics {
  /**
   * The express lane: one long-lived task topic that every small job's tasks share, keyed
   * {@code <jobId>:<index>}. Workers hold its partitions from the start, so a small job's first
   * task runs without a topic to create, find and rebalance onto.
   */
  public static final String EXPRESS_TASKS = "jobs.express.tasks";

  /**
   * The log small jobs share, in one partition: each record names its job ({@code jobId}), and a
   * job's records start no earlier than the offset its dispatcher saw as the end before the job
   * ran ({@link JobFields#LOG_FROM}). A topic per small job would make the broker create and
   * delete hundreds of topics a second, and a worker's transaction meet each new one before its
   * leader is ready.
   */
  public static final String EXPRESS_LOG = "jobs.express.log";

  /** What every worker in the workers' consumer group subscribes to: each big job's task topic. */
  public static final Pattern TASKS_PATTERN = Pattern.compile("job\\." + JobId.REGEX + "\\.tasks");

  /**
   * What every worker subscribes to in a consumer group of its own for the express lane: a big
   * job's new topic rebalances the big jobs' group, and with Kafka's eager protocol every member
   * hands every partition over meanwhile; the express lane's group is never rebalanced by it.
   */
  public static final Pattern EXPRESS_PATTERN = Pattern.compile(Pattern.quote(EXPRESS_TASKS));

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

  /** Between a job's id and the rest of a key in the topics small jobs share (tasks and log). */
  public static final char JOB_KEY_SEPARATOR = ':';

  /**
   * The key of a log record of the job, whose key in its own log would be {@code key} (a task's
   * index, or the lifecycle key): in the express log it is prefixed by the job's id, so that a
   * reader tells the job's records from the other small jobs' ({@link LogLocation}).
   */
  public static String logKey(String logTopic, String jobId, String key) {
    return EXPRESS_LOG.equals(logTopic) ? jobId + JOB_KEY_SEPARATOR + key : key;
  }

  /** Where the job's log records go: its own log, or the express log for a small job. */
  public static String logOf(Job job) {
    return job.express() ? EXPRESS_LOG : log(job.id());
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

  /**
   * The topics every job shares, made at start by whichever process needs them first: the dead
   * letters, the express log, and the express lane with {@code TASK_PARTITIONS} partitions (the
   * most workers that can share it; more can be added to the topic later, as to any).
   */
  public static Map<String, Integer> shared(Settings settings) {
    return Map.of(DEAD_LETTERS, 1, EXPRESS_TASKS, settings.integer(Settings.TASK_PARTITIONS), EXPRESS_LOG, 1);
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

  /** The consumer group of the express lane beside the workers' group {@code group}. */
  public static String expressGroup(String group) {
    return group + ".express";
  }

  /** Whether a task topic is the express lane's, shared by small jobs. */
  public static boolean isExpress(String topic) {
    return EXPRESS_TASKS.equals(topic);
  }

  /** The key of task {@code index} of a job: the index alone in the job's own topic, with the job in the shared one. */
  public static String taskKey(String jobId, long index, boolean express) {
    return express ? jobId + JOB_KEY_SEPARATOR + index : Long.toString(index);
  }

  /** The job id of a big job's task topic's name. */
  public static String jobIdOfTasks(String topic) {
    return topic.substring(PREFIX.length(), topic.length() - ".tasks".length());
  }

  /** The job id of a task record, from its topic's name or, in the express topic, its key (null if it names none). */
  public static String jobIdOfTask(String topic, String key) {
    if (isExpress(topic)) {
      int separator = key == null ? -1 : key.lastIndexOf(JOB_KEY_SEPARATOR);
      return separator < 0 ? null : key.substring(0, separator);
    }
    return jobIdOfTasks(topic);
  }

  /** The task index of a task record's key; throws if the key holds none. */
  public static long taskIndexOf(String key) {
    return Long.parseLong(key.substring(key.lastIndexOf(JOB_KEY_SEPARATOR) + 1));
  }
}
