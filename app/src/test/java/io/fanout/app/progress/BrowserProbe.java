package io.fanout.app.progress;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The test SockJS client ({@link SockJsBridgeClient}, package-private) opened to the benchmark in
 * io.fanout.app.bench: what a browser receives through the bridge, and when it arrived.
 */
public final class BrowserProbe implements AutoCloseable {
  /** A bridge message as a browser sees it, stamped with {@link System#nanoTime()} on arrival. */
  public record Arrival(String type, String address, JsonObject body, long arrivedNanos) {}

  private final SockJsBridgeClient client;

  private BrowserProbe(SockJsBridgeClient client) {
    this.client = client;
  }

  /** Opens a SockJS WebSocket session on the bridge at 127.0.0.1:{@code port}. */
  public static BrowserProbe connect(Vertx vertx, int port) {
    return new BrowserProbe(SockJsBridgeClient.connect(vertx, port));
  }

  public void register(String address) {
    client.register(address);
  }

  public void unregister(String address) {
    client.unregister(address);
  }

  /** The next message, or null if none arrives within {@code timeout}. */
  public Arrival next(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // The client fails a test on a timeout; a benchmark only wants to know, so it waits for a frame first.
    while (client.waiting() == 0) {
      if (System.nanoTime() >= deadline) {
        return null;
      }
      sleepBriefly();
    }
    SockJsBridgeClient.Frame frame = client.next(Duration.ofSeconds(1));
    return new Arrival(frame.type(), frame.address(), frame.body(), frame.arrivedNanos());
  }

  @Override
  public void close() {
    client.close();
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the bridge", e);
    }
  }
}
