package io.fanout.progress;

import io.fanout.core.Addresses;
import io.fanout.core.FanoutMeters;
import io.fanout.core.LifecycleEvent;
import io.fanout.core.ProgressUpdate;
import io.fanout.core.RedisClients;
import io.fanout.core.Settings;
import io.fanout.core.auth.Authenticator;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browsers' window on the event bus: coalesces the workers' raw progress into a few
 * snapshots a second per job, and serves the SockJS bridge through which browsers listen to one
 * job's snapshots and to lifecycle events, and to nothing else. Nothing is bridged inbound.
 */
public class ProgressVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressVerticle.class);

  private Redis redis;
  private ProgressCoalescer coalescer;
  private MessageConsumer<Object> updates;
  private MessageConsumer<Object> events;
  private HttpServer server;

  @Override
  public Future<?> start() {
    Settings settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    ProgressStore store = new ProgressStore(redis);
    coalescer = new ProgressCoalescer(vertx, store, FanoutMeters.registry(settings));
    updates = vertx.eventBus().consumer(Addresses.PROGRESS_UPDATES,
        message -> heard(message, body -> {
          ProgressUpdate update = ProgressUpdate.fromJson(body);
          coalescer.heard(update.jobId(), update.lastIndex());
        }));
    events = vertx.eventBus().consumer(Addresses.EVENTS,
        message -> heard(message, body -> coalescer.heard(LifecycleEvent.fromJson(body).jobId(), -1)));
    server = vertx.createHttpServer();
    return Future.all(updates.completion(), events.completion())
        .compose(registered -> server.requestHandler(router(settings))
            .listen(settings.integer(Settings.PROGRESS_PORT), settings.string(Settings.HTTP_HOST)))
        .onSuccess(listening -> LOG.info("Progress bridge listening on http://{}:{}/eventbus",
            settings.string(Settings.HTTP_HOST), listening.actualPort()));
  }

  @Override
  public Future<?> stop() {
    coalescer.stop();
    return Future.join(updates.unregister(), events.unregister(), server.close())
        .eventually(redis::close);
  }

  private Router router(Settings settings) {
    Router router = Router.router(vertx);
    BridgeRoutes.mount(vertx, router, redis, Authenticator.from(settings, redis));
    return router;
  }

  /**
   * A worker's batch or a lifecycle event: either way the job may have a new state to show. A
   * message of another shape is not a job's news; it is passed over.
   */
  private static void heard(Message<Object> message, Consumer<JsonObject> news) {
    if (!(message.body() instanceof JsonObject body)) {
      LOG.debug("Progress ignores a message on {} that is not JSON", message.address());
      return;
    }
    try {
      news.accept(body);
    } catch (IllegalArgumentException e) {
      LOG.debug("Progress ignores a message on {}: {}", message.address(), e.getMessage());
    }
  }
}
