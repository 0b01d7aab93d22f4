package io.fanout.api;

import io.fanout.core.NodeRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /cluster}: every live node of the deployment, whichever node is asked, read from the
 * heartbeats in Redis. {@code self} names the node that answered.
 */
final class ClusterRoutes {
  private final NodeRegistry registry;
  private final String selfId;

  ClusterRoutes(NodeRegistry registry, String selfId) {
    this.registry = registry;
    this.selfId = selfId;
  }

  void list(RoutingContext ctx) {
    registry.nodes()
        .onSuccess(nodes -> JsonExchange.reply(ctx, 200, new JsonObject()
            .put("self", selfId)
            .put("nodes", new JsonArray(nodes))))
        .onFailure(ctx::fail);
  }
}
