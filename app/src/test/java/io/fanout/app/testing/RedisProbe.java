package io.fanout.app.testing;

import io.fanout.core.RedisKeys;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** A plain Redis connection for tests to look at what Fanout stored, bypassing Fanout's code. */
public final class RedisProbe implements AutoCloseable {
  private final Redis redis;

  public RedisProbe(Vertx vertx, String url) {
    this.redis = Redis.createClient(vertx, url);
  }

  public Response send(Command command, Object... args) {
    Request request = Request.cmd(command);
    for (Object arg : args) {
      request.arg(String.valueOf(arg));
    }
    return Await.result(redis.send(request));
  }

  /** Redis's {@code used_memory}: what its data and buffers take, in bytes. */
  public long usedMemory() {
    return send(Command.INFO, "memory").toString().lines().filter(line -> line.startsWith("used_memory:"))
        .mapToLong(line -> Long.parseLong(line.substring("used_memory:".length()).trim())).findFirst().orElseThrow();
  }

  public long dbSize() {
    return send(Command.DBSIZE).toLong();
  }

  public List<String> keys(String pattern) {
    List<String> keys = new ArrayList<>();
    send(Command.KEYS, pattern).forEach(key -> keys.add(key.toString()));
    return keys;
  }

  /** Every key of the database, walked with SCAN (which, unlike KEYS, a production Redis allows). */
  public List<String> scan() {
    List<String> keys = new ArrayList<>();
    String cursor = "0";
    do {
      io.vertx.redis.client.Response page = send(Command.SCAN, cursor, "COUNT", 1000);
      cursor = page.get(0).toString();
      page.get(1).forEach(key -> keys.add(key.toString()));
    } while (!"0".equals(cursor));
    return keys;
  }

  public void flush() {
    send(Command.FLUSHDB);
  }

  @Override
  public void close() {
    redis.close();
  }

  /** The keys a request could have stored: all but the node registry, which a node's heartbeat rewrites any time. */
  public Set<String> storedKeys() {
    return keys("*").stream()
        .filter(key -> !key.equals(RedisKeys.NODES) && !key.startsWith(RedisKeys.node("")))
        .collect(Collectors.toSet());
  }
}
