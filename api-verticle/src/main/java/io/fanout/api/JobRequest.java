package io.fanout.api;

import io.fanout.core.CallbackTargets;
import io.fanout.core.Job;
import io.fanout.core.JobFields;
import io.fanout.core.JobTemplate;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.fanout.core.http.HostAllowList;
import io.fanout.core.http.HttpTaskOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * Turns a {@code POST /jobs} body into a job specification, or refuses it with an
 * {@link ApiError} naming the field at fault. Limits come from settings.
 */
final class JobRequest {
  static final int MIN_PRIORITY = -1000;
  static final int MAX_PRIORITY = 1000;
  static final int MAX_PARTITIONS = 256;
  static final int MAX_ATTEMPTS = 100;
  static final int MAX_IDEMPOTENCY_KEY_LENGTH = 200;
  private static final int DEFAULT_MAX_ATTEMPTS = 3;
  private static final Set<String> FIELDS = Set.of(
      "type", "payload", "count", "items", "partitions", "priority", "delayMs", "maxAttempts", "idempotencyKey",
      JobTemplate.CALLBACK_URL, "resultsTopic", JobFields.RESULTS_RETENTION_MS);

  /**
   * A valid submission.
   *
   * @param items the dataset when it came in the body; null for count jobs and streamed uploads
   */
  record Submission(Job.Spec spec, JsonArray items, String idempotencyKey, String callbackUrl,
      Long resultsRetentionMs) {
    JobTemplate template() {
      return new JobTemplate(spec, callbackUrl, resultsRetentionMs);
    }
  }

  private final Settings settings;
  private final List<String> taskTypes;
  private final List<String> singleTaskTypes;
  private final CallbackTargets callbackTargets;
  private final HostAllowList httpHosts;

  JobRequest(Settings settings) {
    this.settings = settings;
    this.callbackTargets = CallbackTargets.from(settings);
    this.taskTypes = settings.list(Settings.TASK_TYPES);
    this.singleTaskTypes = settings.list(Settings.SINGLE_TASK_TYPES);
    this.httpHosts = HostAllowList.of(settings.list(Settings.HTTP_TASK_ALLOWED_HOSTS));
  }

  /** A whole job in one JSON body. */
  Submission parse(JsonObject body) {
    return parse(body, false);
  }

  /**
   * The first line of an ndjson upload: the job without its items, which follow one per line.
   * Its total is filled in when the upload ends.
   */
  Submission parseUploadHeader(JsonObject header) {
    return parse(header, true);
  }

  /**
   * The job a schedule submits at each firing: a job body without a dataset (a schedule lives in
   * Redis, which never holds datasets) and without an idempotency key (each firing has its own).
   * A refusal names the field inside {@code template}.
   */
  JobTemplate parseTemplate(JsonObject template) {
    for (String field : List.of("items", "idempotencyKey")) {
      if (template.containsKey(field)) {
        throw ApiError.invalid("template." + field, "a schedule's job template takes no " + field
            + (field.equals("items") ? "; give count" : "; each firing has its own"));
      }
    }
    try {
      return parse(template, false).template();
    } catch (ApiError refused) {
      throw refused.within("template");
    }
  }

  /** Whether jobs of {@code type} are one task over the payload, given without count or items. */
  boolean isSingleTask(String type) {
    return singleTaskTypes.contains(type);
  }

  long maxItems() {
    return settings.longValue(Settings.MAX_ITEMS_PER_JOB);
  }

  private Submission parse(JsonObject body, boolean itemsFollow) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiError.invalid(field, "unknown field '" + field + "'");
      }
    }
    String type = requiredString(body, "type");
    if (!taskTypes.contains(type)) {
      throw ApiError.invalid("type", "unknown task type '" + type + "'; known types: " + String.join(", ", taskTypes));
    }
    Object payload = body.getValue("payload", new JsonObject());
    if (!(payload instanceof JsonObject)) {
      throw ApiError.invalid("payload", "payload must be a JSON object");
    }
    if (HttpTaskOptions.TYPE.equals(type)) {
      checkHttpOptions((JsonObject) payload);
    }
    JsonArray items = itemsOf(body, type, itemsFollow);
    // An upload's total is known at its end (Spec.withTotal); 0 until then, so that its partitions
    // are not capped to a total that is not known yet.
    long total = items != null ? items.size()
        : itemsFollow ? 0
        : singleTaskTypes.contains(type) ? 1
        : wholeNumber(body, "count", 0, 1, settings.longValue(Settings.MAX_TASKS_PER_JOB));
    Job.Spec spec = new Job.Spec(type, (JsonObject) payload, total, items != null || itemsFollow,
        (int) wholeNumber(body, "partitions", settings.integer(Settings.TASK_PARTITIONS), 1, MAX_PARTITIONS),
        (int) wholeNumber(body, "priority", 0, MIN_PRIORITY, MAX_PRIORITY),
        (int) wholeNumber(body, "maxAttempts", DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS),
        wholeNumber(body, "delayMs", 0, 0, settings.longValue(Settings.MAX_DELAY_MS)), resultsTopic(body));
    return new Submission(spec, items, idempotencyKey(body), callbackUrl(body), resultsRetentionMs(body));
  }

  /** An http job whose workers could not make its requests, or may not call its host, is refused here. */
  private void checkHttpOptions(JsonObject payload) {
    try {
      HttpTaskOptions.of(payload, httpHosts);
    } catch (HttpTaskOptions.Refused refused) {
      throw ApiError.invalid(refused.field(), refused.getMessage());
    }
  }

  /** Exactly one of count and items, except for one-task types (neither) and uploads (items follow). */
  private JsonArray itemsOf(JsonObject body, String type, boolean itemsFollow) {
    boolean hasCount = body.containsKey("count");
    boolean hasItems = body.containsKey("items");
    if (itemsFollow && (hasCount || hasItems)) {
      throw ApiError.invalid(hasCount ? "count" : "items",
          "an ndjson upload's first line is the job without count or items; the items follow, one per line");
    }
    if (singleTaskTypes.contains(type) && (hasCount || hasItems)) {
      throw ApiError.invalid(hasCount ? "count" : "items",
          "'" + type + "' jobs are one task over the payload; leave out count and items");
    }
    if (itemsFollow || singleTaskTypes.contains(type)) {
      return null;
    }
    if (hasCount && hasItems) {
      throw ApiError.invalid("items", "give count or items, not both");
    }
    if (!hasCount && !hasItems) {
      throw ApiError.invalid("count", "give count (a number of iterations) or items (one task per item)");
    }
    if (!hasItems) {
      return null;
    }
    if (!(body.getValue("items") instanceof JsonArray items)) {
      throw ApiError.invalid("items", "items must be a JSON array");
    }
    if (items.isEmpty()) {
      throw ApiError.invalid("items", "items must hold at least one item");
    }
    if (items.size() > maxItems()) {
      throw ApiError.invalid("items", "too many items: " + items.size() + ", at most " + maxItems());
    }
    return items;
  }

  private static String resultsTopic(JsonObject body) {
    if (!body.containsKey("resultsTopic")) {
      return null;
    }
    String topic = requiredString(body, "resultsTopic");
    String refusal = Topics.refusalOfResultsTopic(topic);
    if (refusal != null) {
      throw ApiError.invalid("resultsTopic", refusal);
    }
    return topic;
  }

  private static String idempotencyKey(JsonObject body) {
    if (!body.containsKey("idempotencyKey")) {
      return null;
    }
    String key = requiredString(body, "idempotencyKey");
    if (key.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw ApiError.invalid("idempotencyKey", "idempotencyKey must be at most " + MAX_IDEMPOTENCY_KEY_LENGTH
          + " characters");
    }
    return key;
  }

  /** How long the job's results stay after it ends: at most as long as the job itself (JOB_RETENTION_MS). */
  private Long resultsRetentionMs(JsonObject body) {
    return body.containsKey(JobFields.RESULTS_RETENTION_MS)
        ? wholeNumber(body, JobFields.RESULTS_RETENTION_MS, 0, 0, settings.longValue(Settings.JOB_RETENTION_MS))
        : null;
  }

  /** A webhook target the operator allows ({@link CallbackTargets}), which can only be used with a secret to sign. */
  private String callbackUrl(JsonObject body) {
    if (!body.containsKey(JobTemplate.CALLBACK_URL)) {
      return null;
    }
    String url = requiredString(body, JobTemplate.CALLBACK_URL);
    String refusal = callbackTargets.refusal(url);
    if (refusal != null) {
      throw ApiError.invalid(JobTemplate.CALLBACK_URL, refusal);
    }
    if (settings.optionalString(Settings.CALLBACK_SECRET) == null) {
      throw ApiError.invalid(JobTemplate.CALLBACK_URL, "this Fanout has no CALLBACK_SECRET to sign webhooks with, "
          + "so it sends none; ask its operator to set one");
    }
    return url;
  }

  private static String requiredString(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiError.invalid(field, field + " is required");
    }
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiError.invalid(field, field + " must be a non-empty string");
    }
    return text;
  }

  static long wholeNumber(JsonObject body, String field, long fallback, long min, long max) {
    Object value = body.getValue(field);
    if (value == null && !body.containsKey(field)) {
      return fallback;
    }
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
      throw ApiError.invalid(field, field + " must be a whole number");
    }
    // Compared as a double first: a huge BigInteger would wrap around in longValue().
    if (number.doubleValue() < min || number.doubleValue() > max) {
      throw ApiError.invalid(field, field + " must be between " + min + " and " + max + ", got " + number);
    }
    return number.longValue();
  }
}
