package io.fanout.api;

import io.fanout.core.CronSchedule;
import io.fanout.core.CronSchedule.InvalidCronException;
import io.fanout.core.JobTemplate;
import io.fanout.core.Schedule;
import io.fanout.core.ScheduleStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The {@code /schedules} resource: recurring jobs, each a cron expression in a time zone and the
 * job every firing submits. Dispatchers fire them; see {@link ScheduleStore}.
 */
final class ScheduleRoutes {
  private static final Set<String> FIELDS = Set.of("cron", "timeZone", "template", "paused");
  private static final int MAX_CRON_LENGTH = 200;

  private final ScheduleStore store;
  private final JobRequest jobRequest;

  ScheduleRoutes(ScheduleStore store, JobRequest jobRequest) {
    this.store = store;
    this.jobRequest = jobRequest;
  }

  void create(RoutingContext ctx) {
    JsonObject body = JsonExchange.bodyObject(ctx);
    refuseUnknown(body);
    String cron = requiredString(body, "cron");
    String timeZone = body.containsKey("timeZone") ? requiredString(body, "timeZone") : "UTC";
    CronSchedule times = times(cron, timeZone);
    JobTemplate template = jobRequest.parseTemplate(requiredObject(body, "template"));
    boolean paused = flag(body, "paused", false);
    Instant now = Instant.now();
    Schedule schedule = new Schedule(UUID.randomUUID().toString(), cron, timeZone, template, paused,
        Access.caller(ctx).name(), now, now);
    store.create(schedule, times.nextAfter(now).orElse(null))
        .compose(created -> view(schedule))
        .onSuccess(view -> {
          ctx.response().putHeader("Location", "/schedules/" + schedule.id());
          JsonExchange.reply(ctx, 201, view);
        })
        .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx) {
    store.list()
        .compose(schedules -> Future.all(schedules.stream().map(this::view).toList()))
        .onSuccess(views -> JsonExchange.reply(ctx, 200, new JsonObject().put("schedules", new JsonArray(views.list()))))
        .onFailure(ctx::fail);
  }

  void find(RoutingContext ctx) {
    existing(ctx.pathParam("id"))
        .compose(schedule -> view(schedule).compose(view -> store.firings(schedule.id())
            .map(firings -> view.put("firings", firings))))
        .onSuccess(view -> JsonExchange.reply(ctx, 200, view))
        .onFailure(ctx::fail);
  }

  /**
   * Pauses or resumes ({@code paused}), or changes the cron, time zone or template. A change of
   * the times, or a resume, makes the first firing after now the next one: firings missed while
   * paused are not made up.
   */
  void patch(RoutingContext ctx) {
    JsonObject body = JsonExchange.bodyObject(ctx);
    refuseUnknown(body);
    String cron = body.containsKey("cron") ? requiredString(body, "cron") : null;
    String timeZone = body.containsKey("timeZone") ? requiredString(body, "timeZone") : null;
    JobTemplate template = body.containsKey("template") ? jobRequest.parseTemplate(requiredObject(body, "template"))
        : null;
    Boolean paused = body.containsKey("paused") ? flag(body, "paused", false) : null;
    changeable(ctx, ctx.pathParam("id")).compose(schedule -> {
      Instant now = Instant.now();
      Schedule changed = schedule.with(cron == null ? schedule.cron() : cron,
          timeZone == null ? schedule.timeZone() : timeZone, template == null ? schedule.template() : template,
          paused == null ? schedule.paused() : paused, now);
      CronSchedule times = times(changed.cron(), changed.timeZone());
      boolean timesChanged = cron != null || timeZone != null || (schedule.paused() && !changed.paused());
      Future<Instant> next = timesChanged
          ? Future.succeededFuture(times.nextAfter(now).orElse(null))
          : store.nextFiring(schedule.id()).map(slot -> slot != null ? Instant.ofEpochMilli(slot)
              : times.nextAfter(now).orElse(null));
      return next.compose(nextFiring -> store.update(changed, nextFiring))
          .compose(updated -> updated ? view(changed) : Future.failedFuture(missing(schedule.id())));
    })
        .onSuccess(view -> JsonExchange.reply(ctx, 200, view))
        .onFailure(ctx::fail);
  }

  /** Deletes a schedule; the jobs it submitted stay. */
  void delete(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    changeable(ctx, id)
        .compose(schedule -> store.delete(id))
        .onSuccess(deleted -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> view(Schedule schedule) {
    return store.nextFiring(schedule.id()).map(next -> {
      JsonObject view = schedule.toJson();
      // Shown as POST /jobs takes it, so that it can be sent back in a PATCH as it is.
      if (jobRequest.isSingleTask(schedule.template().spec().type())) {
        view.getJsonObject("template").remove("count");
      }
      if (next != null) {
        view.put("nextFireAt", Instant.ofEpochMilli(next).toString());
      }
      return view;
    });
  }

  private Future<Schedule> existing(String id) {
    return store.find(id).compose(schedule -> schedule == null
        ? Future.failedFuture(missing(id))
        : Future.succeededFuture(schedule));
  }

  private Future<Schedule> changeable(RoutingContext ctx, String id) {
    return Access.changeable(ctx, existing(id), Schedule::createdBy, "schedule " + id);
  }

  private static ApiError missing(String id) {
    return ApiError.notFound("no schedule " + id);
  }

  private static CronSchedule times(String cron, String timeZone) {
    if (cron.length() > MAX_CRON_LENGTH) {
      throw ApiError.invalid("cron", "cron must be at most " + MAX_CRON_LENGTH + " characters");
    }
    try {
      return CronSchedule.of(cron, timeZone);
    } catch (InvalidCronException invalid) {
      throw ApiError.invalid(invalid.field(), invalid.getMessage());
    }
  }

  private static void refuseUnknown(JsonObject body) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiError.invalid(field, "unknown field '" + field + "'; a schedule has " + String.join(", ",
            List.of("cron", "timeZone", "template", "paused")));
      }
    }
  }

  private static String requiredString(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiError.invalid(field, field + " must be a non-empty string");
    }
    return text;
  }

  private static JsonObject requiredObject(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof JsonObject object)) {
      throw ApiError.invalid(field, field + " must be a JSON object: the job each firing submits, as POST /jobs takes it");
    }
    return object;
  }

  private static boolean flag(JsonObject body, String field, boolean fallback) {
    Object value = body.getValue(field, fallback);
    if (!(value instanceof Boolean flag)) {
      throw ApiError.invalid(field, field + " must be true or false");
    }
    return flag;
  }
}
