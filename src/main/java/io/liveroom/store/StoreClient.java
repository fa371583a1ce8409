package io.liveroom.store;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.LiveroomException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis clients of the store and the one way every call goes through them: bounded by
 * {@code redis.timeoutMs}, timed as {@code liveroom.redis.requests}, failures mapped to
 * {@code UNAVAILABLE}, and completed on the caller's context.
 */
final class StoreClient {
  private static final Logger LOG = LoggerFactory.getLogger(StoreClient.class);
  /**
   * Histogram buckets of {@code liveroom.redis.requests}, 0.25 ms to 1 s in microseconds: a dozen
   * fixed ones, as there is a histogram per op and outcome.
   */
  private static final Duration[] LATENCY_BUCKETS = LongStream.of(250, 500, 1_000, 2_500, 5_000, 10_000, 25_000,
          50_000, 100_000, 250_000, 500_000, 1_000_000)
      .mapToObj(us -> Duration.of(us, ChronoUnit.MICROS)).toArray(Duration[]::new);

  private final Redis redis;
  private final Redis historyRedis;
  private final long timeoutMs;
  private final MeterRegistry registry;
  private volatile String lastError = "none";

  StoreClient(Vertx vertx, LiveroomConfig.Redis cfg, MeterRegistry registry) {
    this.redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(cfg.url())
        .setMaxPoolSize(cfg.poolSize())
        .setMaxPoolWaiting(cfg.maxWaiting())
        .setMaxWaitingHandlers(cfg.maxWaiting())
        .setPreferredProtocolVersion(ProtocolVersion.RESP2));
    // the appends hold one pipelined connection per shard instance, apart from the pool
    // that serves requests, so a burst of sends can never starve loads, creates and updates
    this.historyRedis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(cfg.url())
        .setMaxPoolSize(64)
        .setMaxWaitingHandlers(cfg.maxWaiting())
        .setPreferredProtocolVersion(ProtocolVersion.RESP2));
    this.timeoutMs = cfg.timeoutMs();
    this.registry = registry;
  }

  long timeoutMs() {
    return timeoutMs;
  }

  Timer.Sample startTimer() {
    return Timer.start(registry);
  }

  /** A long-lived connection of its own for pipelined writes (the appends that make sends durable). */
  PipelinedConnection pipeline(List<LuaScript> scripts) {
    return new PipelinedConnection(this, historyRedis, scripts);
  }

  /** Runs {@code s} by its SHA, sending the source once when this Redis does not know it yet. */
  Future<Response> eval(LuaScript s, List<String> keys, List<String> args) {
    Request sha = Request.cmd(Command.EVALSHA).arg(s.sha()).arg(keys.size());
    keys.forEach(sha::arg);
    args.forEach(sha::arg);
    return guard(s.name(), startTimer(), redis.send(sha).recover(e -> {
      if (e.getMessage() == null || !e.getMessage().startsWith("NOSCRIPT")) {
        return Future.failedFuture(e);
      }
      // first use on this Redis (or after SCRIPT FLUSH / a restart): EVAL caches it again
      Request full = Request.cmd(Command.EVAL).arg(s.source()).arg(keys.size());
      keys.forEach(full::arg);
      args.forEach(full::arg);
      return redis.send(full);
    }));
  }

  /**
   * Runs {@code s} once per entry of {@code keys} (with the {@code args} of the same index) in one
   * round trip, by SHA, and again by source when this Redis does not know the script yet.
   */
  Future<List<Response>> evalBatch(LuaScript s, List<List<String>> keys, List<List<String>> args) {
    return guard(s.name(), startTimer(), redis.batch(scriptCalls(Command.EVALSHA, s.sha(), keys, args)).recover(e -> {
      if (e.getMessage() == null || !e.getMessage().contains("NOSCRIPT")) {
        return Future.failedFuture(e);
      }
      return redis.batch(scriptCalls(Command.EVAL, s.source(), keys, args));
    }));
  }

  private static List<Request> scriptCalls(Command cmd, String script, List<List<String>> keys,
                                           List<List<String>> args) {
    List<Request> reqs = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      Request r = Request.cmd(cmd).arg(script).arg(keys.get(i).size());
      keys.get(i).forEach(r::arg);
      args.get(i).forEach(r::arg);
      reqs.add(r);
    }
    return reqs;
  }

  Future<Response> send(String op, Request req) {
    return guard(op, startTimer(), redis.send(req));
  }

  /** Several commands in one round trip (not atomic). */
  Future<List<Response>> batch(String op, List<Request> reqs) {
    return guard(op, startTimer(), redis.batch(reqs));
  }

  /** Sends without waiting or bounding: for cleanup that a later call retries when it fails. */
  void batchBestEffort(String what, List<Request> reqs) {
    redis.batch(reqs).onFailure(e -> LOG.debug("{} failed: {}", what, e.toString()));
  }

  /** The kind of the last Redis failure (an exception class name), for readiness reports. */
  String lastError() {
    return lastError;
  }

  Future<Void> close() {
    return Future.join(redis.close(), historyRedis.close()).mapEmpty();
  }

  /**
   * Bounds a Redis call by {@code limitMs}, maps failures to {@code UNAVAILABLE}, and completes on
   * the caller's context: the pooled client completes on the context of the connection it used,
   * which may be another verticle's event loop.
   */
  <T> Future<T> guard(String op, Timer.Sample sample, Future<T> f, long limitMs) {
    Context caller = Vertx.currentContext();
    Thread callerThread = Thread.currentThread();
    Promise<T> result = Promise.promise();
    f.timeout(limitMs, TimeUnit.MILLISECONDS).onComplete(ar -> {
      sample.stop(Timer.builder("liveroom.redis.requests").tag("op", op)
          .tag("outcome", ar.succeeded() ? "ok" : "error").serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
      Runnable complete = () -> {
        if (ar.succeeded()) {
          result.complete(ar.result());
        } else {
          // clients get a fixed text; the cause (addresses, Redis errors) stays in the server log
          LOG.debug("redis {} failed: {}", op, ar.cause().toString());
          lastError = ar.cause().getClass().getSimpleName();
          result.fail(LiveroomException.unavailable("store unavailable (" + op + ")", ar.cause()));
        }
      };
      if (caller == null || Thread.currentThread() == callerThread) {
        complete.run();
      } else {
        caller.runOnContext(v -> complete.run());
      }
    });
    return result.future();
  }

  private <T> Future<T> guard(String op, Timer.Sample sample, Future<T> f) {
    return guard(op, sample, f, timeoutMs);
  }
}
