package io.fanout.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.util.List;

/**
 * Redis Cluster through one long-lived cluster connection (a connection to each master, requests
 * pipelined on it) instead of the client's connection-less mode. That mode takes a pooled
 * connection to every master for each command; with many commands at once (a worker pipelines its
 * counting rounds) some hold one node's connections while waiting for another's, and all of them
 * wait for good. The connection is opened on first use, and again after it fails.
 */
final class ClusterRedis implements Redis {
  private final Redis client;
  private Future<RedisConnection> connection;

  ClusterRedis(Redis client) {
    this.client = client;
  }

  @Override
  public Future<RedisConnection> connect() {
    return client.connect();
  }

  @Override
  public Future<Response> send(Request command) {
    Future<RedisConnection> current = shared();
    return current.compose(open -> open.send(command)).onFailure(failure -> forgetUnlessReply(current, failure));
  }

  @Override
  public Future<List<Response>> batch(List<Request> commands) {
    Future<RedisConnection> current = shared();
    return current.compose(open -> open.batch(commands)).onFailure(failure -> forgetUnlessReply(current, failure));
  }

  @Override
  public Future<Void> close() {
    Future<RedisConnection> last;
    synchronized (this) {
      last = connection;
      connection = null;
    }
    Future<Void> closed = last == null ? Future.succeededFuture() : last.compose(RedisConnection::close, failure -> Future.succeededFuture());
    return closed.eventually(client::close);
  }

  private synchronized Future<RedisConnection> shared() {
    if (connection == null) {
      Future<RedisConnection> opening = client.connect();
      connection = opening;
      opening.onSuccess(open -> open
              .exceptionHandler(failure -> forget(opening))
              .endHandler(ended -> forget(opening)))
          .onFailure(failure -> forget(opening));
    }
    return connection;
  }

  // An error reply is Redis answering; anything else may be a broken connection, opened anew next time.
  private void forgetUnlessReply(Future<RedisConnection> used, Throwable failure) {
    if (!(failure instanceof ErrorType)) {
      forget(used);
    }
  }

  private synchronized void forget(Future<RedisConnection> stale) {
    if (connection == stale) {
      connection = null;
    }
  }
}
