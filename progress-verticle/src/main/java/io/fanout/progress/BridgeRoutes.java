package io.fanout.progress;

import io.fanout.core.auth.Authenticator;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.redis.client.Redis;

/**
 * The browsers' bridge as routes: {@code /eventbus/*} and the SockJS client its fallback needs.
 * The progress verticle serves them on PROGRESS_PORT; an API in the same process adds them to
 * its own router, so the page reaches the bridge on its own origin, under the same rules.
 */
public final class BridgeRoutes {
  /** The SockJS client for its iframe fallback, served here rather than from a CDN. */
  static final String CLIENT_LIBRARY_PATH = "/bridge-client/sockjs.min.js";

  /** Browsers only send register and ping frames; a fallback transport posts them in small bodies. */
  private static final long MAX_FRAME_BYTES = 16 * 1024;

  private BridgeRoutes() {}

  /** Adds the bridge's routes to {@code router}; they read snapshots and tokens through {@code redis}. */
  public static void mount(Vertx vertx, Router router, Redis redis, Authenticator authenticator) {
    SockJSHandlerOptions sockJs = new SockJSHandlerOptions()
        .setLibraryURL(CLIENT_LIBRARY_PATH)
        .setInsertJSESSIONID(false);
    // The XHR fallback transports (when WebSockets are blocked) post frames: they need a body handler.
    router.post("/eventbus/*").handler(BodyHandler.create(false).setBodyLimit(MAX_FRAME_BYTES));
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs)
        .bridge(BrowserBridge.OPTIONS, new BrowserBridge(new ProgressStore(redis), authenticator)));
    router.get("/bridge-client/*").handler(StaticHandler.create("bridge-client"));
  }
}
