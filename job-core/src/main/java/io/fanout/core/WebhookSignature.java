package io.fanout.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a completion webhook, in the style of Stripe's: {@code t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "<t>.<body>">}, keyed by {@code CALLBACK_SECRET}. Signing the time with
 * the body lets a receiver refuse an old request replayed.
 */
public final class WebhookSignature {
  /** The header that carries it. */
  public static final String HEADER = "Fanout-Signature";
  /** The header with the delivery's id, the same on every try, for receivers to dedupe. */
  public static final String DELIVERY_HEADER = "Fanout-Delivery";

  private WebhookSignature() {}

  public static String header(String secret, long unixSeconds, String body) {
    return "t=" + unixSeconds + ",v1=" + hmacHex(secret, unixSeconds + "." + body);
  }

  public static String hmacHex(String secret, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
    }
  }
}
