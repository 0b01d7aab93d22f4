package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
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

  /**
   * The descriptions of the nodes whose heartbeat has not expired, oldest node first. An id whose
   * key has expired belongs to a node that stopped beating: it leaves the index here (a node that
   * comes back adds itself again at its next heartbeat).
   */
  public Future<List<JsonObject>> nodes() {
    return redis.send(Request.cmd(Command.ZRANGE).arg(RedisKeys.NODES).arg(0).arg(-1)).compose(index -> {
      List<String> ids = new ArrayList<>(index.size());
      index.forEach(id -> ids.add(id.toString()));
      if (ids.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      // The nodes' keys share the index's hash tag, so one MGET reads them on Redis Cluster too.
      Request read = Request.cmd(Command.MGET);
      ids.forEach(id -> read.arg(RedisKeys.node(id)));
      return redis.send(read).compose(descriptions -> {
        List<JsonObject> nodes = new ArrayList<>(ids.size());
        Request prune = Request.cmd(Command.ZREM).arg(RedisKeys.NODES);
        boolean stale = false;
        for (int i = 0; i < ids.size(); i++) {
          Response description = descriptions.get(i);
          if (description == null) {
            prune.arg(ids.get(i));
            stale = true;
          } else {
            nodes.add(new JsonObject(description.toString()));
          }
        }
        return stale ? redis.send(prune).map(pruned -> nodes) : Future.succeededFuture(nodes);
      });
    });
  }

  /** Removes the node at once, for a clean stop. */
  public Future<Void> leave(String nodeId) {
    return LEAVE.run(redis, List.of(RedisKeys.node(nodeId), RedisKeys.NODES), List.of(nodeId)).mapEmpty();
  }
}
