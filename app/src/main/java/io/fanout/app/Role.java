package io.fanout.app;

import io.fanout.api.ApiVerticle;
import io.fanout.core.Settings;
import io.fanout.progress.ProgressVerticle;
import io.fanout.worker.DispatchVerticle;
import io.fanout.worker.WorkerVerticle;
import io.vertx.core.VerticleBase;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** What a process can be asked to run, and the verticles (with their instance settings) each role means. */
enum Role {
  API(List.of(new Deployment(ApiVerticle::new, Settings.API_INSTANCES))),
  WORKER(List.of(
      new Deployment(DispatchVerticle::new, Settings.DISPATCH_INSTANCES),
      new Deployment(WorkerVerticle::new, Settings.WORKER_INSTANCES))),
  PROGRESS(List.of(new Deployment(ProgressVerticle::new, Settings.PROGRESS_INSTANCES))),
  /**
   * No verticle: only the embedded Kafka and Redis (on EMBEDDED_KAFKA_PORT / EMBEDDED_REDIS_PORT),
   * for other processes on this machine to share, as bin/cluster-demo does.
   */
  BACKENDS(List.of());

  /** A verticle to deploy, and the setting that says how many instances of it. */
  record Deployment(Supplier<VerticleBase> verticle, String instancesSetting) {}

  private final List<Deployment> deployments;

  Role(List<Deployment> deployments) {
    this.deployments = deployments;
  }

  List<Deployment> deployments() {
    return deployments;
  }

  boolean needsKafka() {
    return this != PROGRESS;
  }

  /** The roles as the command line spells them: api, worker, progress, backends. */
  static String names() {
    return Arrays.stream(values()).map(Role::wireName).collect(Collectors.joining(", "));
  }

  String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Role parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown role '" + name + "'; roles are " + names(), e);
    }
  }
}
