package io.fanout.core.auth;

import io.fanout.core.RedisKeys;
import io.fanout.core.RedisScript;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The tokens an admin creates through the API, kept in Redis by their SHA-256 only, so every
 * API node and bridge knows them at once and a revocation takes effect on the next request.
 */
public final class TokenStore {
  private static final RedisScript CREATE = RedisScript.beside(TokenStore.class, "token-create.lua");
  private static final RedisScript REVOKE = RedisScript.beside(TokenStore.class, "token-revoke.lua");
  private static final List<String> KEYS = List.of(RedisKeys.TOKENS, RedisKeys.TOKENS_BY_HASH);

  private final Redis redis;

  public TokenStore(Redis redis) {
    this.redis = redis;
  }

  /** A stored token's description: never its text or its hash. */
  public record Entry(String name, AccessRole role, Instant createdAt) {
    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("role", role.wireName()).put("createdAt", createdAt.toString());
    }

    static Entry fromJson(JsonObject json) {
      return new Entry(json.getString("name"), AccessRole.parse(json.getString("role")),
          Instant.parse(json.getString("createdAt")));
    }
  }

  /**
   * Stores a new token for {@code name} and answers its text, the only time it exists outside
   * the caller's hands; null when the name is taken.
   */
  public Future<String> create(String name, AccessRole role) {
    String token = TokenHash.newToken();
    Entry entry = new Entry(name, role, Instant.now());
    return CREATE.run(redis, KEYS, List.of(name, TokenHash.of(token), entry.toJson().encode()))
        .map(created -> created.toInteger() == 1 ? token : null);
  }

  /** Whether a token of that name existed (and is now forgotten). */
  public Future<Boolean> revoke(String name) {
    return REVOKE.run(redis, KEYS, List.of(name)).map(revoked -> revoked.toInteger() == 1);
  }

  public Future<List<Entry>> list() {
    return redis.send(Request.cmd(Command.HVALS).arg(RedisKeys.TOKENS)).map(reply -> {
      List<Entry> entries = new ArrayList<>();
      for (Response value : reply) {
        entries.add(Entry.fromJson(new JsonObject(new JsonObject(value.toString()).getString("token"))));
      }
      entries.sort(Comparator.comparing(Entry::name));
      return entries;
    });
  }

  /** The token with this SHA-256, or null. A lookup by the hash itself leaks nothing of a token. */
  Future<Entry> findByHash(String hash) {
    return redis.send(Request.cmd(Command.HGET).arg(RedisKeys.TOKENS_BY_HASH).arg(hash))
        .map(reply -> reply == null ? null : Entry.fromJson(new JsonObject(reply.toString())));
  }
}
