package io.fanout.app.bench;

import com.sun.management.OperatingSystemMXBean;
import io.fanout.app.testing.RedisProbe;
import io.vertx.redis.client.Command;
import java.lang.management.ManagementFactory;

/**
 * The CPU a run took from every process the benchmark runs (this JVM: Fanout's roles, the
 * embedded broker and the clients; and redis-server), per job, and the jobs a second the
 * machine's cores allow at that cost: a same-run limit that other load on the machine barely
 * moves, since only these processes' own CPU time is counted. Everything they did during the run
 * is charged to its jobs, the broker's and the timers' background work included, as it is spent
 * at that rate too.
 */
final class CpuPerJob {
  /**
   * CPU milliseconds per job of this JVM and of Redis, and the ceiling they give on this machine;
   * {@code jitMs}, the JIT compiler's part of the JVM's.
   */
  record Cost(double jvmMs, double jitMs, double redisMs, int cores) {
    double ceilingJobsPerSecond() {
      return cores * 1000.0 / (jvmMs + redisMs);
    }

    String describe() {
      return String.format("CPU per job: %.2f ms in the JVM (Fanout, broker, clients; the JIT compiler %.2f ms of it) "
          + "+ %.2f ms in Redis; %d cores allow %,.0f jobs/s at that cost", jvmMs, jitMs, redisMs, cores,
          ceilingJobsPerSecond());
    }
  }

  private final RedisProbe redis;
  private final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final JitActivity jit = new JitActivity();
  private long jvmNanos;
  private double redisSeconds;

  CpuPerJob(RedisProbe redis) {
    this.redis = redis;
  }

  void start() {
    jvmNanos = os.getProcessCpuTime();
    jit.start();
    redisSeconds = redisCpuSeconds();
  }

  Cost stop(int jobs) {
    double jvmMs = (os.getProcessCpuTime() - jvmNanos) / 1e6;
    double redisMs = (redisCpuSeconds() - redisSeconds) * 1000;
    double jitMs = jit.cpuSeconds() * 1000;
    return new Cost(jvmMs / jobs, jitMs / jobs, redisMs / jobs, Runtime.getRuntime().availableProcessors());
  }

  /** Redis's own CPU time so far, its main thread's and its background threads', user and system. */
  private double redisCpuSeconds() {
    return redis.send(Command.INFO, "cpu").toString().lines()
        .filter(line -> line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:"))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(':') + 1).trim())).sum();
  }
}
