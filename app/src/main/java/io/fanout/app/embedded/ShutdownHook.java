package io.fanout.app.embedded;

/**
 * A JVM shutdown hook that stops an embedded server if nobody else does, and that its owner can
 * take back: an owner that stops the server itself, after what depends on it, must not have the
 * JVM run this hook at the same time as its own.
 */
final class ShutdownHook {
  private final Thread hook;

  ShutdownHook(String name, Runnable stop) {
    this.hook = new Thread(stop, name);
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The owner stops the server from now on. */
  void release() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs, and stopping is idempotent.
    }
  }
}
