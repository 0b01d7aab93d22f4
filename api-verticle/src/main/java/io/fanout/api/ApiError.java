package io.fanout.api;

import io.vertx.core.json.JsonObject;

/**
 * A request the API refuses, with the status and the body the client gets:
 * {@code {"error": {"code", "message", "field"?}}}.
 */
final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final String field;
  private long retryAfterSeconds;

  ApiError(int status, String code, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  static ApiError invalid(String field, String message) {
    return new ApiError(400, "invalid_field", message, field);
  }

  static ApiError notFound(String message) {
    return new ApiError(404, "not_found", message, null);
  }

  /** The same refusal of a field nested in {@code parent}, such as a schedule's {@code template.count}. */
  ApiError within(String parent) {
    return new ApiError(status, code, getMessage(), field == null ? parent : parent + "." + field);
  }

  /** The same refusal, telling the client when to try again (a {@code Retry-After} header). */
  ApiError retryAfter(long seconds) {
    this.retryAfterSeconds = seconds;
    return this;
  }

  long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  int status() {
    return status;
  }

  JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (field != null) {
      error.put("field", field);
    }
    return new JsonObject().put("error", error);
  }
}
