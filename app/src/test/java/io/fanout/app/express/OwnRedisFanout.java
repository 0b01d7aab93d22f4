package io.fanout.app.express;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.RedisNodes;
import io.fanout.core.Settings;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/**
 * A Fanout process on the shared Kafka with a Redis of its own, so that the job counts a test
 * reads there (GET /stats) are its own jobs alone. Closing stops both.
 */
final class OwnRedisFanout implements AutoCloseable {
  private final RedisNodes redis;
  private final String redisUrl;
  private final FanoutUnderTest fanout;

  private OwnRedisFanout(RedisNodes redis, String redisUrl, FanoutUnderTest fanout) {
    this.redis = redis;
    this.redisUrl = redisUrl;
    this.fanout = fanout;
  }

  /** Starts the Redis (files under {@code dir}) and then Fanout on it, with {@code overrides}. */
  static OwnRedisFanout start(Path dir, String name, JsonObject overrides) {
    RedisNodes redis = new RedisNodes(dir);
    String redisUrl = redis.standalone(name);
    JsonObject settings = overrides.copy().put(Settings.REDIS_URL, redisUrl);
    return new OwnRedisFanout(redis, redisUrl, FanoutUnderTest.onSharedBackends(settings));
  }

  FanoutUnderTest fanout() {
    return fanout;
  }

  /** For other processes of the same test. */
  String redisUrl() {
    return redisUrl;
  }

  int httpPort() {
    return fanout.app().settings().integer(Settings.HTTP_PORT);
  }

  @Override
  public void close() throws InterruptedException {
    try {
      fanout.close();
    } finally {
      redis.close();
    }
  }
}
