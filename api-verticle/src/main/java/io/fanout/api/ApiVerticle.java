package io.fanout.api;

import io.fanout.core.Addresses;
import io.fanout.core.Job;
import io.fanout.core.JobId;
import io.fanout.core.JobQueue;
import io.fanout.core.JobStore;
import io.fanout.core.KafkaClients;
import io.fanout.core.RedisClients;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API. A job is stored and queued in Redis and answered {@code 202} before any Kafka
 * work happens; dispatchers are nudged on the event bus so they need not wait for their poll.
 */
public class ApiVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);
  private static final long HEALTH_TIMEOUT_MS = 2000;
  private static final String JSON = "application/json";

  private Settings settings;
  private Redis redis;
  private JobStore store;
  private JobQueue queue;
  private JobRequest jobRequest;
  private KafkaAdminClient kafkaAdmin;
  private HttpServer server;

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    store = new JobStore(redis);
    queue = new JobQueue(redis);
    jobRequest = new JobRequest(settings);
    kafkaAdmin = KafkaAdminClient.create(vertx, KafkaClients.admin(settings, "api-" + UUID.randomUUID()));
    server = vertx.createHttpServer();
    return server.requestHandler(router())
        .listen(settings.integer(Settings.HTTP_PORT), settings.string(Settings.HTTP_HOST))
        .onSuccess(listening -> LOG.info("API listening on http://{}:{}/", settings.string(Settings.HTTP_HOST),
            listening.actualPort()));
  }

  @Override
  public Future<?> stop() {
    return Future.join(server.close(), kafkaAdmin.close(), redis.close());
  }

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(settings.longValue(Settings.MAX_BODY_BYTES)));
    router.post("/jobs").handler(this::submit);
    router.get("/jobs/:id").handler(this::find);
    router.get("/health").handler(this::health);
    router.route().last().handler(ctx -> reply(ctx, new ApiError(404, "not_found", "no route for "
        + ctx.request().method() + " " + ctx.normalizedPath(), null)));
    router.route().failureHandler(this::failure);
    return router;
  }

  private void submit(RoutingContext ctx) {
    Job job = jobRequest.parse(jsonBody(ctx), Instant.now());
    queue.enqueue(job)
        .onSuccess(queued -> {
          vertx.eventBus().publish(Addresses.QUEUE_WAKEUP, job.id());
          ctx.response().setStatusCode(202).putHeader("Content-Type", JSON)
              .putHeader("Location", "/jobs/" + job.id())
              .end(new JsonObject()
                  .put("jobId", job.id())
                  .put("status", job.status().wireName())
                  .put("links", new JsonObject().put("self", "/jobs/" + job.id()))
                  .encode());
        })
        .onFailure(ctx::fail);
  }

  private void find(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!JobId.isWellFormed(id)) {
      throw ApiError.notFound("no job '" + id + "'");
    }
    store.find(id)
        .onSuccess(job -> {
          if (job == null) {
            reply(ctx, ApiError.notFound("no job '" + id + "'"));
          } else {
            ctx.response().putHeader("Content-Type", JSON).end(job.toJson().encode());
          }
        })
        .onFailure(ctx::fail);
  }

  /** UP only when both Redis and Kafka answer in time. */
  private void health(RoutingContext ctx) {
    Future<String> redisCheck = redis.send(Request.cmd(Command.PING)).map(pong -> "UP")
        .timeout(HEALTH_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    Future<String> kafkaCheck = kafkaAdmin.describeCluster().map(cluster -> "UP")
        .timeout(HEALTH_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    Future.join(redisCheck, kafkaCheck).onComplete(all -> {
      boolean up = redisCheck.succeeded() && kafkaCheck.succeeded();
      JsonObject body = new JsonObject()
          .put("status", up ? "UP" : "DOWN")
          .put("checks", new JsonObject()
              .put("redis", redisCheck.succeeded() ? "UP" : "DOWN: " + redisCheck.cause().getMessage())
              .put("kafka", kafkaCheck.succeeded() ? "UP" : "DOWN: " + kafkaCheck.cause().getMessage()));
      ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", JSON).end(body.encode());
    });
  }

  private static JsonObject jsonBody(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase().startsWith(JSON)) {
      throw new ApiError(415, "unsupported_media_type", "send the job as " + JSON, null);
    }
    if (ctx.body().isEmpty()) {
      throw new ApiError(400, "malformed_json", "the body is empty; send a JSON object", null);
    }
    try {
      Object parsed = io.vertx.core.json.Json.decodeValue(ctx.body().buffer());
      if (parsed instanceof JsonObject object) {
        return object;
      }
    } catch (DecodeException e) {
      throw new ApiError(400, "malformed_json", "the body is not valid JSON: " + e.getMessage(), null);
    }
    throw new ApiError(400, "malformed_json", "the body must be a JSON object", null);
  }

  private void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError error) {
      reply(ctx, error);
    } else if (ctx.statusCode() == 413) {
      reply(ctx, new ApiError(413, "body_too_large",
          "the body is over " + settings.longValue(Settings.MAX_BODY_BYTES) + " bytes", null));
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      reply(ctx, new ApiError(ctx.statusCode(), "bad_request", "the request was refused", null));
    } else {
      LOG.error("{} {} failed", ctx.request().method(), ctx.normalizedPath(), failure);
      reply(ctx, new ApiError(503, "unavailable", "the job store did not answer; try again", null));
    }
  }

  private static void reply(RoutingContext ctx, ApiError error) {
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(error.status()).putHeader("Content-Type", JSON).end(error.toJson().encode());
    }
  }
}
