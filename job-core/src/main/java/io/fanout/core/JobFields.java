package io.fanout.core;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The field names of a job's Redis hash ({@link RedisKeys#job}), in one place. Java reads and
 * writes them through these constants; the Lua scripts spell them as literals, and
 * {@link #unknownIn} lets a test check that every name a script touches is one of these.
 */
public final class JobFields {
  // What a job is, written once when it is stored (Job.toHash).
  public static final String ID = "id";
  public static final String TYPE = "type";
  public static final String PAYLOAD = "payload";
  public static final String TOTAL = "total";
  public static final String ITEMIZED = "itemized";
  public static final String PARTITIONS = "partitions";
  public static final String PRIORITY = "priority";
  public static final String MAX_ATTEMPTS = "maxAttempts";
  public static final String SUBMITTED_BY = "submittedBy";
  /** "express" for a small job, whose tasks go through the shared express topic; absent otherwise. */
  public static final String LANE = "lane";

  // Where it is, moved by the scripts.
  public static final String STATUS = "status";
  public static final String DONE = "done";
  public static final String FAILED = "failed";
  public static final String RESULT = "result";
  public static final String ERROR = "error";
  public static final String CREATED_AT = "createdAt";
  public static final String RUN_AT = "runAt";
  public static final String STARTED_AT = "startedAt";
  public static final String UPDATED_AT = "updatedAt";
  public static final String FINISHED_AT = "finishedAt";

  /** Bumped by every change the queue must take in; an older projection never undoes a newer one. */
  public static final String VERSION = "version";
  /** The job's place in submission order, unique: breaks ties of priority. */
  public static final String ARRIVAL = "arrival";
  /** How many times the job was run again (retry of its failed tasks): orders progress across runs. */
  public static final String GENERATION = "generation";
  /** How many of its tasks are known to be in Kafka: where a fan-out resumes. */
  public static final String PRODUCED = "produced";
  /** How many tasks a retry run produces again. */
  public static final String RETRY_TOTAL = "retryTotal";
  /** The sum the tasks' results add up to, for task types that reduce. */
  public static final String REDUCED = "reduced";
  /** One task counted by the call that ended the job, so a lost end record is told again. */
  public static final String FINISHER = "finisher";
  /** A small job's: the express log's end offset before its first record, where reading its log starts. */
  public static final String LOG_FROM = "logFrom";
  /** When the janitor deleted its topics and bitmaps: copies of its tasks that still come are skipped. */
  public static final String TOPICS_DELETED = "topicsDeleted";
  /** The job's last log record (JSON), kept so it outlives the log topic. */
  public static final String LAST_LOG = "lastLog";

  /** The user's Kafka topic that also gets each task's result, if any. */
  public static final String RESULTS_TOPIC = "resultsTopic";
  /** How long its topics (its results) stay after it ends, when longer than TOPIC_RETENTION_MS. */
  public static final String RESULTS_RETENTION_MS = "resultsRetentionMs";
  /** Where to POST the job's summary when it ends (a completion webhook), if anywhere. */
  public static final String CALLBACK_URL = "callbackUrl";
  /** The webhook's last try: pending, delivered or given up, for GET /jobs/<id>/callbacks. */
  public static final String CALLBACK_STATE = "callbackState";

  // The last progress snapshot published (claim-snapshot.lua), shared by every progress verticle.
  public static final String PROGRESS_SEQ = "progressSeq";
  public static final String PROGRESS_AT = "progressAt";
  public static final String PROGRESS_COUNT = "progressCount";
  public static final String PROGRESS_RATE = "progressRate";
  public static final String PROGRESS_LAST_INDEX = "progressLastIndex";

  public static final Set<String> ALL = Set.of(ID, TYPE, PAYLOAD, TOTAL, ITEMIZED, PARTITIONS, LANE, PRIORITY,
      MAX_ATTEMPTS, SUBMITTED_BY, STATUS, DONE, FAILED, RESULT, ERROR, CREATED_AT, RUN_AT, STARTED_AT,
      UPDATED_AT, FINISHED_AT, VERSION, ARRIVAL, GENERATION, PRODUCED, RETRY_TOTAL, REDUCED, FINISHER, TOPICS_DELETED, LOG_FROM, LAST_LOG,
      RESULTS_TOPIC, RESULTS_RETENTION_MS, CALLBACK_URL, CALLBACK_STATE, PROGRESS_SEQ, PROGRESS_AT, PROGRESS_COUNT, PROGRESS_RATE, PROGRESS_LAST_INDEX);

  /** A script's header names the job hash's key: {@code KEYS[n] job hash}. */
  private static final Pattern JOB_HASH_KEY = Pattern.compile("KEYS\\[(\\d+)] job hash");
  private static final Pattern QUOTED = Pattern.compile("'([^']*)'");

  private JobFields() {}

  /**
   * The field names a Lua script uses on the job hash that are not in {@link #ALL}: the literals
   * in field position of every {@code redis.call('H...', KEYS[n], ...)} on the key its header
   * calls the job hash. Empty for a script that does not touch a job hash.
   */
  public static Set<String> unknownIn(String luaScript) {
    Set<String> unknown = new LinkedHashSet<>();
    Matcher header = JOB_HASH_KEY.matcher(luaScript);
    if (!header.find()) {
      return unknown;
    }
    Pattern call = Pattern.compile("redis\\.call\\('(H[A-Z]+)', KEYS\\[" + header.group(1) + "],([^)]*)\\)");
    Matcher calls = call.matcher(luaScript);
    while (calls.find()) {
      String command = calls.group(1);
      String[] arguments = calls.group(2).split(",");
      // HSET takes field, value pairs; the other hash commands take fields only.
      int step = command.equals("HSET") ? 2 : 1;
      for (int i = 0; i < arguments.length; i += step) {
        Matcher literal = QUOTED.matcher(arguments[i].trim());
        if (literal.matches() && !ALL.contains(literal.group(1))) {
          unknown.add(literal.group(1));
        }
      }
    }
    return unknown;
  }
}
