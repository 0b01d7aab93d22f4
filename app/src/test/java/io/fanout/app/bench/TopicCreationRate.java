package io.fanout.app.bench;

import io.fanout.app.testing.Await;
import io.fanout.core.Settings;
import io.fanout.core.TopicAdmin;
import io.fanout.core.TopicCreator;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The broker's limit on jobs that each make topics of their own: one-partition topics created
 * per second through the dispatchers' own {@link TopicCreator} and admin client settings, a
 * request of {@code perRequest} at a time, each awaited until its partitions have leaders.
 */
final class TopicCreationRate {
  private static final Duration LIMIT = Duration.ofSeconds(120);

  private TopicCreationRate() {}

  static double topicsPerSecond(Vertx vertx, Settings settings, int topics, int perRequest) {
    String prefix = "bench-created-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    List<String> names = new ArrayList<>();
    for (int i = 0; i < topics; i++) {
      names.add(prefix + i);
    }
    Promise<Double> measured = Promise.promise();
    // The admin client and TopicCreator live on one context, as in a dispatcher.
    vertx.getOrCreateContext().runOnContext(begin -> {
      TopicAdmin admin = TopicAdmin.create(vertx, settings, "bench-topic-creation");
      long start = System.nanoTime();
      createFrom(new TopicCreator(vertx, admin), names, 0, perRequest)
          .map(created -> topics / ((System.nanoTime() - start) / 1e9))
          .eventually(() -> admin.deleteTopics(names).eventually(admin::close))
          .onComplete(measured);
    });
    return Await.result(measured.future(), LIMIT);
  }

  private static Future<Void> createFrom(TopicCreator creator, List<String> names, int from, int perRequest) {
    if (from >= names.size()) {
      return Future.succeededFuture();
    }
    Map<String, Integer> request = new LinkedHashMap<>();
    names.subList(from, Math.min(names.size(), from + perRequest)).forEach(name -> request.put(name, 1));
    return creator.create(request).compose(done -> createFrom(creator, names, from + perRequest, perRequest));
  }
}
