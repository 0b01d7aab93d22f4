package io.fanout.app;

import io.fanout.api.ApiVerticle;
import io.fanout.core.Settings;
import io.fanout.progress.ProgressVerticle;
import io.fanout.worker.DispatchVerticle;
import io.fanout.worker.WorkerVerticle;
import io.vertx.core.VerticleBase;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/** What a process can be asked to run, and the verticles (with their instance settings) each role means. */
enum Role {
  API(List.of(new Deployment(ApiVerticle::new, Settings.API_INSTANCES))),
  WORKER(List.of(
      new Deployment(DispatchVerticle::new, Settings.DISPATCH_INSTANCES),
      new Deployment(WorkerVerticle::new, Settings.WORKER_INSTANCES))),
  PROGRESS(List.of(new Deployment(ProgressVerticle::new, Settings.PROGRESS_INSTANCES)));

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

  /** Every role reads jobs from Redis; the progress bridge reads their counts for snapshots. */
  boolean needsRedis() {
    return true;
  }

  static Role parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown role '" + name + "'; roles are api, worker, progress", e);
    }
  }
}
