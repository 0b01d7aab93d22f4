package io.fanout.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Tokens are kept only as the SHA-256 of their text. A token is 32 random bytes, so a plain
 * hash (no salt, no stretching) is enough: there is no dictionary to try against it.
 */
public final class TokenHash {
  /** Marks Fanout's tokens, so that one pasted in the wrong place is recognisable. */
  private static final String PREFIX = "fo_";
  private static final int TOKEN_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private TokenHash() {}

  /** A new token's text: shown once to whoever created it, never stored. */
  public static String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The lower-case hex SHA-256 of a token's text, as stored and as configured. */
  public static String of(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Compares two hex hashes in time that does not depend on where they first differ. */
  public static boolean matches(String hash, String expected) {
    return MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII),
        expected.getBytes(StandardCharsets.US_ASCII));
  }

  static boolean isHash(String text) {
    return text.length() == 64 && text.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
}
