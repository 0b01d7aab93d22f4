package io.fanout.app;

import io.fanout.api.ApiVerticle;
import io.fanout.core.Settings;
import io.fanout.progress.BridgeRoutes;
import io.fanout.progress.ProgressVerticle;
import io.fanout.worker.CallbackVerticle;
import io.fanout.worker.DispatchVerticle;
import io.fanout.worker.ScheduleVerticle;
import io.fanout.worker.WorkerVerticle;
import io.vertx.core.VerticleBase;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/** What a process can be asked to run, and the verticles (with their instance settings) each role means. */
enum Role {
  /** With the progress role in the same process, the API serves the bridge on its own origin too. */
  API(List.of(new Deployment(Role::api, Settings.API_INSTANCES))),
  WORKER(List.of(
      new Deployment(roles -> new DispatchVerticle(), Settings.DISPATCH_INSTANCES),
      // Beside every dispatcher: the process that moves the queue also fires schedules and webhooks.
      new Deployment(roles -> new ScheduleVerticle(), Settings.DISPATCH_INSTANCES),
      new Deployment(roles -> new CallbackVerticle(), Settings.DISPATCH_INSTANCES),
      new Deployment(roles -> new WorkerVerticle(), Settings.WORKER_INSTANCES))),
  PROGRESS(List.of(new Deployment(roles -> new ProgressVerticle(), Settings.PROGRESS_INSTANCES))),
  /**
   * No verticle: only the embedded Kafka and Redis (on EMBEDDED_KAFKA_PORT / EMBEDDED_REDIS_PORT),
   * for other processes on this machine to share, as bin/cluster-demo does.
   */
  BACKENDS(List.of());

  /** A verticle to deploy, made knowing the process's roles, and the setting that says how many instances of it. */
  record Deployment(Function<Set<Role>, VerticleBase> verticle, String instancesSetting) {}

  private final List<Deployment> deployments;

  Role(List<Deployment> deployments) {
    this.deployments = deployments;
  }

  List<Deployment> deployments() {
    return deployments;
  }

  private static VerticleBase api(Set<Role> roles) {
    return new ApiVerticle(roles.contains(PROGRESS) ? BridgeRoutes::mount : null);
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
