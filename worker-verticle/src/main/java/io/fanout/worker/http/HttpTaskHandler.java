package io.fanout.worker.http;

import io.fanout.core.Settings;
import io.fanout.core.Task;
import io.fanout.core.http.HostAllowList;
import io.fanout.core.http.HttpTaskOptions;
import io.fanout.worker.AsyncTaskHandler;
import io.fanout.worker.TaskFailure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The {@code http} task type: each task POSTs its item (or, for a count job, its index and the
 * job's payload) as JSON to the job's {@code payload.url}, and the response becomes its result.
 * Requests are non-blocking ({@link HttpClient}): a task waits for its turn, its rate slot, its
 * connection and its response as a future, never on a thread. A rate slot is used only once the
 * connection is in hand, within the slot's second, so a request that waited for its connection
 * does not reach the service in a later second than its slot's. Each request says its attempt
 * number ({@link HttpTaskOptions#ATTEMPT_HEADER}) and, in a job with a rate, its slot's second
 * ({@link HttpTaskOptions#RATE_SECOND_HEADER}). 5xx, 429, timeouts and connection errors are
 * tried again (no sooner than {@code Retry-After}); any other status fails the task with the
 * status and the start of the body. Redirects are not followed, so the host allow-list cannot be
 * walked around.
 */
public final class HttpTaskHandler implements AsyncTaskHandler {
  private static final int BODY_EXCERPT_CHARS = 200;
  private static final String USER_AGENT = "fanout-http-task";
  private static final String JSON = "application/json";
  private static final int MAX_CONNECTIONS_PER_HOST = 2048;
  private static final long MAX_RETRY_AFTER_MS = 3_600_000;
  /** Jobs whose requests this worker keeps ready (options, headers, turn, rate); the least recent goes first. */
  private static final int JOBS_KEPT = 1024;

  /** What one job's requests share on this worker. {@code rate} is null when the job sets no rate. */
  private record JobRequests(HttpTaskOptions options, Map<String, String> headers, ConcurrencyGate turns,
      ClusterRateLimit rate) {}

  private final Vertx vertx;
  private final Redis redis;
  private final HttpClient client;
  private final HostAllowList allowedHosts;
  private final TaskSecrets secrets;
  private final Predicate<String> cancelled;
  private final Map<String, JobRequests> jobs = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, JobRequests> eldest) {
      return size() > JOBS_KEPT;
    }
  };

  /**
   * @param cancelled whether a job is known to be cancelled: its requests still waiting for a turn
   *     or for their second (concurrency, ratePerSecond) are not sent
   */
  public HttpTaskHandler(Vertx vertx, Redis redis, Settings settings, Predicate<String> cancelled) {
    this.vertx = vertx;
    this.redis = redis;
    this.cancelled = cancelled;
    // Redirects are not followed: the core client follows none unless a request asks it to.
    this.client = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
        .with(new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS_PER_HOST)).build();
    this.allowedHosts = HostAllowList.of(settings.list(Settings.HTTP_TASK_ALLOWED_HOSTS));
    this.secrets = TaskSecrets.load(settings.optionalString(Settings.HTTP_TASK_SECRETS));
  }

  /** Fails when the task's job was cancelled while the request waited: a cancel stops the calls at once. */
  private Future<Void> unlessCancelled(Task task) {
    return cancelled.test(task.jobId()) ? Future.failedFuture(TaskFailure.jobCancelled()) : Future.succeededFuture();
  }

  @Override
  public String type() {
    return HttpTaskOptions.TYPE;
  }

  @Override
  public Future<JsonObject> start(Task task, int attempt) {
    JobRequests job;
    try {
      job = requestsOf(task);
    } catch (TaskFailure refused) {
      return Future.failedFuture(refused);
    }
    return job.turns().enter().compose(turn -> {
      Future<JsonObject> posted = job.rate() == null
          ? unlessCancelled(task).compose(go -> connect(job)).compose(request -> post(job, task, attempt, request, null))
          : unlessCancelled(task).compose(go -> job.rate().slot()).compose(second -> unlessCancelled(task)
              .compose(go -> connect(job)).compose(request -> postInSecond(job, task, attempt, request, second)));
      // Handed on in a task of its own: requests of a cancelled job end at once, each handing its turn
      // to the next, and done in place that chain would run a thousand deep on one stack.
      posted.onComplete(done -> vertx.runOnContext(next -> job.turns().leave()));
      return posted.recover(cause -> cause instanceof TaskFailure
          ? Future.failedFuture(cause)
          : Future.failedFuture(TaskFailure.retryAfter(failureOf(job, cause), 0)));
    });
  }

  public void close() {
    client.close();
  }

  private JobRequests requestsOf(Task task) throws TaskFailure {
    synchronized (jobs) {
      JobRequests known = jobs.get(task.jobId());
      if (known != null) {
        return known;
      }
    }
    HttpTaskOptions options;
    try {
      // The API checked these on submission; this worker's own allow-list is checked again here.
      options = HttpTaskOptions.of(task.payload(), allowedHosts);
    } catch (HttpTaskOptions.Refused refused) {
      throw TaskFailure.permanent(refused.getMessage());
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (Map.Entry<String, HttpTaskOptions.HeaderValue> header : options.headers().entrySet()) {
      String secret = header.getValue().secret();
      String value = secret == null ? header.getValue().text() : secrets.valueOf(secret);
      if (value == null) {
        throw TaskFailure.permanent("header " + header.getKey() + " names secret " + secret
            + ", which this worker does not hold (" + TaskSecrets.ENV_PREFIX + secret + " or HTTP_TASK_SECRETS)");
      }
      headers.put(header.getKey(), value);
    }
    JobRequests made = new JobRequests(options, headers, new ConcurrencyGate(options.concurrency()),
        options.ratePerSecond() == 0 ? null : new ClusterRateLimit(vertx, redis, task.jobId(), options.ratePerSecond()));
    synchronized (jobs) {
      return jobs.computeIfAbsent(task.jobId(), id -> made);
    }
  }

  /** A request on a connection of its own from the pool (opened if none is free). */
  private Future<HttpClientRequest> connect(JobRequests job) {
    return client.request(new RequestOptions().setMethod(HttpMethod.POST)
        .setAbsoluteURI(job.options().url().toString()).setConnectTimeout(job.options().timeoutMs()));
  }

  /**
   * Sends on a slot of {@code second} if that second still has room for the request to arrive in;
   * otherwise (its connection took too long to open) the slot is given up and the request, its
   * connection in hand, waits first in line for a new one.
   */
  private Future<JsonObject> postInSecond(JobRequests job, Task task, int attempt, HttpClientRequest request,
      long second) {
    if (ClusterRateLimit.sendableNow(second)) {
      return post(job, task, attempt, request, second);
    }
    return job.rate().slotAgain().compose(next -> postInSecond(job, task, attempt, request, next));
  }

  /** Sends the task's request; {@code slotSecond} is the second of its rate slot, null when the job has no rate. */
  private Future<JsonObject> post(JobRequests job, Task task, int attempt, HttpClientRequest request,
      Long slotSecond) {
    request.putHeader(HttpHeaders.USER_AGENT, USER_AGENT).putHeader(HttpHeaders.CONTENT_TYPE, JSON);
    job.headers().forEach(request::putHeader);
    request.putHeader(HttpTaskOptions.ATTEMPT_HEADER, Integer.toString(attempt));
    if (slotSecond != null) {
      request.putHeader(HttpTaskOptions.RATE_SECOND_HEADER, Long.toString(slotSecond));
    }
    // The timeout runs from the send: a wait for a rate slot is no sign of a slow service.
    request.idleTimeout(job.options().timeoutMs());
    Object body = task.item() != null ? task.item() : HttpTaskOptions.bodyOfIteration(task.payload(), task.index());
    return request.send(Json.encodeToBuffer(body))
        .compose(response -> response.body().compose(answer -> outcomeOf(response, answer)));
  }

  private static String failureOf(JobRequests job, Throwable cause) {
    return cause instanceof TimeoutException
        ? "no response from " + job.options().url().getHost() + " within " + job.options().timeoutMs() + " ms"
        : "request to " + job.options().url().getHost() + " failed: " + cause;
  }

  private static Future<JsonObject> outcomeOf(HttpClientResponse response, Buffer body) {
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return Future.succeededFuture(new JsonObject().put("status", status).put("body", bodyOf(body)));
    }
    String failure = "HTTP " + status + ": " + excerpt(body);
    if (status == 429 || status >= 500) {
      return Future.failedFuture(TaskFailure.retryAfter(failure, retryAfterMs(response.getHeader("Retry-After"))));
    }
    return Future.failedFuture(TaskFailure.permanent(failure));
  }

  /** The body as JSON when it parses, else as text; null when there is none. */
  private static Object bodyOf(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      return Json.decodeValue(body);
    } catch (RuntimeException notJson) {
      return body.toString();
    }
  }

  private static String excerpt(Buffer body) {
    if (body == null) {
      return "(no body)";
    }
    String text = body.toString();
    return text.length() <= BODY_EXCERPT_CHARS ? text : text.substring(0, BODY_EXCERPT_CHARS) + "...";
  }

  /** Retry-After as seconds or an HTTP date, in ms from now; 0 when absent or unreadable. */
  static long retryAfterMs(String retryAfter) {
    if (retryAfter == null || retryAfter.isBlank()) {
      return 0;
    }
    long delayMs;
    try {
      delayMs = Long.parseLong(retryAfter.trim()) * 1000;
    } catch (NumberFormatException notSeconds) {
      try {
        delayMs = ZonedDateTime.parse(retryAfter.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
            - System.currentTimeMillis();
      } catch (RuntimeException notADate) {
        return 0;
      }
    }
    return Math.max(0, Math.min(MAX_RETRY_AFTER_MS, delayMs));
  }
}
