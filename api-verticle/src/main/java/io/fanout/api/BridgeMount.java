package io.fanout.api;

import io.fanout.core.auth.Authenticator;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;

/**
 * Adds the browsers' event-bus bridge to the API's router, for a process that runs the progress
 * role too: the launcher passes it in, so this module need not know the progress module.
 */
@FunctionalInterface
public interface BridgeMount {
  void mount(Vertx vertx, Router router, Redis redis, Authenticator authenticator);
}
