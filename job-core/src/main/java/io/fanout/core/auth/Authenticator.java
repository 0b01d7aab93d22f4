package io.fanout.core.auth;

import io.fanout.core.Settings;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;
import java.util.Locale;

/**
 * Turns a request's {@code Authorization: Bearer <token>} into its {@link Caller}, for the API
 * and the browsers' bridge alike. Authentication is on when the settings configure at least one
 * token: that decision is made at start from the settings alone, so every node of a deployment
 * makes the same one. Tokens made through the API (in Redis) count only while it is on.
 */
public final class Authenticator {
  private static final String BEARER = "bearer ";

  private final List<ConfiguredTokens.Entry> configured;
  private final TokenStore store;

  public Authenticator(List<ConfiguredTokens.Entry> configured, TokenStore store) {
    this.configured = configured;
    this.store = store;
  }

  public static Authenticator from(Settings settings, Redis redis) {
    return new Authenticator(ConfiguredTokens.read(settings), new TokenStore(redis));
  }

  /** Whether requests must carry a token; false leaves everything open, as on a developer's machine. */
  public boolean required() {
    return !configured.isEmpty();
  }

  public TokenStore store() {
    return store;
  }

  /** Whether a name is taken by a configured token (a stored one with it could never be told apart). */
  public boolean isConfiguredName(String name) {
    return configured.stream().anyMatch(entry -> entry.name().equals(name));
  }

  /**
   * The caller an Authorization header names: {@link Caller#OPEN} when authentication is off,
   * null when it is on and the header is missing, not a bearer token or an unknown one.
   */
  public Future<Caller> authenticate(String authorization) {
    if (!required()) {
      return Future.succeededFuture(Caller.OPEN);
    }
    if (authorization == null || !authorization.toLowerCase(Locale.ROOT).startsWith(BEARER)) {
      return Future.succeededFuture(null);
    }
    String token = authorization.substring(BEARER.length()).trim();
    if (token.isEmpty()) {
      return Future.succeededFuture(null);
    }
    String hash = TokenHash.of(token);
    // Every configured entry is compared, in constant time each: how long this takes does not
    // say which one (if any) came close.
    Caller found = null;
    for (ConfiguredTokens.Entry entry : configured) {
      if (TokenHash.matches(hash, entry.hash()) && found == null) {
        found = new Caller(entry.name(), entry.role());
      }
    }
    if (found != null) {
      return Future.succeededFuture(found);
    }
    return store.findByHash(hash).map(entry -> entry == null ? null : new Caller(entry.name(), entry.role()));
  }
}
