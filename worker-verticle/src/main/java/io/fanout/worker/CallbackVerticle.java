package io.fanout.worker;

import io.fanout.core.CallbackOutbox;
import io.fanout.core.CallbackOutbox.Claim;
import io.fanout.core.CallbackOutbox.State;
import io.fanout.core.CallbackOutbox.Target;
import io.fanout.core.CallbackTargets;
import io.fanout.core.RedisClients;
import io.fanout.core.Settings;
import io.fanout.core.WebhookSignature;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.redis.client.Redis;
import java.net.InetAddress;
import java.net.URI;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the completion webhooks of ended jobs: claims due ones from the {@link CallbackOutbox}
 * under a lease, POSTs each job's summary signed ({@link WebhookSignature}) with its stable
 * delivery id, records the try beside the job, and either ends the webhook (a 2xx answer, or
 * {@code CALLBACK_RETRY_MS} after the job's end) or makes it due again after an exponential
 * backoff. Every dispatcher process runs one; a webhook whose deliverer died is claimed by
 * another once the lease runs out, so delivery is at least once.
 */
public class CallbackVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(CallbackVerticle.class);
  private static final int CLAIM_BATCH = 32;
  private static final String EVENT_HEADER = "Fanout-Event";

  private final String owner = "callbacks-" + UUID.randomUUID();
  private Settings settings;
  private Redis redis;
  private CallbackOutbox outbox;
  private CallbackTargets targets;
  private WebClient client;
  private String secret;
  private long timeoutMs;
  private boolean claiming;
  private long timer;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    secret = settings.optionalString(Settings.CALLBACK_SECRET);
    timeoutMs = settings.longValue(Settings.CALLBACK_TIMEOUT_MS);
    redis = RedisClients.create(vertx, settings);
    outbox = new CallbackOutbox(redis);
    targets = CallbackTargets.from(settings);
    // No redirects: a target that answers 3xx could otherwise send the POST past the allow-list.
    client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMs)).setUserAgent("Fanout-Webhook/1"));
    timer = vertx.setPeriodic(settings.longValue(Settings.CALLBACK_POLL_MS), tick -> deliverDue());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    client.close();
    return redis.close();
  }

  /** A try takes at most the request's timeout and a name lookup; the lease covers both twice over. */
  private long leaseMs() {
    return 2 * timeoutMs + 1000;
  }

  private void deliverDue() {
    if (claiming) {
      return;
    }
    claiming = true;
    outbox.claimDue(owner, leaseMs(), CLAIM_BATCH)
        .onComplete(claimed -> claiming = false)
        .onSuccess(claims -> claims.forEach(claim -> deliver(claim)
            .onFailure(failure -> LOG.warn("Webhook of job {} not settled ({}); it is tried again when the lease "
                + "of {} runs out", claim.jobId(), failure.toString(), owner))))
        .onFailure(failure -> LOG.warn("Deliverer {} could not read the webhook outbox: {}", owner, failure.toString()));
  }

  private Future<Boolean> deliver(Claim claim) {
    return outbox.target(claim.jobId()).compose(target -> {
      if (target == null || target.callbackUrl() == null || !target.job().status().isFinal()
          || target.finishedAt() == null) {
        // Forgotten, or queued again by a retry run, whose end brings its own webhook.
        return outbox.finish(claim.jobId(), owner);
      }
      long startedAt = System.currentTimeMillis();
      return send(target)
          .map(status -> new JsonObject().put("statusCode", status))
          .otherwise(failure -> new JsonObject().put("error", describe(failure)))
          .compose(result -> settle(claim, target, result.put("durationMs", System.currentTimeMillis() - startedAt),
              startedAt));
    });
  }

  /** POSTs the job's summary; resolves with the status code, fails when no answer came or the target is refused. */
  private Future<Integer> send(Target target) {
    URI url = URI.create(target.callbackUrl());
    String refusal = targets.refusal(target.callbackUrl());
    if (refusal != null) {
      return Future.failedFuture(new IllegalArgumentException(refusal));
    }
    if (secret == null) {
      return Future.failedFuture(new IllegalStateException("CALLBACK_SECRET is not set, so webhooks cannot be signed"));
    }
    String host = CallbackTargets.host(url);
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false).compose(addresses -> {
      String unsafe = targets.refusal(host, addresses);
      if (unsafe != null) {
        return Future.failedFuture(new IllegalArgumentException(unsafe));
      }
      String body = target.job().toJson().encode();
      long now = Instant.now().getEpochSecond();
      return client.postAbs(target.callbackUrl())
          .timeout(timeoutMs)
          .putHeader("Content-Type", "application/json")
          .putHeader(WebhookSignature.HEADER, WebhookSignature.header(secret, now, body))
          .putHeader(WebhookSignature.DELIVERY_HEADER, target.deliveryId())
          .putHeader(EVENT_HEADER, "job." + target.job().status().wireName())
          .sendBuffer(Buffer.buffer(body))
          .map(response -> response.statusCode());
    });
  }

  private Future<Boolean> settle(Claim claim, Target target, JsonObject result, long startedAt) {
    String jobId = claim.jobId();
    int tryNumber = claim.tries() + 1;
    Integer status = result.getInteger("statusCode");
    boolean delivered = status != null && status >= 200 && status < 300;
    long deadline = Long.parseLong(target.finishedAt()) + settings.longValue(Settings.CALLBACK_RETRY_MS);
    long nextDue = System.currentTimeMillis() + backoff(claim.tries());
    State state = delivered ? State.DELIVERED : nextDue > deadline ? State.GAVE_UP : State.PENDING;
    JsonObject attempt = new JsonObject()
        .put("attempt", tryNumber)
        .put("deliveryId", target.deliveryId())
        .put("at", Instant.ofEpochMilli(startedAt).toString())
        .mergeIn(result)
        .put("outcome", state.wireName());
    if (state == State.PENDING) {
      attempt.put("nextAttemptAt", Instant.ofEpochMilli(nextDue).toString());
    }
    logTry(jobId, target, tryNumber, result, state);
    return outbox.recordAttempt(jobId, attempt, state, settings.longValue(Settings.JOB_RETENTION_MS))
        .compose(recorded -> state == State.PENDING && recorded
            ? outbox.retryAt(jobId, owner, nextDue)
            : outbox.finish(jobId, owner));
  }

  private void logTry(String jobId, Target target, int tryNumber, JsonObject result, State state) {
    // The URL's host only: its path or query may carry a receiver's token.
    String host = CallbackTargets.host(URI.create(target.callbackUrl()));
    if (state == State.DELIVERED) {
      LOG.info("Webhook {} of job {} delivered to {} on try {}", target.deliveryId(), jobId, host, tryNumber);
    } else {
      LOG.warn("Webhook {} of job {} to {} failed on try {} ({}); {}", target.deliveryId(), jobId, host, tryNumber,
          result.containsKey("statusCode") ? "status " + result.getInteger("statusCode") : result.getString("error"),
          state == State.GAVE_UP ? "giving up after CALLBACK_RETRY_MS" : "it will be tried again");
    }
  }

  /** CALLBACK_BACKOFF_MS doubled per try before, capped, and up to a quarter more so that retries spread out. */
  private long backoff(int triesBefore) {
    long base = settings.longValue(Settings.CALLBACK_BACKOFF_MS);
    long capped = Math.min(settings.longValue(Settings.CALLBACK_BACKOFF_MAX_MS), base << Math.min(triesBefore, 30));
    return capped + ThreadLocalRandom.current().nextLong(capped / 4 + 1);
  }

  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
