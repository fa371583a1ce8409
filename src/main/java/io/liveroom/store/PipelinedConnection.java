package io.liveroom.store;

import java.util.ArrayList;
import io.vertx.redis.client.Command;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * One long-lived Redis connection on which batches are pipelined, in order, reconnecting after a
 * failure and started afresh after a timeout. The scripts its batches run are loaded when it
 * connects, before any batch, so that no batch fails for a missing script and is sent again
 * behind later ones. Used from one event loop (its owner's): plain fields.
 */
final class PipelinedConnection {
  private final StoreClient client;
  private final Redis redis;
  private final List<LuaScript> scripts;
  private Future<RedisConnection> connection;
  /** On a Redis Cluster: the last batch sent, which the next one completes after ({@link #batch}). */
  private Future<List<Response>> lastSent;

  PipelinedConnection(StoreClient client, Redis redis, List<LuaScript> scripts) {
    this.client = client;
    this.redis = redis;
    this.scripts = scripts;
  }

  /**
   * Whether the scripts are loaded when the connection opens, so that batches may call them by
   * SHA. Not on a Redis Cluster: {@code SCRIPT LOAD} there reaches one master, so batches send
   * the scripts' source ({@code EVAL}; Redis caches it by SHA, so only the bytes cost).
   */
  boolean scriptsLoaded() {
    return !client.cluster();
  }

  /**
   * Sends {@code reqs} in one batch ({@code slotKeys.get(i)} is a key of request i), bounded by
   * {@code limitMs}, guarded like any store call, and each batch confirmed by {@code
   * redis.replicasToAck} replicas ({@link StoreClient#acked}). On a Redis Cluster the batch goes
   * one batch per hash slot, all at once, on the cluster connection's link to each master; but
   * without replicas to wait for, its requests go one by one ({@link StoreClient#sendEach}, so
   * that a slot move is followed, not failed on), and a batch completes only after the batches
   * sent before it: one waiting out a slot move holds back the answers of later ones, so that a
   * room's items are confirmed in the order they were sent. ({@code WAIT} has no key, so it can
   * follow a batch to its master only inside that batch.)
   */
  Future<List<Response>> batch(String op, List<Request> reqs, List<String> slotKeys, long limitMs) {
    Timer.Sample sample = client.startTimer();
    Future<List<Response>> sent;
    if (client.cluster() && !client.waitsForReplicas()) {
      Future<List<Response>> own = connection().compose(c -> StoreClient.sendEach(c, reqs));
      Future<List<Response>> before = lastSent;
      sent = before == null || before.isComplete() ? own : before.transform(ar -> own);
      lastSent = sent;
    } else {
      sent = connection().compose(c -> client.bySlot(client.acked(op, c::batch), reqs, slotKeys));
    }
    return client.guard(op, sample, sent, limitMs).onFailure(e -> {
      if (e.getCause() instanceof TimeoutException) {
        reset(); // the connection may be stuck: start afresh
      }
    });
  }

  private Future<RedisConnection> connection() {
    if (connection == null || connection.failed()) {
      List<LuaScript> scripts = scriptsLoaded() ? this.scripts : List.of();
      Future<RedisConnection> f = redis.connect().compose(c -> {
        List<Request> loads = new ArrayList<>(scripts.size());
        scripts.forEach(s -> loads.add(Request.cmd(Command.SCRIPT).arg("LOAD").arg(s.source())));
        return loads.isEmpty() ? Future.succeededFuture(c) : c.batch(loads).map(r -> c)
            .onFailure(e -> c.close());
      });
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

  /** After a timeout (the connection may be stuck) or a lost script: close it and start afresh. */
  void reset() {
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
