package io.fanout.app.cluster;

import io.fanout.app.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A browser's view of a progress node, on the wire: the SockJS WebSocket transport
 * ({@code /eventbus/<server>/<session>/websocket}, frames {@code o}, {@code h}, {@code a[...]})
 * carrying the Vert.x bridge's register, ping and {@code rec} frames, as vertx-eventbus.js does.
 */
final class BridgeSocket implements AutoCloseable {
  /** Browsers' client pings every 5 s; the bridge drops a socket that stays silent for 10 s. */
  private static final long PING_MS = 4000;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  private final CountDownLatch opened = new CountDownLatch(1);
  private WebSocket socket;
  private long pinger;

  private BridgeSocket(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
  }

  /** Opens a SockJS session on the bridge at {@code port} and waits for its open frame. */
  static BridgeSocket connect(Vertx vertx, int port) throws InterruptedException {
    BridgeSocket bridge = new BridgeSocket(vertx);
    String session = UUID.randomUUID().toString().substring(0, 8);
    bridge.socket = Await.result(bridge.client.connect(new WebSocketConnectOptions()
            .setHost(ProcessCluster.LOOPBACK).setPort(port).setURI("/eventbus/000/" + session + "/websocket"))
        .map(socket -> socket.textMessageHandler(bridge::onFrame)));
    bridge.pinger = vertx.setPeriodic(PING_MS, tick -> bridge.send(new JsonObject().put("type", "ping")));
    if (!bridge.opened.await(10, TimeUnit.SECONDS)) {
      throw new AssertionError("the bridge on port " + port + " did not open a SockJS session");
    }
    return bridge;
  }

  void register(String address) {
    send(new JsonObject().put("type", "register").put("address", address).put("headers", new JsonObject()));
  }

  /** The body of the next message delivered to this browser, failing the test if none comes in time. */
  JsonObject next(Duration timeout) throws InterruptedException {
    JsonObject frame = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (frame == null) {
      throw new AssertionError("no message from the bridge within " + timeout);
    }
    if (!"rec".equals(frame.getString("type"))) {
      throw new AssertionError("the bridge answered " + frame.encode());
    }
    return frame.getJsonObject("body");
  }

  @Override
  public void close() {
    vertx.cancelTimer(pinger);
    Await.result(socket.close().eventually(client::close));
  }

  private void send(JsonObject frame) {
    socket.writeTextMessage(new JsonArray().add(frame.encode()).encode());
  }

  private void onFrame(String text) {
    if (text.startsWith("o")) {
      opened.countDown();
    } else if (text.startsWith("a")) {
      JsonArray messages = new JsonArray(text.substring(1));
      for (int i = 0; i < messages.size(); i++) {
        received.add(new JsonObject(messages.getString(i)));
      }
    }
  }
}
