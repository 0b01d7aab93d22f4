package io.fanout.api;

import io.fanout.core.CallbackOutbox;
import io.fanout.core.JobId;
import io.fanout.core.NoSuchJobException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * {@code GET /jobs/<id>/callbacks}: a job's completion webhook, its delivery id and every try,
 * read from Redis, so it is the same on every API process and after any restart.
 */
final class CallbackRoutes {
  private final CallbackOutbox outbox;

  CallbackRoutes(CallbackOutbox outbox) {
    this.outbox = outbox;
  }

  void list(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!JobId.isWellFormed(id)) {
      ctx.fail(new NoSuchJobException(id));
      return;
    }
    outbox.target(id)
        .compose(target -> target == null ? Future.failedFuture(new NoSuchJobException(id))
            : Future.all(outbox.attempts(id), outbox.dueAt(id)).map(read -> {
              JsonObject answer = new JsonObject().put("jobId", id).put("callbackUrl", target.callbackUrl());
              if (target.callbackUrl() != null) {
                answer.put("state", state(target, read.resultAt(1)));
              }
              if (target.deliveryId() != null && target.callbackUrl() != null) {
                answer.put("deliveryId", target.deliveryId());
              }
              Long dueAt = read.resultAt(1);
              if (dueAt != null) {
                answer.put("nextAttemptAt", Instant.ofEpochMilli(dueAt).toString());
              }
              return answer.put("attempts", read.resultAt(0));
            }))
        .onSuccess(answer -> JsonExchange.reply(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  /** 'waiting' for the job's end, 'pending' while tries go on, then 'delivered' or 'gave_up'. */
  private static String state(CallbackOutbox.Target target, Long dueAt) {
    if (!target.job().status().isFinal()) {
      return "waiting";
    }
    if (dueAt != null || target.state() == null) {
      return CallbackOutbox.State.PENDING.wireName();
    }
    return target.state();
  }
}
