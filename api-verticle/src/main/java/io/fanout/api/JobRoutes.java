package io.fanout.api;

import io.fanout.api.JobRequest.Submission;
import io.fanout.core.Addresses;
import io.fanout.core.ControlMessage;
import io.fanout.core.IllegalStateChangeException;
import io.fanout.core.Job;
import io.fanout.core.JobId;
import io.fanout.core.JobQueue;
import io.fanout.core.JobRetention;
import io.fanout.core.JobState;
import io.fanout.core.JobStore;
import io.fanout.core.JobTemplate;
import io.fanout.core.LifecycleEvent;
import io.fanout.core.NoSuchJobException;
import io.fanout.core.RedisKeys;
import io.fanout.core.Settings;
import io.fanout.core.Topics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The {@code /jobs} resource: submit, read, list, change, cancel. */
final class JobRoutes {
  /** Items go to the staging topic in batches of this many: one budget check and one acknowledgement each. */
  static final int STAGING_CHUNK = 1000;
  private static final int DEFAULT_PAGE = 20;
  private static final int MAX_PAGE = 100;
  private static final Set<String> PATCHABLE = Set.of("priority", "status");

  private final Vertx vertx;
  private final Settings settings;
  private final JobStore store;
  private final JobQueue queue;
  private final JobRequest jobRequest;
  private final KafkaProducer<String, String> producer;
  private final Redis redis;
  private final DatasetStaging staging;
  private final JobRetention retention;

  JobRoutes(Vertx vertx, Settings settings, Redis redis, JobStore store, JobQueue queue,
      KafkaProducer<String, String> producer, DatasetStaging staging, JobRetention retention) {
    this.vertx = vertx;
    this.redis = redis;
    this.settings = settings;
    this.store = store;
    this.queue = queue;
    this.producer = producer;
    this.staging = staging;
    this.retention = retention;
    this.jobRequest = new JobRequest(settings);
  }

  JobRequest jobRequest() {
    return jobRequest;
  }

  void submit(RoutingContext ctx) {
    Submission submission = jobRequest.parse(JsonExchange.bodyObject(ctx));
    String jobId = JobId.next();
    JsonArray items = submission.items();
    if (items == null) {
      accept(ctx, jobId, submission.template(), submission.idempotencyKey(), null).onFailure(ctx::fail);
      return;
    }
    List<String> texts = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      texts.add(io.vertx.core.json.Json.encode(items.getValue(i)));
    }
    long bytes = texts.stream().mapToLong(text -> text.length() + 1L).sum();
    staging.open(jobId, bytes).onFailure(ctx::fail).onSuccess(upload -> {
      Future<Void> written = Future.succeededFuture();
      for (int from = 0; from < texts.size(); from += STAGING_CHUNK) {
        List<String> chunk = texts.subList(from, Math.min(texts.size(), from + STAGING_CHUNK));
        written = upload.write(chunk);
      }
      written.compose(done -> accept(ctx, jobId, submission.template(), submission.idempotencyKey(), upload))
          .onFailure(failure -> upload.discard().onComplete(discarded -> ctx.fail(failure)));
    });
  }

  /**
   * Queues a job whose items, if any, are staged, and answers: 202 for a new job, 200 with the
   * earlier job when the idempotency key was already used (this upload's staging is then dropped).
   */
  Future<Void> accept(RoutingContext ctx, String jobId, JobTemplate template, String idempotencyKey,
      DatasetStaging.Upload upload) {
    Job job = template.jobAt(jobId, Instant.now(), Access.caller(ctx).name(), settings.longValue(Settings.SMALL_JOB_TASKS));
    return queue.enqueue(job, template.options(), idempotencyKey, settings.longValue(Settings.IDEMPOTENCY_TTL_MS))
        .compose(enqueued -> {
          if (enqueued.duplicate()) {
            Future<Void> dropped = upload == null ? Future.succeededFuture() : upload.discard();
            return dropped.compose(none -> store.find(enqueued.jobId())).map(earlier -> {
              JsonExchange.reply(ctx, 200, accepted(earlier).put("duplicate", true));
              return null;
            });
          }
          vertx.eventBus().publish(Addresses.QUEUE_WAKEUP, jobId);
          ctx.response().putHeader("Location", "/jobs/" + jobId);
          JsonExchange.reply(ctx, 202, accepted(job));
          return Future.succeededFuture();
        });
  }

  void find(RoutingContext ctx) {
    existing(ctx.pathParam("id"))
        .onSuccess(job -> JsonExchange.reply(ctx, 200, job.toJson()))
        .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx) {
    String statusParam = ctx.queryParams().get("status");
    JobState status = null;
    if (statusParam != null) {
      try {
        status = JobState.fromWire(statusParam);
      } catch (IllegalArgumentException e) {
        throw ApiError.invalid("status", "unknown status '" + statusParam + "'; one of queued, running, completed, "
            + "failed, cancelled");
      }
    }
    // Any type may be asked for: jobs of a type no longer in TASK_TYPES are still listed.
    String type = ctx.queryParams().get("type");
    int limit = (int) JsonExchange.queryNumber(ctx, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
    long before = JsonExchange.queryNumber(ctx, "before", Long.MAX_VALUE, 1, Long.MAX_VALUE);
    store.list(status, type, limit, before)
        .onSuccess(page -> JsonExchange.reply(ctx, 200, new JsonObject()
            .put("jobs", new JsonArray(page.jobs().stream().map(Job::toJson).toList()))
            .put("next", page.next())))
        .onFailure(ctx::fail);
  }

  /** Changes a queued job's priority, or cancels a job with {@code {"status": "cancelled"}}. */
  void patch(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    JsonObject body = JsonExchange.bodyObject(ctx);
    for (String field : body.fieldNames()) {
      if (!PATCHABLE.contains(field)) {
        throw ApiError.invalid(field, "only priority and status can change; '" + field + "' cannot");
      }
    }
    if (body.isEmpty()) {
      throw ApiError.invalid(null, "give priority or status");
    }
    JobState wanted = null;
    if (body.containsKey("status")) {
      Object status = body.getValue("status");
      try {
        wanted = JobState.fromWire(String.valueOf(status));
      } catch (IllegalArgumentException e) {
        throw ApiError.invalid("status", "unknown status '" + status + "'");
      }
    }
    Integer priority = body.containsKey("priority")
        ? (int) JobRequest.wholeNumber(body, "priority", 0, JobRequest.MIN_PRIORITY, JobRequest.MAX_PRIORITY)
        : null;
    JobState target = wanted;
    changeable(ctx, id)
        .compose(job -> {
          if (target != null && target != JobState.CANCELLED) {
            // Clients may only cancel; every other change is the system's to make.
            return Future.failedFuture(new IllegalStateChangeException(job.status(), target));
          }
          Future<?> reprioritized = priority == null ? Future.succeededFuture() : queue.reprioritize(id, priority)
              .recover(failure -> Future.failedFuture(failure instanceof IllegalStateChangeException illegal
                  ? new ApiError(409, "illegal_state_change", "priority can only change while a job is queued; "
                      + "this one is " + illegal.from().wireName(), "priority")
                  : failure));
          return reprioritized.compose(done -> target == null ? Future.succeededFuture() : cancel(id));
        })
        .compose(done -> store.find(id))
        .onSuccess(job -> JsonExchange.reply(ctx, 200, job.toJson()))
        .onFailure(ctx::fail);
  }

  /**
   * Cancels a queued or running job; with {@code ?purge=true}, forgets a finished one now: its
   * topics, its data in Redis and its place in every index (204). A job not finished is refused
   * (409): purging it would pull its data from under the workers running it.
   */
  void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String purge = ctx.queryParams().get("purge");
    if (purge != null && !purge.equals("true") && !purge.equals("false")) {
      throw ApiError.invalid("purge", "purge is true or false, not '" + purge + "'");
    }
    if ("true".equals(purge)) {
      changeable(ctx, id)
          .compose(job -> job.status().isFinal()
              ? retention.purge(id)
              : Future.failedFuture(new ApiError(409, "job_not_finished", "job " + id + " is "
                  + job.status().wireName() + "; only a finished job can be purged. Cancel it first (DELETE /jobs/"
                  + id + " without purge), then purge it", "purge")))
          .onSuccess(purged -> ctx.response().setStatusCode(204).end())
          .onFailure(ctx::fail);
      return;
    }
    changeable(ctx, id)
        .compose(job -> cancel(id))
        .compose(done -> store.find(id))
        .onSuccess(job -> JsonExchange.reply(ctx, 200, job.toJson()))
        .onFailure(ctx::fail);
  }

  void lastLog(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    existing(id)
        .compose(job -> store.lastLog(id))
        .onSuccess(record -> JsonExchange.reply(ctx, 200, new JsonObject().put("jobId", id).put("record", record)))
        .onFailure(ctx::fail);
  }

  void failures(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    long from = JsonExchange.queryNumber(ctx, "from", 0, 0, Long.MAX_VALUE);
    int limit = (int) JsonExchange.queryNumber(ctx, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
    existing(id)
        .compose(job -> store.failures(id, from, limit))
        .onSuccess(failures -> JsonExchange.reply(ctx, 200, new JsonObject()
            .put("jobId", id)
            .put("from", from)
            .put("failures", new JsonArray(failures))
            .put("next", from + failures.size())))
        .onFailure(ctx::fail);
  }

  /** Queues a failed job's failed tasks to run again, through admission like any job. */
  void retryFailed(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    changeable(ctx, id)
        .compose(job -> job.itemized() ? staging.retained(id) : Future.succeededFuture(true))
        .compose(retained -> retained ? queue.retryFailed(id) : Future.failedFuture(new ApiError(409,
            "dataset_deleted", "the items of job " + id + " were deleted with its topics "
            + settings.longValue(Settings.TOPIC_RETENTION_MS) + " ms after it ended (TOPIC_RETENTION_MS); submit "
            + "the failed items as a new job", null)))
        .onSuccess(retried -> {
          vertx.eventBus().publish(Addresses.CONTROL, ControlMessage.retry(id).toJson());
          vertx.eventBus().publish(Addresses.QUEUE_WAKEUP, id);
          JsonExchange.reply(ctx, 202, new JsonObject().put("jobId", id).put("status", JobState.QUEUED.wireName())
              .put("retried", retried));
        })
        .onFailure(ctx::fail);
  }

  /**
   * Pauses or resumes every worker: remembered in Redis (for workers that start later or are
   * not on the clustered event bus) and broadcast so that clustered workers react at once.
   */
  void pauseWorkers(RoutingContext ctx, boolean pause) {
    Request change = pause
        ? Request.cmd(Command.SET).arg(RedisKeys.WORKERS_PAUSED).arg(System.currentTimeMillis())
        : Request.cmd(Command.DEL).arg(RedisKeys.WORKERS_PAUSED);
    redis.send(change)
        .onSuccess(done -> {
          vertx.eventBus().publish(Addresses.CONTROL, ControlMessage.pauseWorkers(pause).toJson());
          JsonExchange.reply(ctx, 200, new JsonObject().put("paused", pause));
        })
        .onFailure(ctx::fail);
  }

  void stats(RoutingContext ctx) {
    queue.stats().onSuccess(stats -> JsonExchange.reply(ctx, 200, stats)).onFailure(ctx::fail);
  }

  /** The job, or a failed future that the failure handler turns into 404. */
  Future<Job> existing(String id) {
    if (!JobId.isWellFormed(id)) {
      return Future.failedFuture(new NoSuchJobException(id));
    }
    return store.find(id).compose(job -> job == null
        ? Future.failedFuture(new NoSuchJobException(id))
        : Future.succeededFuture(job));
  }

  private Future<Job> changeable(RoutingContext ctx, String id) {
    return Access.changeable(ctx, existing(id), Job::submittedBy, "job " + id);
  }

  /**
   * Cancels in Redis (the source of truth), then tells workers and dispatchers at once, logs the
   * lifecycle record and announces it to browsers.
   */
  private Future<Void> cancel(String id) {
    return queue.cancel(id).compose(previous -> store.find(id)).compose(job -> {
      JsonObject event = LifecycleEvent.now(id, JobState.CANCELLED, job.done(), job.failed()).toJson();
      vertx.eventBus().publish(Addresses.CONTROL, ControlMessage.cancel(id).toJson());
      // A job cancelled before it ran has no log topic; its record lives in Redis only.
      Future<?> logged = job.startedAt() == null
          ? Future.succeededFuture()
          : producer.send(KafkaProducerRecord.create(Topics.logOf(job),
              Topics.logKey(Topics.logOf(job), id, LifecycleEvent.LOG_KEY), event.encode()));
      return logged.compose(sent -> store.saveLastLog(id, event))
          .onSuccess(saved -> vertx.eventBus().publish(Addresses.EVENTS, event));
    });
  }


  private static JsonObject accepted(Job job) {
    return new JsonObject()
        .put("jobId", job.id())
        .put("status", job.status().wireName())
        .put("links", new JsonObject()
            .put("self", "/jobs/" + job.id())
            .put("log", "/jobs/" + job.id() + "/log")
            .put("progress", Addresses.progress(job.id())));
  }
}
