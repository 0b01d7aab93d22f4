package io.fanout.app.testing;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntUnaryOperator;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook receiver on 127.0.0.1, as a team would write one: it checks each request's
 * {@code Fanout-Signature} with the shared secret (its own HMAC code, not Fanout's) and answers
 * with the status the test chooses for the n-th request (0 = never answer, as a hung receiver).
 */
public final class WebhookReceiver implements AutoCloseable {
  /** What one request brought. */
  public record Received(String deliveryId, boolean signatureValid, long signedAtSeconds, JsonObject body, int answer) {}

  /** Answers 0 leave the request hanging. */
  public static final int NO_ANSWER = 0;

  private final Vertx vertx = Vertx.vertx();
  private final String secret;
  private final IntUnaryOperator answerForRequest;
  private final List<Received> received = new ArrayList<>();
  private final Promise<Received> delivered = Promise.promise();
  private final HttpServer server;

  /** {@code answerForRequest} maps the request's number (1, 2, ...) to the status to answer. */
  public WebhookReceiver(String secret, IntUnaryOperator answerForRequest) {
    this.secret = secret;
    this.answerForRequest = answerForRequest;
    this.server = Await.result(vertx.createHttpServer()
        .requestHandler(request -> request.body().onSuccess(body -> receive(request, body.toString(StandardCharsets.UTF_8))))
        .listen(0, "127.0.0.1"));
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/hooks/fanout";
  }

  private synchronized void receive(HttpServerRequest request, String body) {
    int answer = answerForRequest.applyAsInt(received.size() + 1);
    String header = request.getHeader("Fanout-Signature");
    long signedAt = -1;
    boolean valid = false;
    if (header != null && header.matches("t=\\d+,v1=[0-9a-f]{64}")) {
      String[] parts = header.split(",");
      signedAt = Long.parseLong(parts[0].substring(2));
      String expected = hmac(signedAt + "." + body);
      valid = MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
          parts[1].substring(3).getBytes(StandardCharsets.US_ASCII));
    }
    Received one = new Received(request.getHeader("Fanout-Delivery"), valid, signedAt, new JsonObject(body), answer);
    received.add(one);
    if (answer != NO_ANSWER) {
      request.response().setStatusCode(answer).end();
      if (answer >= 200 && answer < 300) {
        delivered.tryComplete(one);
      }
    }
  }

  private String hmac(String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every request so far, in arrival order. */
  public synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** Waits for the first request this receiver answered with a 2xx. */
  public Received awaitDelivered(Duration timeout) {
    return Await.result(delivered.future(), timeout);
  }

  /** Waits until at least {@code count} requests have arrived. */
  public void awaitRequests(int count, Duration timeout) {
    Await.until(() -> io.vertx.core.Future.succeededFuture(received().size()), size -> size >= count, timeout);
  }

  @Override
  public void close() {
    Await.result(vertx.close());
  }

  /** The delivery ids seen, each once, in order of first arrival. */
  public List<String> distinctDeliveryIds() {
    List<String> ids = new ArrayList<>();
    received().forEach(one -> {
      if (!ids.contains(one.deliveryId())) {
        ids.add(one.deliveryId());
      }
    });
    return ids;
  }
}
