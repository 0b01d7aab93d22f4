package io.fanout.progress;

import io.fanout.core.Addresses;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browsers' window on the event bus: a SockJS bridge that lets them listen to one job's
 * progress and to job lifecycle events, and nothing else. Nothing is bridged inbound.
 */
public class ProgressVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressVerticle.class);

  private HttpServer server;

  @Override
  public Future<?> start() {
    Settings settings = new Settings(config());
    SockJSBridgeOptions bridge = new SockJSBridgeOptions()
        .addOutboundPermitted(new PermittedOptions().setAddressRegex(Addresses.PROGRESS_REGEX))
        .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.EVENTS));
    Router router = Router.router(vertx);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx).bridge(bridge));
    server = vertx.createHttpServer();
    return server.requestHandler(router)
        .listen(settings.integer(Settings.PROGRESS_PORT), settings.string(Settings.HTTP_HOST))
        .onSuccess(listening -> LOG.info("Progress bridge listening on http://{}:{}/eventbus",
            settings.string(Settings.HTTP_HOST), listening.actualPort()));
  }

  @Override
  public Future<?> stop() {
    return server.close();
  }
}
