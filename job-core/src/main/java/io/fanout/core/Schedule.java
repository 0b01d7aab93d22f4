package io.fanout.core;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A recurring job: a cron expression in a time zone, and the job each firing submits.
 *
 * @param createdBy the token that made it, whose name its jobs are submitted under (null when
 *     authentication was off)
 */
public record Schedule(String id, String cron, String timeZone, JobTemplate template, boolean paused,
    String createdBy, Instant createdAt, Instant updatedAt) {

  public CronSchedule times() {
    return CronSchedule.of(cron, timeZone);
  }

  public Schedule with(String newCron, String newTimeZone, JobTemplate newTemplate, boolean nowPaused, Instant now) {
    return new Schedule(id, newCron, newTimeZone, newTemplate, nowPaused, createdBy, createdAt, now);
  }

  /** As stored in Redis and, with its next and recent firings added, as the API shows it. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("id", id)
        .put("cron", cron)
        .put("timeZone", timeZone)
        .put("template", template.toJson())
        .put("paused", paused)
        .put("createdAt", createdAt.toString())
        .put("updatedAt", updatedAt.toString());
    if (createdBy != null) {
      json.put("createdBy", createdBy);
    }
    return json;
  }

  public static Schedule fromJson(JsonObject json) {
    return new Schedule(json.getString("id"), json.getString("cron"), json.getString("timeZone"),
        JobTemplate.fromJson(json.getJsonObject("template")), json.getBoolean("paused", false),
        json.getString("createdBy"), Instant.parse(json.getString("createdAt")),
        Instant.parse(json.getString("updatedAt")));
  }
}
