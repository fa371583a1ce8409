package io.liveroom.store;

import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One long-lived Redis connection on which batches are pipelined, reconnecting after a failure
 * and started afresh after a timeout. Used from one event loop (its owner's): plain fields.
 */
final class PipelinedConnection {
  private final StoreClient client;
  private final Redis redis;
  private Future<RedisConnection> connection;

  PipelinedConnection(StoreClient client, Redis redis) {
    this.client = client;
    this.redis = redis;
  }

  /** Sends {@code reqs} in one batch, bounded by {@code limitMs}, guarded like any store call. */
  Future<List<Response>> batch(String op, List<Request> reqs, long limitMs) {
    Timer.Sample sample = client.startTimer();
    Future<List<Response>> sent = connection().compose(c -> c.batch(reqs));
    return client.guard(op, sample, sent, limitMs).onFailure(e -> {
      if (e.getCause() instanceof TimeoutException) {
        reset(); // the connection may be stuck: start afresh
      }
    });
  }

  private Future<RedisConnection> connection() {
    if (connection == null || connection.failed()) {
      Future<RedisConnection> f = redis.connect();
      connection = f;
      // a failed or ended connection closes itself: only forget it, so the next batch reconnects
      f.onSuccess(c -> c.exceptionHandler(e -> forget(f)).endHandler(v -> forget(f)));
    }
    return connection;
  }

  private void forget(Future<RedisConnection> f) {
    if (connection == f) {
      connection = null;
    }
  }

  /** After a timeout: the connection may be stuck, so close it and start afresh. */
  private void reset() {
    Future<RedisConnection> c = connection;
    connection = null;
    if (c != null && c.succeeded()) {
      c.result().close();
    }
  }

  void close() {
    reset();
  }
}
