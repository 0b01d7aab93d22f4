package io.fanout.app;

import io.fanout.core.FanoutMeters;
import io.fanout.core.JobQueue;
import io.fanout.core.KafkaClients;
import io.fanout.core.RedisClients;
import io.fanout.core.Settings;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's part in Prometheus, deployed once per process: in an API process it keeps the
 * cluster-wide gauges (jobs by state, queue depth, per-job consumer lag) fresh; in a process
 * without the API (whose port serves {@code /metrics}) it serves {@code /metrics} on {@code METRICS_PORT} (0: a free port,
 * listed in {@code GET /cluster}; -1: none).
 */
final class MetricsEndpoint extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

  private final boolean ownPort;
  private final boolean clusterGauges;
  private Settings settings;
  private Redis redis;
  private AdminClient admin;
  private HttpServer server;
  private int port = -1;
  private boolean refreshing;
  private boolean failing;

  /**
   * @param ownPort whether to serve {@code /metrics} on a port of its own
   * @param clusterGauges whether to read the queue and the lag (a process with the API)
   */
  MetricsEndpoint(boolean ownPort, boolean clusterGauges) {
    this.ownPort = ownPort;
    this.clusterGauges = clusterGauges;
  }

  @Override
  public Future<?> start() {
    settings = new Settings(config());
    if (clusterGauges) {
      startClusterGauges(FanoutMeters.registry(settings));
    }
    if (!ownPort || settings.integer(Settings.METRICS_PORT) < 0) {
      return Future.succeededFuture();
    }
    Router router = Router.router(vertx);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(FanoutMeters.registryName(settings)));
    server = vertx.createHttpServer();
    return server.requestHandler(router)
        .listen(settings.integer(Settings.METRICS_PORT), settings.string(Settings.HTTP_HOST))
        .onSuccess(listening -> {
          port = listening.actualPort();
          LOG.info("Metrics for Prometheus at http://{}:{}/metrics", settings.string(Settings.HTTP_HOST), port);
        });
  }

  @Override
  public Future<?> stop() {
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return closed.eventually(() -> redis == null ? Future.succeededFuture() : redis.close())
        .eventually(() -> admin == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
          admin.close(Duration.ofSeconds(5));
          return null;
        }));
  }

  /** The port serving {@code /metrics} of this process's own, or -1 when it has none. */
  int port() {
    return port;
  }

  private void startClusterGauges(MeterRegistry registry) {
    redis = RedisClients.create(vertx, settings);
    JobQueue queue = new JobQueue(redis);
    admin = AdminClient.create(Map.copyOf(KafkaClients.admin(settings, "metrics-" + settings.string(Settings.NODE_ID))));
    JobGauges jobs = new JobGauges(queue, registry);
    ConsumerLagGauges lag = new ConsumerLagGauges(context, admin, queue, registry,
        settings.string(Settings.WORKER_GROUP), settings.integer(Settings.MAX_ACTIVE_JOBS));
    vertx.setPeriodic(0, settings.longValue(Settings.METRICS_REFRESH_MS), tick -> {
      // A read slower than the period (Redis or Kafka away) is not stacked with the next one.
      if (!refreshing) {
        refreshing = true;
        Future.join(jobs.refresh(), lag.refresh())
            .onSuccess(read -> failing = false)
            .onFailure(failure -> {
              // Said once per outage: the gauges keep their last figures meanwhile.
              if (!failing) {
                failing = true;
                LOG.warn("Job and lag gauges of node {} are stale, Redis or Kafka did not answer: {}",
                    settings.string(Settings.NODE_ID), failure.toString());
              }
            })
            .onComplete(done -> refreshing = false);
      }
    });
  }
}
