package io.fanout.api;

import io.fanout.core.auth.AccessRole;
import io.fanout.core.auth.Authenticator;
import io.fanout.core.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * The API's gate: a route guarded by {@link #require} answers 401 to a request without a known
 * token and 403 to one whose role is too low, before its body is read, so nothing of a refused
 * request is stored. The caller it lets through is in the context for the handlers after it.
 */
final class Access {
  private static final String CALLER = "fanout.caller";
  private static final String CHALLENGE = "Bearer realm=\"fanout\"";

  private final Authenticator authenticator;

  Access(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  Authenticator authenticator() {
    return authenticator;
  }

  Handler<RoutingContext> require(AccessRole needed) {
    return ctx -> {
      // A token made through the API is looked up in Redis: the body must wait meanwhile, or
      // it would be gone before the handler that reads it is reached.
      ctx.request().pause();
      authenticator.authenticate(ctx.request().getHeader("Authorization")).onComplete(found -> {
        ctx.request().resume();
        if (found.failed()) {
          ctx.fail(found.cause());
        } else if (found.result() == null) {
          ctx.response().putHeader("WWW-Authenticate", CHALLENGE);
          ctx.fail(new ApiError(401, "unauthorized", "send a valid token as 'Authorization: Bearer <token>'", null));
        } else if (!found.result().may(needed)) {
          ctx.fail(forbidden("this needs the role " + needed.wireName() + " or above; your token's role is "
              + found.result().role().wireName()));
        } else {
          ctx.put(CALLER, found.result());
          ctx.next();
        }
      });
    };
  }

  static Caller caller(RoutingContext ctx) {
    Caller caller = ctx.get(CALLER);
    if (caller == null) {
      throw new IllegalStateException("route " + ctx.normalizedPath() + " has no access check before it");
    }
    return caller;
  }

  /**
   * What was found, if the caller may change it: a submitter what its own token made, an admin
   * anything (else 403). {@code what} names it in the refusal, e.g. "job 1234".
   */
  static <T> Future<T> changeable(RoutingContext ctx, Future<T> found, Function<T, String> madeBy, String what) {
    Caller caller = caller(ctx);
    return found.compose(thing -> caller.mayChangeJobOf(madeBy.apply(thing))
        ? Future.succeededFuture(thing)
        : Future.failedFuture(forbidden(what + " was made by another token; only an admin may change it")));
  }

  static ApiError forbidden(String message) {
    return new ApiError(403, "forbidden", message, null);
  }
}
