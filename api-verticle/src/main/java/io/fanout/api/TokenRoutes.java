package io.fanout.api;

import io.fanout.core.auth.AccessRole;
import io.fanout.core.auth.Authenticator;
import io.fanout.core.auth.Caller;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * {@code /tokens}, an admin's: create a token (its text is answered once and never again), list
 * them without secrets, revoke one by name. {@code /me} tells any caller who it is.
 */
final class TokenRoutes {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final Authenticator authenticator;

  TokenRoutes(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  void create(RoutingContext ctx) {
    JsonObject body = JsonExchange.bodyObject(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("name") && !field.equals("role")) {
        throw ApiError.invalid(field, "a token has a name and a role; '" + field + "' is not one of them");
      }
    }
    if (!(body.getValue("name") instanceof String name) || !NAME.matcher(name).matches()) {
      throw ApiError.invalid("name", "name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter"
          + " or digit");
    }
    AccessRole role;
    try {
      role = AccessRole.parse(String.valueOf(body.getValue("role")));
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("role", e.getMessage());
    }
    if (authenticator.isConfiguredName(name)) {
      throw nameTaken(name);
    }
    authenticator.store().create(name, role)
        .onSuccess(token -> {
          if (token == null) {
            ctx.fail(nameTaken(name));
            return;
          }
          ctx.response().putHeader("Cache-Control", "no-store");
          JsonExchange.reply(ctx, 201, new JsonObject().put("name", name).put("role", role.wireName()).put("token", token));
        })
        .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx) {
    authenticator.store().list()
        .onSuccess(entries -> JsonExchange.reply(ctx, 200, new JsonObject()
            .put("tokens", new JsonArray(entries.stream().map(entry -> entry.toJson()).toList()))))
        .onFailure(ctx::fail);
  }

  void revoke(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    authenticator.store().revoke(name)
        .onSuccess(revoked -> {
          if (revoked) {
            JsonExchange.reply(ctx, 200, new JsonObject().put("name", name).put("revoked", true));
          } else {
            ctx.fail(ApiError.notFound(authenticator.isConfiguredName(name)
                ? "token '" + name + "' is configured in AUTH_TOKENS / AUTH_TOKENS_FILE; remove it there"
                : "no token named '" + name + "'"));
          }
        })
        .onFailure(ctx::fail);
  }

  void me(RoutingContext ctx) {
    Caller caller = Access.caller(ctx);
    JsonObject me = new JsonObject().put("role", caller.role().wireName())
        .put("authRequired", authenticator.required());
    if (caller.name() != null) {
      me.put("name", caller.name());
    }
    JsonExchange.reply(ctx, 200, me);
  }

  private static ApiError nameTaken(String name) {
    return new ApiError(409, "name_taken", "a token named '" + name + "' exists; revoke it first or pick another name",
        "name");
  }
}
