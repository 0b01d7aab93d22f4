package io.fanout.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * The API's side of a JSON exchange: reading requests and writing answers, with the API's errors
 * for what does not parse.
 */
final class JsonExchange {
  static final String TYPE = "application/json";

  private JsonExchange() {}

  static void reply(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", TYPE).end(body.encode());
  }

  /** The body as a JSON object, or a 4xx naming what is wrong with it. */
  static JsonObject bodyObject(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith(TYPE)) {
      throw new ApiError(415, "unsupported_media_type",
          "send the body as " + TYPE + " (or a job upload as application/x-ndjson)", null);
    }
    if (ctx.body().isEmpty()) {
      throw new ApiError(400, "malformed_json", "the body is empty; send a JSON object", null);
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(ctx.body().buffer());
    } catch (DecodeException e) {
      throw new ApiError(400, "malformed_json", "the body is not valid JSON: " + firstLine(e.getMessage()), null);
    }
    if (!(parsed instanceof JsonObject object)) {
      throw new ApiError(400, "malformed_json", "the body must be a JSON object", null);
    }
    return object;
  }

  /** A whole-number query parameter within bounds, or the fallback when absent. */
  static long queryNumber(RoutingContext ctx, String name, long fallback, long min, long max) {
    String value = ctx.queryParams().get(name);
    if (value == null) {
      return fallback;
    }
    try {
      long number = Long.parseLong(value.trim());
      if (number >= min && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw ApiError.invalid(name, name + " must be a whole number between " + min + " and " + max);
  }

  static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
