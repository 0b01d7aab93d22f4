package io.fanout.app;

import io.fanout.core.Addresses;
import io.fanout.core.NodeRegistry;
import io.fanout.core.RedisClients;
import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.redis.client.Redis;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the deployment this process is alive: every {@code NODE_HEARTBEAT_MS} it writes its
 * description and its workers' figures to the {@link NodeRegistry}, and, when
 * {@code NODE_HEARTBEAT_FILE} is set, the same JSON to that file, which a container health
 * check or a launching script can watch. It is deployed after the roles' verticles, so a node
 * that is listed is ready.
 */
final class NodeHeartbeat extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(NodeHeartbeat.class);

  private final JsonObject description;
  private final String nodeId;
  private final long startedAtMs;
  private Settings settings;
  private Redis redis;
  private NodeRegistry registry;
  private long timer;
  private long lastBeatNanos;
  private long lastOutcomes = -1;
  private boolean failing;
  private boolean beating;
  private boolean stopping;

  /** {@code description} holds the node's fixed facts: id, roles, host, ports, startedAt. */
  NodeHeartbeat(JsonObject description, long startedAtMs) {
    this.description = description;
    this.nodeId = description.getString("id");
    this.startedAtMs = startedAtMs;
  }

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    redis = RedisClients.create(vertx, settings);
    registry = new NodeRegistry(redis, settings.longValue(Settings.NODE_TTL_MS));
    // The first beat is part of starting: whoever waits for this node sees it listed once it is up.
    // Redis being away does not stop the node from starting; it is listed once a beat gets through.
    return beat().otherwiseEmpty()
        .onComplete(first -> timer = vertx.setPeriodic(settings.longValue(Settings.NODE_HEARTBEAT_MS), tick -> {
          // A beat slower than the period (Redis away) is not stacked with the next one.
          if (!beating) {
            beat();
          }
        }));
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(timer);
    // A health check watching the file must not find this node alive once it has stopped.
    return deleteFile().compose(deleted -> registry.leave(nodeId))
        .onFailure(failure -> LOG.warn("Node {} could not leave the registry; it expires in {} ms: {}", nodeId,
            settings.longValue(Settings.NODE_TTL_MS), failure.toString()))
        .eventually(redis::close);
  }

  private Future<Void> beat() {
    beating = true;
    JsonObject node = description.copy()
        .put("heartbeatAt", Instant.now().toString())
        .put("workers", workerFigures());
    return registry.heartbeat(nodeId, startedAtMs, node)
        .compose(stored -> writeFile(node))
        .onSuccess(written -> {
          if (failing) {
            failing = false;
            LOG.info("Node {} heartbeats again", nodeId);
          }
        })
        .onComplete(done -> beating = false)
        .onFailure(failure -> {
          // Said once per outage, not once a second; a beat cut short by stopping is no outage.
          if (!failing && !stopping) {
            failing = true;
            LOG.warn("Node {} could not heartbeat; it drops out of GET /cluster until it can: {}", nodeId,
                failure.toString());
          }
        });
  }

  /** The worker verticles of this process, summed, then one by one, with the rate since the last beat. */
  private JsonObject workerFigures() {
    LocalMap<String, JsonObject> figures = vertx.sharedData().getLocalMap(Addresses.WORKER_FIGURES_MAP);
    Map<String, JsonObject> byWorker = new TreeMap<>(figures);
    long done = 0;
    long failed = 0;
    long inFlight = 0;
    long pool = 0;
    int paused = 0;
    JsonArray instances = new JsonArray();
    for (Map.Entry<String, JsonObject> worker : byWorker.entrySet()) {
      JsonObject figure = worker.getValue();
      done += figure.getLong("tasksDone", 0L);
      failed += figure.getLong("tasksFailed", 0L);
      inFlight += figure.getLong("inFlight", 0L);
      pool += figure.getLong("pool", 0L);
      paused += figure.getBoolean("paused", false) ? 1 : 0;
      instances.add(figure.copy().put("id", worker.getKey()));
    }
    long now = System.nanoTime();
    long outcomes = done + failed;
    double perSecond = lastOutcomes < 0 || outcomes < lastOutcomes
        ? 0
        : (outcomes - lastOutcomes) * 1e9 / Math.max(1, now - lastBeatNanos);
    lastOutcomes = outcomes;
    lastBeatNanos = now;
    return new JsonObject()
        .put("tasksDone", done)
        .put("tasksFailed", failed)
        .put("inFlight", inFlight)
        .put("pool", pool)
        .put("paused", paused)
        .put("tasksPerSecond", Math.round(perSecond * 10) / 10.0)
        .put("instances", instances);
  }

  /** Written aside, then moved in place, so that a reader never sees half a file. */
  private Future<Void> writeFile(JsonObject node) {
    String file = settings.optionalString(Settings.NODE_HEARTBEAT_FILE);
    if (file == null) {
      return Future.succeededFuture();
    }
    String aside = file + ".next";
    return vertx.fileSystem().writeFile(aside, Buffer.buffer(node.encode()))
        .compose(written -> vertx.fileSystem().move(aside, file,
            new CopyOptions().setReplaceExisting(true).setAtomicMove(true)));
  }

  private Future<Void> deleteFile() {
    String file = settings.optionalString(Settings.NODE_HEARTBEAT_FILE);
    return file == null ? Future.succeededFuture() : vertx.fileSystem().delete(file).otherwiseEmpty();
  }
}
