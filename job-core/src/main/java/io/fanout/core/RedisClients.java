package io.fanout.core;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;

/** One way to open the Redis client, so that every role gets the same pool limits. */
public final class RedisClients {
  private RedisClients() {}

  public static Redis create(Vertx vertx, Settings settings) {
    String url = settings.optionalString(Settings.REDIS_URL);
    if (url == null) {
      throw new IllegalStateException("REDIS_URL is not set and no embedded Redis was started");
    }
    // Workers pipeline many script calls at once: let them wait for a connection, not fail.
    RedisOptions options = new RedisOptions()
        .setMaxPoolSize(8)
        .setMaxPoolWaiting(4096);
    for (String endpoint : url.split(",")) {
      options.addConnectionString(endpoint.trim());
    }
    if ("cluster".equalsIgnoreCase(settings.optionalString(Settings.REDIS_TYPE))) {
      return new ClusterRedis(Redis.createClient(vertx, options.setType(RedisClientType.CLUSTER)));
    }
    return Redis.createClient(vertx, options);
  }
}
