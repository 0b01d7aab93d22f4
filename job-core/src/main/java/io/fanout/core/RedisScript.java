package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * A Lua script run by its SHA-1, so each call sends only the digest. If Redis does not know the
 * script (it restarted, or was flushed) the call falls back to sending the source once.
 */
public final class RedisScript {
  private final String name;
  private final String source;
  private final String sha;

  private RedisScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  /** Reads {@code lua/<name>.lua} beside this class. */
  static RedisScript named(String name) {
    return beside(RedisScript.class, "lua/" + name + ".lua");
  }

  /** Reads a script from a resource relative to {@code owner}, for modules with scripts of their own. */
  public static RedisScript beside(Class<?> owner, String resource) {
    try (InputStream in = owner.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing Redis script " + resource);
      }
      return new RedisScript(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Redis script " + resource, e);
    }
  }

  public Future<Response> run(Redis redis, List<String> keys, List<?> args) {
    return run(redis::send, keys, args);
  }

  /**
   * Runs the script and then waits until {@code ack}'s replicas hold what it wrote. Both go over
   * one connection taken from the pool, because WAIT only counts its own connection's writes.
   */
  public Future<Response> run(Redis redis, List<String> keys, List<?> args, ReplicaAck ack) {
    if (!ack.enabled()) {
      return run(redis, keys, args);
    }
    return redis.connect().compose(connection -> run(connection::send, keys, args)
        .compose(reply -> ack.await(connection).map(reply))
        .eventually(connection::close));
  }

  private Future<Response> run(Function<Request, Future<Response>> send, List<String> keys, List<?> args) {
    return send.apply(request(Command.EVALSHA, sha, keys, args))
        .recover(failure -> isNoScript(failure)
            ? send.apply(request(Command.EVAL, source, keys, args))
            : Future.failedFuture(failure));
  }

  @Override
  public String toString() {
    return "RedisScript[" + name + "]";
  }

  private static Request request(Command command, String script, List<String> keys, List<?> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    // Bytes go as they are (bitmap pieces); everything else as its text.
    args.forEach(arg -> {
      if (arg instanceof byte[] bytes) {
        request.arg(bytes);
      } else {
        request.arg(String.valueOf(arg));
      }
    });
    return request;
  }

  // The client reports error replies as a Throwable that is not an Exception; match on the text.
  private static boolean isNoScript(Throwable failure) {
    return failure.getMessage() != null && failure.getMessage().startsWith("NOSCRIPT");
  }

  private static String sha1(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required by the Java platform", e);
    }
  }
}
