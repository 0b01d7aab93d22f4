package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Typed access to the merged configuration. Every setting is declared, with its default, in
 * {@code conf/config.json}; its key is also its environment variable and system property name.
 * Values that came from the environment arrive as strings, so each accessor parses them.
 */
public final class Settings {
  public static final String HTTP_HOST = "HTTP_HOST";
  public static final String HTTP_PORT = "HTTP_PORT";
  public static final String PROGRESS_PORT = "PROGRESS_PORT";
  public static final String KAFKA_BOOTSTRAP_SERVERS = "KAFKA_BOOTSTRAP_SERVERS";
  public static final String KAFKA_CLIENT_PROPERTIES = "KAFKA_CLIENT_PROPERTIES";
  public static final String KAFKA_CHECK_TIMEOUT_MS = "KAFKA_CHECK_TIMEOUT_MS";
  public static final String TOPIC_REPLICATION_FACTOR = "TOPIC_REPLICATION_FACTOR";
  /**
   * Not a setting of its own: the Kafka client settings the operator gave (the file of
   * {@link #KAFKA_CLIENT_PROPERTIES} and the {@code KAFKA_CLIENT_<NAME>} variables), by their Kafka
   * names, as {@link KafkaClientSettings} resolved them when the configuration was loaded.
   */
  public static final String KAFKA_CLIENT = "KAFKA_CLIENT";
  /**
   * Not a setting of its own: the name under which this process's Vert.x keeps its meter
   * registry, set at start so that every verticle finds it ({@link FanoutMeters#registry}).
   */
  public static final String METRICS_REGISTRY = "METRICS_REGISTRY";
  public static final String METRICS_PORT = "METRICS_PORT";
  public static final String METRICS_REFRESH_MS = "METRICS_REFRESH_MS";
  public static final String REDIS_URL = "REDIS_URL";
  public static final String REDIS_TYPE = "REDIS_TYPE";
  public static final String REDIS_MASTER_NAME = "REDIS_MASTER_NAME";
  public static final String REDIS_USER = "REDIS_USER";
  public static final String REDIS_PASSWORD = "REDIS_PASSWORD";
  public static final String REDIS_TLS_TRUST_PEM = "REDIS_TLS_TRUST_PEM";
  public static final String REDIS_TLS_CERT_PEM = "REDIS_TLS_CERT_PEM";
  public static final String REDIS_TLS_KEY_PEM = "REDIS_TLS_KEY_PEM";
  public static final String REDIS_TLS_VERIFY_HOSTNAME = "REDIS_TLS_VERIFY_HOSTNAME";
  public static final String REDIS_CONNECT_TIMEOUT_MS = "REDIS_CONNECT_TIMEOUT_MS";
  public static final String REDIS_MIN_REPLICAS_ACK = "REDIS_MIN_REPLICAS_ACK";
  public static final String REDIS_ACK_TIMEOUT_MS = "REDIS_ACK_TIMEOUT_MS";
  public static final String DATA_DIR = "DATA_DIR";
  public static final String ROLES = "ROLES";
  public static final String CLUSTER = "CLUSTER";
  public static final String CLUSTER_HOST = "CLUSTER_HOST";
  public static final String API_INSTANCES = "API_INSTANCES";
  public static final String DISPATCH_INSTANCES = "DISPATCH_INSTANCES";
  public static final String WORKER_INSTANCES = "WORKER_INSTANCES";
  public static final String PROGRESS_INSTANCES = "PROGRESS_INSTANCES";
  public static final String WORKER_POOL = "WORKER_POOL";
  public static final String WORKER_GROUP = "WORKER_GROUP";
  public static final String WORKER_QUEUE_PER_THREAD = "WORKER_QUEUE_PER_THREAD";
  public static final String DRAIN_TIMEOUT_MS = "DRAIN_TIMEOUT_MS";
  public static final String RETRY_BASE_MS = "RETRY_BASE_MS";
  public static final String RETRY_MAX_MS = "RETRY_MAX_MS";
  public static final String TOPIC_RETENTION_MS = "TOPIC_RETENTION_MS";
  public static final String TOPIC_BUDGET = "TOPIC_BUDGET";
  public static final String JANITOR_INTERVAL_MS = "JANITOR_INTERVAL_MS";
  public static final String MAX_ACTIVE_JOBS = "MAX_ACTIVE_JOBS";
  public static final String SMALL_JOB_TASKS = "SMALL_JOB_TASKS";
  public static final String MAX_ACTIVE_SMALL_JOBS = "MAX_ACTIVE_SMALL_JOBS";
  public static final String TASK_PARTITIONS = "TASK_PARTITIONS";
  public static final String TASK_TYPES = "TASK_TYPES";
  public static final String SINGLE_TASK_TYPES = "SINGLE_TASK_TYPES";
  public static final String MAX_TASKS_PER_JOB = "MAX_TASKS_PER_JOB";
  public static final String MAX_ITEMS_PER_JOB = "MAX_ITEMS_PER_JOB";
  public static final String MAX_ITEM_BYTES = "MAX_ITEM_BYTES";
  public static final String MAX_DELAY_MS = "MAX_DELAY_MS";
  public static final String MAX_BODY_BYTES = "MAX_BODY_BYTES";
  public static final String IDEMPOTENCY_TTL_MS = "IDEMPOTENCY_TTL_MS";
  public static final String UPLOAD_GRACE_MS = "UPLOAD_GRACE_MS";
  public static final String STAGING_BUDGET_BYTES = "STAGING_BUDGET_BYTES";
  public static final String RESULTS_PASS_BYTES = "RESULTS_PASS_BYTES";
  public static final String JOB_RETENTION_MS = "JOB_RETENTION_MS";
  public static final String LEASE_MS = "LEASE_MS";
  public static final String QUEUE_POLL_MS = "QUEUE_POLL_MS";
  public static final String PRODUCE_WINDOW = "PRODUCE_WINDOW";
  public static final String PRODUCE_WINDOW_BYTES = "PRODUCE_WINDOW_BYTES";
  public static final String DISPATCH_CONCURRENCY = "DISPATCH_CONCURRENCY";
  public static final String TOPIC_DISCOVERY_MS = "TOPIC_DISCOVERY_MS";
  public static final String COMMIT_INTERVAL_MS = "COMMIT_INTERVAL_MS";
  public static final String CLUSTER_NAME = "CLUSTER_NAME";
  public static final String CLUSTER_PORT = "CLUSTER_PORT";
  public static final String CLUSTER_MEMBERS = "CLUSTER_MEMBERS";
  public static final String NODE_ID = "NODE_ID";
  public static final String NODE_HEARTBEAT_MS = "NODE_HEARTBEAT_MS";
  public static final String NODE_TTL_MS = "NODE_TTL_MS";
  public static final String NODE_HEARTBEAT_FILE = "NODE_HEARTBEAT_FILE";
  public static final String EMBEDDED_KAFKA_PORT = "EMBEDDED_KAFKA_PORT";
  public static final String EMBEDDED_REDIS_PORT = "EMBEDDED_REDIS_PORT";
  public static final String AUTH_TOKENS = "AUTH_TOKENS";
  public static final String AUTH_TOKENS_FILE = "AUTH_TOKENS_FILE";
  public static final String PROGRESS_PUBLIC_URL = "PROGRESS_PUBLIC_URL";
  public static final String CLUSTER_SECRET = "CLUSTER_SECRET";
  /** The key completion webhooks are signed with (HMAC-SHA256); never logged nor shown. */
  public static final String CALLBACK_SECRET = "CALLBACK_SECRET";
  /** Hosts a callbackUrl may name; empty: any host whose addresses are all public. */
  public static final String CALLBACK_ALLOWED_HOSTS = "CALLBACK_ALLOWED_HOSTS";
  /** How long after a job's end its webhook is still tried. */
  public static final String CALLBACK_RETRY_MS = "CALLBACK_RETRY_MS";
  /** The first pause between two tries of a webhook; it doubles each try, up to CALLBACK_BACKOFF_MAX_MS. */
  public static final String CALLBACK_BACKOFF_MS = "CALLBACK_BACKOFF_MS";
  public static final String CALLBACK_BACKOFF_MAX_MS = "CALLBACK_BACKOFF_MAX_MS";
  public static final String CALLBACK_TIMEOUT_MS = "CALLBACK_TIMEOUT_MS";
  /** How often each dispatcher process looks for webhooks and schedules that are due. */
  public static final String CALLBACK_POLL_MS = "CALLBACK_POLL_MS";
  public static final String SCHEDULE_POLL_MS = "SCHEDULE_POLL_MS";
  public static final String HTTP_TASK_ALLOWED_HOSTS = "HTTP_TASK_ALLOWED_HOSTS";
  public static final String HTTP_TASK_SECRETS = "HTTP_TASK_SECRETS";

  private final JsonObject values;

  public Settings(JsonObject values) {
    this.values = values;
  }

  public JsonObject asJson() {
    return values.copy();
  }

  public String string(String key) {
    Object value = require(key);
    return value.toString().trim();
  }

  /** A string setting that may be left empty; empty means "not set". */
  public String optionalString(String key) {
    Object value = values.getValue(key);
    return value == null || value.toString().isBlank() ? null : value.toString().trim();
  }

  public int integer(String key) {
    Object value = require(key);
    if (value instanceof Number number) {
      return number.intValue();
    }
    try {
      return Integer.parseInt(value.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting " + key + " must be a whole number, got '" + value + "'", e);
    }
  }

  public long longValue(String key) {
    Object value = require(key);
    if (value instanceof Number number) {
      return number.longValue();
    }
    try {
      return Long.parseLong(value.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("setting " + key + " must be a whole number, got '" + value + "'", e);
    }
  }

  public boolean bool(String key) {
    Object value = require(key);
    return value instanceof Boolean flag ? flag : Boolean.parseBoolean(value.toString().trim());
  }

  /** A comma-separated list (the form an environment variable can carry). */
  public List<String> list(String key) {
    return Arrays.stream(string(key).split(","))
        .map(String::trim)
        .filter(item -> !item.isEmpty())
        .toList();
  }

  /**
   * TOPIC_REPLICATION_FACTOR, or empty for the cluster's default.replication.factor (a topic
   * created without a factor takes the broker's).
   */
  public Optional<Short> topicReplicationFactor() {
    String configured = optionalString(TOPIC_REPLICATION_FACTOR);
    if (configured == null) {
      return Optional.empty();
    }
    try {
      short factor = Short.parseShort(configured);
      if (factor >= 1) {
        return Optional.of(factor);
      }
    } catch (NumberFormatException e) {
      // refused below, with the setting's name
    }
    throw new IllegalArgumentException(TOPIC_REPLICATION_FACTOR
        + " must be empty (the cluster's default.replication.factor) or a whole number of at least 1, got '"
        + configured + "'");
  }

  /** The operator's Kafka client settings by their Kafka names; empty when none were given. */
  public Map<String, String> kafkaClient() {
    JsonObject given = values.getJsonObject(KAFKA_CLIENT);
    Map<String, String> settings = new TreeMap<>();
    if (given != null) {
      given.forEach(entry -> settings.put(entry.getKey(), String.valueOf(entry.getValue())));
    }
    return settings;
  }

  private Object require(String key) {
    Object value = values.getValue(key);
    if (value == null) {
      throw new IllegalStateException("setting " + key + " has no value; declare it in conf/config.json");
    }
    return value;
  }
}
