package io.fanout.app.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the embedded Kafka broker and Redis server share: a data directory made ready before the
 * start, a start retried when a port chosen here was taken in the meantime, and a stop that runs
 * once, either by its owner's {@link #close()} or, if the owner never calls it, by a JVM shutdown
 * hook the owner can take back.
 */
abstract class EmbeddedServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedServer.class);
  /** How often a start is tried when its ports were chosen here and another process took one. */
  private static final int BIND_ATTEMPTS = 3;

  private final AtomicBoolean stopped = new AtomicBoolean();
  private final ShutdownHook shutdownHook;

  /** Registers the server's shutdown hook: from now on it stops at JVM exit unless closed first. */
  protected EmbeddedServer(String hookName) {
    this.shutdownHook = new ShutdownHook(hookName, () -> stopOnce(this::stopAtExit));
  }

  /**
   * For an owner that closes this server itself on shutdown, after what depends on it (the
   * verticles): the JVM must not run this server's own hook at the same time as the owner's.
   */
  public void leaveShutdownToOwner() {
    shutdownHook.release();
  }

  /** Stops the server cleanly and waits until it has; calling it again does nothing. */
  @Override
  public final void close() {
    leaveShutdownToOwner();
    stopOnce(this::stopGracefully);
  }

  /** The owner's stop: clean, and as slow as that takes. */
  protected abstract void stopGracefully();

  /** The stop at JVM exit, when there is no time for more than a signal; the clean stop by default. */
  protected void stopAtExit() {
    stopGracefully();
  }

  /** Stops a server that never became ready, without its hook. */
  protected final void abort(Runnable how) {
    leaveShutdownToOwner();
    stopOnce(how);
  }

  private void stopOnce(Runnable how) {
    if (stopped.compareAndSet(false, true)) {
      how.run();
    }
  }

  /** {@code dir} as an absolute path, created if missing. */
  static Path dataDir(Path dir, String server) {
    Objects.requireNonNull(dir, "dir");
    Path dataDir = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create " + server + " data directory " + dataDir, e);
    }
    return dataDir;
  }

  /**
   * Runs {@code attempt}, which picks its ports and starts the server. A free port chosen here may
   * be taken by another process before the server binds it: then, and only when the ports were
   * chosen here ({@code portsChosenHere}), it is tried again with new ones.
   *
   * @param portTaken whether a failure is that a port was taken
   */
  static <T> T startRetryingBinds(String server, boolean portsChosenHere, Supplier<T> attempt,
      Predicate<RuntimeException> portTaken) {
    int attempts = portsChosenHere ? BIND_ATTEMPTS : 1;
    RuntimeException failure = null;
    for (int tried = 1; tried <= attempts; tried++) {
      try {
        return attempt.get();
      } catch (RuntimeException e) {
        if (!portTaken.test(e)) {
          throw e;
        }
        failure = e;
        LOG.warn("{} could not take its port (attempt {} of {}): {}", server, tried, attempts, e.getMessage());
      }
    }
    throw failure;
  }

  static long elapsedMillis(long startedAtNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAtNanos);
  }
}
