package io.fanout.app.cluster;

import io.fanout.app.testing.FanoutUnderTest;
import io.fanout.app.testing.SharedBackends;
import io.fanout.core.Settings;
import io.fanout.tools.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Child-JVM Fanout processes for one test, on the shared Kafka and on its own Redis database, in
 * a Hazelcast cluster and a consumer group of their own, so that nothing else running on this
 * machine (another test run, a demo) can join them or take their tasks.
 */
final class ProcessCluster {
  static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  static final String LOOPBACK = "127.0.0.1";

  private ProcessCluster() {}

  static LocalCluster onSharedBackends(String name, int redisDb) {
    String unique = name + "-" + ProcessHandle.current().pid() + "-" + System.currentTimeMillis();
    Map<String, String> shared = Map.of(
        Settings.KAFKA_BOOTSTRAP_SERVERS, SharedBackends.bootstrapServers(),
        Settings.REDIS_URL, SharedBackends.redisUrl(redisDb),
        Settings.HTTP_HOST, LOOPBACK,
        Settings.CLUSTER_HOST, LOOPBACK,
        Settings.CLUSTER_NAME, "fanout-test-" + unique,
        Settings.CLUSTER_PORT, Integer.toString(FanoutUnderTest.freePort()),
        Settings.WORKER_GROUP, "fanout-workers-" + unique);
    return new LocalCluster(Path.of("target", "cluster", unique), shared, LocalCluster.JVM_OPTIONS);
  }

  /** Free ports for a node's API and bridge. */
  static Map<String, String> httpPorts() {
    return Map.of(
        Settings.HTTP_PORT, Integer.toString(FanoutUnderTest.freePort()),
        Settings.PROGRESS_PORT, Integer.toString(FanoutUnderTest.freePort()));
  }
}
