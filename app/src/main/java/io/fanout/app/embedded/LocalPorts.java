package io.fanout.app.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free loopback ports for the embedded servers. */
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

    /** The given port, or a free one when it is 0. */
    static int orFree(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Port out of range: " + port);
        }
        return port == 0 ? freePort() : port;
    }
}
