package io.fanout.app.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * How busy the JIT compiler was over a stretch of time, as a share of one core: how far this JVM
 * still is from its steady state. It holds Fanout's roles, the Kafka broker and the clients, some
 * 30 MB of compiled code; on 2 cores the compiler takes minutes of load to compile it, and until
 * then it takes a third of the CPU and more, which a run measured then charges to its jobs.
 */
final class JitActivity {
  private final CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
  private long compileMs;
  private long startNanos;

  JitActivity start() {
    compileMs = compiler.getTotalCompilationTime();
    startNanos = System.nanoTime();
    return this;
  }

  /** The compiler's time since {@link #start}, per unit of wall time (1.0: one core the whole time). */
  double share() {
    double wallMs = (System.nanoTime() - startNanos) / 1e6;
    return wallMs <= 0 ? 0 : (compiler.getTotalCompilationTime() - compileMs) / wallMs;
  }
}
