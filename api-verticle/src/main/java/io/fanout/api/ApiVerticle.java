package io.fanout.api;

import io.fanout.core.Addresses;
import io.fanout.core.CallbackOutbox;
import io.fanout.core.FanoutMeters;
import io.fanout.core.IllegalStateChangeException;
import io.fanout.core.JobQueue;
import io.fanout.core.JobRetention;
import io.fanout.core.JobStore;
import io.fanout.core.KafkaSink;
import io.fanout.core.ScheduleStore;
import io.fanout.core.StagingLedger;
import io.fanout.core.StaleUploads;
import io.fanout.core.TopicAdmin;
import io.fanout.core.TopicCreator;
import io.fanout.core.KafkaClients;
import io.fanout.core.NoSuchJobException;
import io.fanout.core.SubmissionInProgressException;
import io.fanout.core.NodeRegistry;
import io.fanout.core.RedisClients;
import io.fanout.core.RedisHealth;
import io.fanout.core.ReplicaAck;
import io.fanout.core.Settings;
import io.fanout.core.auth.AccessRole;
import io.fanout.core.auth.Authenticator;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.kafka.admin.KafkaAdminClient;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.redis.client.Redis;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API and the web UI. A job is stored and queued in Redis and answered {@code 202}
 * before any Kafka work happens but the staging of a dataset's items; dispatchers are nudged on the event bus so they need not wait
 * for their next poll. Every refusal is a 4xx with a JSON error; nothing a client sends is a 500.
 */
public class ApiVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ApiVerticle.class);
  private static final long HEALTH_TIMEOUT_MS = 2000;
  // A lifecycle record must not hold a request for a minute if the broker is away.
  private static final String PRODUCER_MAX_BLOCK_MS = "2000";

  private Settings settings;
  private Redis redis;
  private TopicAdmin topicAdmin;
  private KafkaAdminClient kafkaAdmin;
  private KafkaSink stagingSink;
  private KafkaProducer<String, String> producer;
  private JobRoutes jobs;
  private NdjsonUpload upload;
  private JobLogReader logReader;
  private JobResults results;
  private ClusterRoutes cluster;
  private RedisHealth redisHealth;
  private KafkaHealth kafkaHealth;
  private HttpServer server;
  private Access access;
  private TokenRoutes tokens;
  private CallbackRoutes callbacks;
  private ScheduleRoutes schedules;
  /** The bridge to serve at /eventbus on this origin, or null when the progress role runs elsewhere. */
  private final BridgeMount bridge;

  public ApiVerticle() {
    this(null);
  }

  public ApiVerticle(BridgeMount bridge) {
    this.bridge = bridge;
  }

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    String clientId = "api-" + UUID.randomUUID();
    redis = RedisClients.create(vertx, settings);
    redisHealth = new RedisHealth(redis, settings);
    topicAdmin = TopicAdmin.create(vertx, settings, clientId);
    AdminClient kafkaOwnAdmin = topicAdmin.kafka();
    kafkaAdmin = topicAdmin.client();
    stagingSink = new KafkaSink(vertx, KafkaClients.producer(settings, clientId + "-staging"), FanoutMeters.registry(settings));
    Map<String, String> producerConfig = KafkaClients.producer(settings, clientId);
    producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, PRODUCER_MAX_BLOCK_MS);
    producer = KafkaProducer.create(vertx, producerConfig);
    JobQueue queue = new JobQueue(redis, ReplicaAck.from(settings));
    kafkaHealth = new KafkaHealth(vertx.getOrCreateContext(), kafkaOwnAdmin, queue, HEALTH_TIMEOUT_MS);
    access = new Access(Authenticator.from(settings, redis));
    tokens = new TokenRoutes(access.authenticator());
    StagingLedger ledger = new StagingLedger(redis);
    DatasetStaging staging = new DatasetStaging(settings, new TopicCreator(vertx, topicAdmin), stagingSink, ledger,
        new StaleUploads(ledger, topicAdmin));
    jobs = new JobRoutes(vertx, settings, redis, new JobStore(redis), queue, producer, staging,
        new JobRetention(redis, topicAdmin));
    upload = new NdjsonUpload(jobs, staging, settings);
    callbacks = new CallbackRoutes(new CallbackOutbox(redis));
    schedules = new ScheduleRoutes(new ScheduleStore(redis), jobs.jobRequest());
    logReader = new JobLogReader(vertx, settings, kafkaAdmin);
    results = new JobResults(vertx, settings);
    cluster = new ClusterRoutes(new NodeRegistry(redis, settings.longValue(Settings.NODE_TTL_MS)),
        settings.optionalString(Settings.NODE_ID));
    // No h2c upgrade: an upgrading request's body is buffered whole, which would defeat the
    // streamed upload of a dataset bigger than the heap.
    server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false));
    return server.requestHandler(router())
        .listen(settings.integer(Settings.HTTP_PORT), settings.string(Settings.HTTP_HOST))
        .onSuccess(listening -> LOG.info("API listening on http://{}:{}/", settings.string(Settings.HTTP_HOST),
            listening.actualPort()));
  }

  @Override
  public Future<?> stop() {
    return Future.join(server.close(), producer.close(), stagingSink.closeAsync(), topicAdmin.close(), redis.close());
  }

  private Router router() {
    Router router = Router.router(vertx);
    Handler<RoutingContext> viewer = access.require(AccessRole.VIEWER);
    Handler<RoutingContext> submitter = access.require(AccessRole.SUBMITTER);
    Handler<RoutingContext> admin = access.require(AccessRole.ADMIN);
    if (bridge != null) {
      // Before the body handler below: the bridge's fallback transports bring their own, smaller one.
      bridge.mount(vertx, router, redis, access.authenticator());
    }
    // Checked before any body is read, so a refused submission leaves nothing behind.
    router.post("/jobs").handler(submitter);
    // Streamed uploads first: the body handler below would otherwise read them whole.
    router.post("/jobs").consumes(NdjsonUpload.TYPE).handler(upload::handle);
    router.route().handler(BodyHandler.create(false).setBodyLimit(settings.longValue(Settings.MAX_BODY_BYTES)));
    router.post("/jobs").handler(jobs::submit);
    router.get("/jobs").handler(viewer).handler(jobs::list);
    router.get("/jobs/:id").handler(viewer).handler(jobs::find);
    // Changing a job needs a submitter; JobRoutes then checks that it is the caller's own (or an admin's).
    router.patch("/jobs/:id").handler(submitter).handler(jobs::patch);
    router.delete("/jobs/:id").handler(submitter).handler(jobs::delete);
    router.get("/jobs/:id/log/last").handler(viewer).handler(jobs::lastLog);
    router.get("/jobs/:id/log").handler(viewer).handler(this::logPage);
    router.get("/jobs/:id/results").handler(viewer).handler(this::results);
    router.get("/jobs/:id/failures").handler(viewer).handler(jobs::failures);
    router.post("/jobs/:id/retry-failed").handler(submitter).handler(jobs::retryFailed);
    router.get("/jobs/:id/callbacks").handler(viewer).handler(callbacks::list);
    router.post("/schedules").handler(submitter).handler(schedules::create);
    router.get("/schedules").handler(viewer).handler(schedules::list);
    router.get("/schedules/:id").handler(viewer).handler(schedules::find);
    router.patch("/schedules/:id").handler(submitter).handler(schedules::patch);
    router.delete("/schedules/:id").handler(submitter).handler(schedules::delete);
    router.post("/workers/pause").handler(admin).handler(ctx -> jobs.pauseWorkers(ctx, true));
    router.post("/workers/resume").handler(admin).handler(ctx -> jobs.pauseWorkers(ctx, false));
    router.get("/stats").handler(viewer).handler(jobs::stats);
    router.get("/cluster").handler(viewer).handler(cluster::list);
    router.get("/me").handler(viewer).handler(tokens::me);
    router.get("/tokens").handler(admin).handler(tokens::list);
    router.post("/tokens").handler(admin).handler(tokens::create);
    router.delete("/tokens/:name").handler(admin).handler(tokens::revoke);
    // Open: load balancers probe health without a token, and the page must load to sign in.
    router.get("/health").handler(this::health);
    // Prometheus text of this process's registry: Fanout's meters and the Vert.x, Kafka and JVM ones.
    router.get("/metrics").handler(PrometheusScrapingHandler.create(FanoutMeters.registryName(settings)));
    router.get("/ui/config").handler(this::uiConfig);
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
        .sendFile("openapi/openapi.yaml"));
    // The page's files change with every release; browsers must not keep yesterday's for a day.
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.route().last().handler(ctx -> reply(ctx, new ApiError(404, "not_found", "no route for "
        + ctx.request().method() + " " + ctx.normalizedPath(), null)));
    router.route().failureHandler(this::failure);
    return router;
  }

  private void logPage(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    long from = JsonExchange.queryNumber(ctx, "from", 0, 0, Long.MAX_VALUE);
    int limit = (int) JsonExchange.queryNumber(ctx, "limit", 100, 1, 1000);
    jobs.existing(id)
        .compose(job -> logReader.page(job, from, limit))
        .onSuccess(page -> JsonExchange.reply(ctx, 200, page))
        .onFailure(ctx::fail);
  }

  /**
   * Streams the job's results. Once the first line is out the status is sent, so a failure after
   * it resets the connection: a client must not take a cut stream for the whole answer.
   */
  private void results(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String accept = ctx.request().getHeader("Accept");
    boolean csv = accept != null && accept.contains(JobResults.CSV);
    jobs.existing(id)
        .compose(job -> logReader.present(job).map(job))
        .onFailure(ctx::fail)
        .onSuccess(job -> {
          HttpServerResponse response = ctx.response().setChunked(true)
              .putHeader("Content-Type", csv ? JobResults.CSV + "; charset=utf-8" : JobResults.NDJSON);
          results.stream(job, csv, response).onFailure(failure -> {
            LOG.warn("Results of job {} cut off: {}", id, failure.toString());
            response.reset();
          });
        });
  }

  /**
   * Where the page finds the progress bridge: on this origin when this process serves it, else
   * at PROGRESS_PUBLIC_URL, else (neither) on this host at PROGRESS_PORT, as a bare two-port setup
   * on one machine has it. Whether the page must ask for a token, and the addresses it listens
   * to, so that the page has no copy of them.
   */
  private void uiConfig(RoutingContext ctx) {
    JsonObject config = new JsonObject()
        .put("authRequired", access.authenticator().required())
        .put("progressPort", settings.integer(Settings.PROGRESS_PORT))
        .put("addresses", new JsonObject()
            .put("events", Addresses.EVENTS)
            .put("progressPrefix", Addresses.PROGRESS_PREFIX));
    String publicUrl = settings.optionalString(Settings.PROGRESS_PUBLIC_URL);
    if (bridge != null) {
      config.put("bridgeUrl", "/eventbus");
    } else if (publicUrl != null) {
      config.put("bridgeUrl", publicUrl.replaceAll("/+$", "") + "/eventbus");
    }
    JsonExchange.reply(ctx, 200, config);
  }

  /**
   * UP (200) only when Redis can take counts (see {@link RedisHealth}), Kafka answers and no
   * running job has a partition without a leader (it could not progress); else DOWN (503).
   * {@code checks} says why in a line each, {@code redis} holds what was found there, and
   * {@code stalledJobs} the jobs that cannot progress.
   */
  private void health(RoutingContext ctx) {
    Future<RedisHealth.Report> redisCheck = redisHealth.check(HEALTH_TIMEOUT_MS);
    Future<KafkaHealth.Result> kafkaCheck = kafkaHealth.check();
    Future.join(redisCheck, kafkaCheck).onComplete(all -> {
      RedisHealth.Report redisReport = redisCheck.result();
      KafkaHealth.Result kafka = kafkaCheck.result();
      boolean up = redisReport.up() && kafka.up();
      JsonObject body = new JsonObject()
          .put("status", up ? "UP" : "DOWN")
          .put("checks", new JsonObject()
              .put("redis", redisReport.summary())
              .put("kafka", kafka.detail()))
          .put("redis", redisReport.detail());
      if (!kafka.stalledJobs().isEmpty()) {
        body.put("stalledJobs", kafka.stalledJobs());
      }
      JsonExchange.reply(ctx, up ? 200 : 503, body);
    });
  }

  private void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError error) {
      reply(ctx, error);
    } else if (failure instanceof NoSuchJobException missing) {
      reply(ctx, new ApiError(404, "not_found", missing.getMessage(), null));
    } else if (failure instanceof IllegalStateChangeException illegal) {
      reply(ctx, new ApiError(409, "illegal_state_change", illegal.getMessage(), "status"));
    } else if (failure instanceof SubmissionInProgressException inProgress) {
      reply(ctx, new ApiError(409, "submission_in_progress", inProgress.getMessage(), "idempotencyKey"));
    } else if (ctx.statusCode() == 413) {
      reply(ctx, new ApiError(413, "body_too_large",
          "the body is over " + settings.longValue(Settings.MAX_BODY_BYTES) + " bytes; send large datasets as "
              + NdjsonUpload.TYPE, null));
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      reply(ctx, new ApiError(ctx.statusCode(), "bad_request", "the request was refused", null));
    } else {
      LOG.error("{} {} failed", ctx.request().method(), ctx.normalizedPath(), failure);
      reply(ctx, new ApiError(503, "unavailable", "a backend did not answer; try again", null));
    }
  }

  private static void reply(RoutingContext ctx, ApiError error) {
    if (!ctx.response().ended()) {
      if (error.retryAfterSeconds() > 0) {
        ctx.response().putHeader("Retry-After", Long.toString(error.retryAfterSeconds()));
      }
      JsonExchange.reply(ctx, error.status(), error.toJson());
    }
  }
}
