package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes of a Fanout deployment, as Redis knows them: each process heartbeats its description
 * under a key that expires after {@code NODE_TTL_MS}, so a node killed without a word drops out
 * of the list on its own. It needs no cluster manager, so clustered and standalone processes that
 * share one Redis are listed alike, and any API node can answer for all of them.
 */
public final class NodeRegistry {
  private static final RedisScript HEARTBEAT = RedisScript.named("node-heartbeat");
  private static final RedisScript LIST = RedisScript.named("node-list");
  private static final RedisScript LEAVE = RedisScript.named("node-leave");

  private final Redis redis;
  private final long ttlMs;

  public NodeRegistry(Redis redis, long ttlMs) {
    this.redis = redis;
    this.ttlMs = ttlMs;
  }

  /** Stores the node's description for another {@code ttlMs}; {@code startedAtMs} orders the list. */
  public Future<Void> heartbeat(String nodeId, long startedAtMs, JsonObject description) {
    return HEARTBEAT.run(redis, List.of(RedisKeys.node(nodeId), RedisKeys.NODES),
            List.of(description.encode(), ttlMs, startedAtMs, nodeId))
        .mapEmpty();
  }

  /** The descriptions of the nodes whose heartbeat has not expired, oldest node first. */
  public Future<List<JsonObject>> nodes() {
    return LIST.run(redis, List.of(RedisKeys.NODES), List.of(RedisKeys.nodePrefix()))
        .map(reply -> {
          List<JsonObject> nodes = new ArrayList<>(reply.size());
          for (Response description : reply) {
            nodes.add(new JsonObject(description.toString()));
          }
          return nodes;
        });
  }

  /** Removes the node at once, for a clean stop. */
  public Future<Void> leave(String nodeId) {
    return LEAVE.run(redis, List.of(RedisKeys.node(nodeId), RedisKeys.NODES), List.of(nodeId)).mapEmpty();
  }
}
