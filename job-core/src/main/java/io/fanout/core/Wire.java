package io.fanout.core;

import io.vertx.core.json.JsonObject;

/** Reading the fields of a message from the event bus, refusing one of the wrong shape with its name. */
final class Wire {
  private Wire() {}

  static String string(JsonObject json, String field) {
    String value = optionalString(json, field);
    if (value == null) {
      throw new IllegalArgumentException("message has no '" + field + "': " + json);
    }
    return value;
  }

  static String optionalString(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (value != null && !(value instanceof String)) {
      throw new IllegalArgumentException("'" + field + "' must be a string: " + json);
    }
    return (String) value;
  }

  static long count(JsonObject json, String field) {
    long value = number(json, field);
    if (value < 0) {
      throw new IllegalArgumentException("'" + field + "' must not be negative: " + json);
    }
    return value;
  }

  static long number(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (!(value instanceof Number number) || number.doubleValue() != number.longValue()) {
      throw new IllegalArgumentException("'" + field + "' must be a whole number: " + json);
    }
    return number.longValue();
  }

  static JobState state(JsonObject json, String field) {
    String name = string(json, field);
    try {
      return JobState.fromWire(name);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("'" + field + "' is not a job state: " + json, e);
    }
  }
}
