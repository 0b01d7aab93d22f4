package io.fanout.app.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for the embedded servers. */
final class LocalPorts {

  static final String LOOPBACK = "127.0.0.1";

  private LocalPorts() {
  }

  /**
   * A port that was free a moment ago. Neither Redis (port 0 means "no TCP at all") nor a KRaft
   * controller (its port is written into controller.quorum.voters before it binds) can be told
   * to pick one themselves, so we ask the kernel and hand the number over. Another process may
   * take it in between; callers retry on a bind failure when the port was chosen here.
   */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free loopback port", e);
    }
  }

  /**
   * {@code port} if it can be bound now, a free port if it is 0. A port someone else holds fails
   * here with a message naming the server, instead of deep inside that server's start.
   */
  static int available(int port, String server) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("Port out of range for " + server + ": " + port);
    }
    if (port == 0) {
      return freePort();
    }
    try (ServerSocket socket = new ServerSocket()) {
      // Kafka (through the JDK's default) and Redis bind with SO_REUSEADDR, so a port still
      // in TIME_WAIT is usable for them; probe the same way.
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
      return port;
    } catch (IOException e) {
      throw new IllegalStateException("Port " + LOOPBACK + ":" + port + " for " + server
          + " is in use by another program", e);
    }
  }
}
