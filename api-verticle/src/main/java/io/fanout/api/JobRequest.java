package io.fanout.api;

import io.fanout.core.Job;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/** Turns a {@code POST /jobs} body into a job, or refuses it naming the field at fault. */
final class JobRequest {
  static final int MIN_PRIORITY = -1000;
  static final int MAX_PRIORITY = 1000;
  static final int MAX_PARTITIONS = 256;
  static final int MAX_ATTEMPTS = 100;
  private static final int DEFAULT_MAX_ATTEMPTS = 3;
  private static final Set<String> FIELDS = Set.of("type", "payload", "count", "partitions", "priority", "maxAttempts");

  private final Settings settings;
  private final List<String> taskTypes;

  JobRequest(Settings settings) {
    this.settings = settings;
    this.taskTypes = settings.list(Settings.TASK_TYPES);
  }

  Job parse(JsonObject body, Instant now) {
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
    long count = wholeNumber(body, "count", 1, 1, settings.longValue(Settings.MAX_TASKS_PER_JOB));
    int partitions = (int) wholeNumber(body, "partitions", settings.integer(Settings.TASK_PARTITIONS), 1, MAX_PARTITIONS);
    int priority = (int) wholeNumber(body, "priority", 0, MIN_PRIORITY, MAX_PRIORITY);
    int maxAttempts = (int) wholeNumber(body, "maxAttempts", DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS);
    return Job.accepted(type, (JsonObject) payload, count, partitions, priority, maxAttempts, now);
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

  private static long wholeNumber(JsonObject body, String field, long fallback, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
      throw ApiError.invalid(field, field + " must be a whole number");
    }
    long whole = number.longValue();
    if (whole < min || whole > max) {
      throw ApiError.invalid(field, field + " must be between " + min + " and " + max + ", got " + whole);
    }
    return whole;
  }
}
