package io.fanout.app.testing;

import io.fanout.app.embedded.EmbeddedInfrastructure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Kafka broker and one real Redis for the whole test run, started by the first test
 * class that asks and stopped when the run ends. Tests share them, so each test makes its own
 * jobs (ids are unique) and never assumes the queue is empty.
 */
public final class SharedBackends implements BeforeAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedBackends.class);

  private static volatile EmbeddedInfrastructure running;

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("backends", key -> start(),
        ExtensionContext.Store.CloseableResource.class);
  }

  private static ExtensionContext.Store.CloseableResource start() {
    try {
      Path dir = Files.createTempDirectory(Path.of("target"), "backends-");
      running = EmbeddedInfrastructure.start(dir);
      return () -> running.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String bootstrapServers() {
    return backends().bootstrapServers();
  }

  public static String redisUrl() {
    return backends().redisUrl();
  }

  /**
   * The shared Redis, database {@code db}: for tests that count what the queue holds and so
   * need to be alone in it. Each such test class takes its own number.
   */
  public static String redisUrl(int db) {
    return backends().redisUrl() + "/" + db;
  }

  private static EmbeddedInfrastructure backends() {
    if (running == null) {
      throw new IllegalStateException("annotate the test class with @ExtendWith(SharedBackends.class)");
    }
    return running;
  }
}
