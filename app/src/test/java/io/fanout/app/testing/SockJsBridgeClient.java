package io.fanout.app.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What a browser's SockJS client does on the wire, for tests: the SockJS WebSocket transport
 * ({@code /eventbus/<server>/<session>/websocket}, frames {@code o}, {@code h}, {@code a[...]},
 * {@code c[...]}) carrying the Vert.x bridge's JSON frames. Every bridge frame received is queued,
 * with the time it arrived.
 */
public final class SockJsBridgeClient implements AutoCloseable {
  /** A bridge frame ({@code rec} or {@code err}) and when it arrived, in nanoseconds. */
  public record Frame(JsonObject json, long arrivedNanos) {
    public String type() {
      return json.getString("type");
    }

    public String address() {
      return json.getString("address");
    }

    public JsonObject body() {
      return json.getJsonObject("body");
    }
  }

  private static final long PING_MS = 4000;

  private final Vertx vertx;
  private final WebSocketClient client;
  private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
  private final BlockingQueue<String> opened = new LinkedBlockingQueue<>();
  private WebSocket socket;
  private long pinger;

  private SockJsBridgeClient(Vertx vertx) {
    this.vertx = vertx;
    this.client = vertx.createWebSocketClient();
  }

  /** Opens a session on the bridge at {@code port} and waits for SockJS's open frame. */
  public static SockJsBridgeClient connect(Vertx vertx, int port) {
    SockJsBridgeClient bridge = new SockJsBridgeClient(vertx);
    String session = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    // The handler is set on the event loop as the socket opens, so the open frame cannot be missed.
    bridge.socket = Await.result(bridge.client.connect(new WebSocketConnectOptions()
            .setHost("127.0.0.1").setPort(port).setURI("/eventbus/000/" + session + "/websocket"))
        .map(socket -> socket.textMessageHandler(bridge::onSockJsFrame)));
    // The bridge closes a socket that does not ping; a browser's client pings every 5 s.
    bridge.pinger = vertx.setPeriodic(PING_MS, tick -> bridge.send(new JsonObject().put("type", "ping")));
    bridge.awaitOpen();
    return bridge;
  }

  public void register(String address) {
    register(address, null);
  }

  /** Registers as vertx-eventbus.js does with a bearer token in the frame's headers (none when null). */
  public void register(String address, String token) {
    JsonObject headers = token == null ? new JsonObject() : new JsonObject().put("Authorization", "Bearer " + token);
    send(new JsonObject().put("type", "register").put("address", address).put("headers", headers));
  }

  public void unregister(String address) {
    send(new JsonObject().put("type", "unregister").put("address", address).put("headers", new JsonObject()));
  }

  public void publish(String address, JsonObject body) {
    send(new JsonObject().put("type", "publish").put("address", address).put("body", body));
  }

  public void sendTo(String address, JsonObject body, String replyAddress) {
    JsonObject frame = new JsonObject().put("type", "send").put("address", address).put("body", body);
    if (replyAddress != null) {
      frame.put("replyAddress", replyAddress);
    }
    send(frame);
  }

  /** One bridge frame, as the client library would write it: a JSON array of JSON texts. */
  public void send(JsonObject frame) {
    socket.writeTextMessage(new JsonArray().add(frame.encode()).encode());
  }

  /** The next frame, failing the test if none arrives in time. */
  public Frame next(Duration timeout) {
    try {
      Frame frame = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (frame == null) {
        throw new AssertionError("no bridge frame within " + timeout);
      }
      return frame;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The body of the next message delivered to this browser, failing the test on anything else. */
  public JsonObject nextBody(Duration timeout) {
    Frame frame = next(timeout);
    if (!"rec".equals(frame.type())) {
      throw new AssertionError("the bridge answered " + frame.json().encode());
    }
    return frame.body();
  }

  /** The next frame, or null if none arrives in time: for measuring, where silence is an answer. */
  public Frame poll(Duration timeout) {
    try {
      return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Frames already received and not yet taken. */
  public int waiting() {
    return frames.size();
  }

  @Override
  public void close() {
    vertx.cancelTimer(pinger);
    Await.result(socket.close().eventually(client::close));
  }

  private void awaitOpen() {
    try {
      if (opened.poll(10, TimeUnit.SECONDS) == null) {
        throw new AssertionError("the bridge did not open the SockJS session");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private void onSockJsFrame(String text) {
    long now = System.nanoTime();
    if (text.startsWith("o")) {
      opened.add(text);
    } else if (text.startsWith("a")) {
      JsonArray messages = new JsonArray(text.substring(1));
      for (int i = 0; i < messages.size(); i++) {
        frames.add(new Frame(new JsonObject(messages.getString(i)), now));
      }
    }
    // "h" is a heartbeat and "c[...]" a close: neither carries a bridge frame.
  }
}
