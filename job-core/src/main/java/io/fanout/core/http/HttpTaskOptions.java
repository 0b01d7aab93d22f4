package io.fanout.core.http;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What an {@code http} job's payload asks of its requests: where to POST, which headers (a value is
 * text, or {@code {"secret": "NAME"}} for a secret the workers hold), how many in flight per worker,
 * how many per second across the cluster, and how long each may take. The API refuses a payload this
 * cannot read; the worker reads the same payload with the same rules.
 *
 * @param concurrency requests of this job in flight at once on one worker
 * @param ratePerSecond requests of this job per second across every worker; 0 for no limit
 */
public record HttpTaskOptions(URI url, Map<String, HeaderValue> headers, int concurrency, int ratePerSecond,
    long timeoutMs) {
  public static final String TYPE = "http";
  /**
   * The request header carrying the attempt's number on its worker, from 1: a retry shows 2 or more,
   * while a task delivered twice (at-least-once) shows 1 again, so a service can tell them apart.
   */
  public static final String ATTEMPT_HEADER = "Fanout-Attempt";
  /**
   * The request header a job with a {@code ratePerSecond} sends with the epoch second whose rate slot
   * the request was sent on: a service that counts by arrival can tell a request sent in time that
   * reached it in the next second from one sent past the rate.
   */
  public static final String RATE_SECOND_HEADER = "Fanout-Rate-Second";
  public static final int DEFAULT_CONCURRENCY = 64;
  public static final int MAX_CONCURRENCY = 10_000;
  public static final int MAX_RATE_PER_SECOND = 1_000_000;
  public static final long DEFAULT_TIMEOUT_MS = 10_000;
  public static final long MAX_TIMEOUT_MS = 300_000;
  private static final Pattern SECRET_NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}");

  /** A header's value: given in the job, or the name of a secret resolved by the worker. */
  public record HeaderValue(String text, String secret) {}

  /** A payload refused, naming the field at fault ({@code payload.url}, ...). */
  public static final class Refused extends IllegalArgumentException {
    private final String field;

    Refused(String field, String message) {
      super(message);
      this.field = field;
    }

    public String field() {
      return field;
    }
  }

  /** Reads a job's payload; refuses a URL that is not http(s) or whose host {@code allowed} does not list. */
  public static HttpTaskOptions of(JsonObject payload, HostAllowList allowed) {
    URI url = url(payload.getValue("url"), allowed);
    return new HttpTaskOptions(url, headers(payload.getValue("headers")),
        (int) whole(payload, "concurrency", DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
        (int) whole(payload, "ratePerSecond", 0, 0, MAX_RATE_PER_SECOND),
        whole(payload, "timeoutMs", DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS));
  }

  /** What a count job's task POSTs: the payload without the request's own settings, and the index. */
  public static JsonObject bodyOfIteration(JsonObject payload, long index) {
    JsonObject shared = payload.copy();
    for (String option : new String[] {"url", "headers", "concurrency", "ratePerSecond", "timeoutMs"}) {
      shared.remove(option);
    }
    return new JsonObject().put("index", index).put("payload", shared);
  }

  private static URI url(Object value, HostAllowList allowed) {
    if (!(value instanceof String text) || text.isBlank()) {
      throw new Refused("payload.url", "payload.url is required: the http(s) URL each task POSTs to");
    }
    URI url;
    try {
      url = new URI(text);
    } catch (URISyntaxException malformed) {
      throw new Refused("payload.url", "payload.url is not a URL: " + malformed.getMessage());
    }
    if (!"http".equalsIgnoreCase(url.getScheme()) && !"https".equalsIgnoreCase(url.getScheme())
        || url.getHost() == null || url.getUserInfo() != null) {
      throw new Refused("payload.url", "payload.url must be an http or https URL with a host and no user info");
    }
    if (!allowed.allows(url)) {
      throw new Refused("payload.url", "payload.url's host " + url.getHost() + " is not in HTTP_TASK_ALLOWED_HOSTS"
          + (allowed.isEmpty() ? " (empty: http jobs call no host until an operator lists some)" : ""));
    }
    return url;
  }

  private static Map<String, HeaderValue> headers(Object value) {
    Map<String, HeaderValue> headers = new LinkedHashMap<>();
    if (value == null) {
      return headers;
    }
    if (!(value instanceof JsonObject given)) {
      throw new Refused("payload.headers", "payload.headers must be an object of header names to values");
    }
    for (Map.Entry<String, Object> header : given) {
      String field = "payload.headers." + header.getKey();
      if (!HEADER_NAME.matcher(header.getKey()).matches()) {
        throw new Refused(field, "'" + header.getKey() + "' is not a header name");
      }
      if (header.getValue() instanceof String text && text.indexOf('\r') < 0 && text.indexOf('\n') < 0) {
        headers.put(header.getKey(), new HeaderValue(text, null));
      } else if (header.getValue() instanceof JsonObject reference && reference.size() == 1
          && reference.getValue("secret") instanceof String name && SECRET_NAME.matcher(name).matches()) {
        headers.put(header.getKey(), new HeaderValue(null, name));
      } else {
        throw new Refused(field, field + " must be text on one line, or {\"secret\": \"NAME\"} (upper case,"
            + " digits and _) naming a secret the workers hold");
      }
    }
    return headers;
  }

  private static long whole(JsonObject payload, String option, long fallback, long min, long max) {
    Object value = payload.getValue(option);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
        || number.doubleValue() < min || number.doubleValue() > max) {
      throw new Refused("payload." + option, "payload." + option + " must be a whole number from " + min + " to "
          + max + ", got " + value);
    }
    return number.longValue();
  }
}
