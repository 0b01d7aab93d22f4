package io.fanout.core;

/**
 * Where a job's log records are, for reading them: a big job's own log topic from its start, or,
 * for a small job, the express log from the offset its dispatcher recorded before the job ran,
 * where its records are those whose key starts with its id ({@link Topics#logKey}).
 *
 * @param topic the log topic, of one partition
 * @param from the first offset that can hold one of the job's records
 * @param keyPrefix the prefix of the job's records' keys in a shared log, or null when every record is the job's
 */
public record LogLocation(String topic, long from, String keyPrefix) {
  public static LogLocation of(Job job) {
    return job.express()
        ? new LogLocation(Topics.EXPRESS_LOG, job.logFrom(), job.id() + Topics.JOB_KEY_SEPARATOR)
        : new LogLocation(Topics.log(job.id()), 0, null);
  }

  /** Whether the record with this key is one of the job's. */
  public boolean holds(String key) {
    return keyPrefix == null || key != null && key.startsWith(keyPrefix);
  }
}
