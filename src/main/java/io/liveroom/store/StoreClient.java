package io.liveroom.store;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.config.RedisMode;
import io.liveroom.error.LiveroomException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
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
  private final boolean cluster;
  private final long timeoutMs;
  private final int maxWaiting;
  private final int replicasToAck;
  private final long replicasAckTimeoutMs;
  private final MeterRegistry registry;
  private volatile String lastError = "none";

  StoreClient(Vertx vertx, LiveroomConfig.Redis cfg, MeterRegistry registry) {
    this.cluster = cfg.mode() == RedisMode.CLUSTER;
    this.redis = Redis.createClient(vertx, options(cfg)
        .setMaxPoolSize(cfg.poolSize())
        // the cluster and sentinel clients refuse fewer waiters than pooled connections
        .setMaxPoolWaiting(Math.max(cfg.maxWaiting(), cfg.poolSize()))
        .setMaxWaitingHandlers(cfg.maxWaiting()));
    // the appends and the creates hold one pipelined connection each per shard instance, apart
    // from the pool that serves requests, so a burst of sends can never starve loads and updates
    this.historyRedis = Redis.createClient(vertx, options(cfg)
        .setMaxPoolSize(64)
        .setMaxPoolWaiting(Math.max(cfg.maxWaiting(), 64))
        .setMaxWaitingHandlers(cfg.maxWaiting()));
    this.timeoutMs = cfg.timeoutMs();
    this.maxWaiting = cfg.maxWaiting();
    this.replicasToAck = cfg.replicasToAck();
    this.replicasAckTimeoutMs = cfg.replicasAckTimeoutMs();
    this.registry = registry;
  }

  /**
   * The client options of {@code redis.mode}: one Redis at {@code redis.url}; the primary the
   * Sentinels name for {@code redis.masterName} (the client asks them again after a failover);
   * or a Redis Cluster found from {@code redis.nodes}, reading and writing on masters only.
   */
  static RedisOptions options(LiveroomConfig.Redis cfg) {
    RedisOptions o = new RedisOptions().setPreferredProtocolVersion(ProtocolVersion.RESP2);
    switch (cfg.mode()) {
      case STANDALONE -> o.setConnectionString(cfg.url());
      case SENTINEL -> {
        o.setType(RedisClientType.SENTINEL).setMasterName(cfg.masterName()).setRole(RedisRole.MASTER);
        cfg.sentinels().forEach(hp -> o.addConnectionString((cfg.tls() ? "rediss://" : "redis://") + hp));
      }
      case CLUSTER -> {
        o.setType(RedisClientType.CLUSTER).setUseReplicas(RedisReplicas.NEVER);
        cfg.nodes().forEach(hp -> o.addConnectionString((cfg.tls() ? "rediss://" : "redis://") + hp));
      }
      default -> throw new IllegalStateException(cfg.mode().toString());
    }
    if (!cfg.password().isEmpty()) {
      o.setPassword(cfg.password());
    }
    return o;
  }

  /** Whether Redis is a Redis Cluster: a batch then goes as one batch per hash slot ({@link #batch(String, List, List)}). */
  boolean cluster() {
    return cluster;
  }

  /**
   * {@code redis.maxWaiting}: also the commands a connection may have in flight, so a batch larger
   * than this (its {@code WAIT} included) could never be sent.
   */
  int maxWaiting() {
    return maxWaiting;
  }

  long timeoutMs() {
    return timeoutMs;
  }

  Timer.Sample startTimer() {
    return Timer.start(registry);
  }

  /** A long-lived connection of its own for pipelined writes (the appends that make sends durable, the creates). */
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
   * {@link #eval}, and done only once {@code redis.replicasToAck} replicas hold its writes (and
   * every write before them): for the claims of epochs, so that a promoted replica never hands out
   * an epoch again. With 0 replicas to wait for, the same as {@link #eval}.
   */
  Future<Response> evalAcked(LuaScript s, List<String> keys, List<String> args) {
    if (replicasToAck == 0) {
      return eval(s, keys, args);
    }
    Function<List<Request>, Future<List<Response>>> send = acked(s.name(), redis::batch);
    Future<List<Response>> sent = send.apply(scriptCalls(Command.EVALSHA, s.sha(), List.of(keys), List.of(args)))
        .recover(e -> {
          if (e.getMessage() == null || !e.getMessage().contains("NOSCRIPT")) {
            return Future.failedFuture(e);
          }
          return send.apply(scriptCalls(Command.EVAL, s.source(), List.of(keys), List.of(args)));
        });
    return guard(s.name(), startTimer(), sent.map(rs -> rs.get(0)));
  }

  /** Whether writes wait for {@code redis.replicasToAck} replicas ({@link #acked}). */
  boolean waitsForReplicas() {
    return replicasToAck > 0;
  }

  /**
   * {@code batch} made to wait for {@code redis.replicasToAck} replicas: a {@code WAIT n
   * replicasAckTimeoutMs} goes last in each batch, so it runs on the connection that ran the batch
   * (on a Redis Cluster the master of the batch's slot: the cluster client sends a batch to the
   * master of its keyed commands, and {@code WAIT} has no key) and counts the replicas that hold
   * everything that connection wrote. Answers the batch's own answers, or fails when fewer replicas
   * confirmed in time (the writes are then on the primary, maybe not on a replica: the caller treats
   * it as any failed write). With 0 replicas to wait for, {@code batch} itself. Timed as
   * {@code liveroom.redis.replica.acks} (op, outcome ok, short or error).
   */
  Function<List<Request>, Future<List<Response>>> acked(String op,
                                                       Function<List<Request>, Future<List<Response>>> batch) {
    if (replicasToAck == 0) {
      return batch;
    }
    return reqs -> {
      List<Request> withWait = new ArrayList<>(reqs.size() + 1);
      withWait.addAll(reqs);
      withWait.add(Request.cmd(Command.WAIT).arg(replicasToAck).arg(replicasAckTimeoutMs));
      Timer.Sample sample = startTimer();
      return batch.apply(withWait).transform(ar -> {
        if (ar.failed()) {
          sample.stop(replicaAcks(op, "error"));
          return Future.failedFuture(ar.cause());
        }
        List<Response> rs = ar.result();
        int confirmed = rs.get(reqs.size()).toInteger();
        if (confirmed < replicasToAck) {
          sample.stop(replicaAcks(op, "short"));
          return Future.failedFuture(new ReplicasNotAcked(confirmed, replicasToAck, replicasAckTimeoutMs));
        }
        sample.stop(replicaAcks(op, "ok"));
        return Future.succeededFuture(rs.subList(0, reqs.size()));
      });
    };
  }

  private Timer replicaAcks(String op, String outcome) {
    return Timer.builder("liveroom.redis.replica.acks").tag("op", op).tag("outcome", outcome)
        .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
  }

  /** A write that fewer replicas than {@code redis.replicasToAck} confirmed within the timeout. */
  static final class ReplicasNotAcked extends IllegalStateException {
    ReplicasNotAcked(int confirmed, int wanted, long timeoutMs) {
      super("WAIT: " + confirmed + " of " + wanted + " replicas confirmed the write within " + timeoutMs + " ms");
    }
  }

  /**
   * Runs {@code s} once per entry of {@code keys} (with the {@code args} of the same index) in one
   * round trip, by SHA, and again by source when this Redis does not know the script yet.
   */
  Future<List<Response>> evalBatch(LuaScript s, List<List<String>> keys, List<List<String>> args) {
    List<String> slotKeys = new ArrayList<>(keys.size());
    keys.forEach(k -> slotKeys.add(k.get(0)));
    return guard(s.name(), startTimer(), bySlot(this::pooledBatch, scriptCalls(Command.EVALSHA, s.sha(), keys, args),
        slotKeys).recover(e -> {
          if (e.getMessage() == null || !e.getMessage().contains("NOSCRIPT")) {
            return Future.failedFuture(e);
          }
          return bySlot(this::pooledBatch, scriptCalls(Command.EVAL, s.source(), keys, args), slotKeys);
        }));
  }

  /** One {@code cmd} (EVALSHA by SHA, or EVAL by source) of the script per entry of {@code keys}, with the {@code args} of the same index. */
  static List<Request> scriptCalls(Command cmd, String script, List<List<String>> keys,
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

  /** Several commands of one hash slot (one room's, or one slot group's) in one round trip (not atomic). */
  Future<List<Response>> batch(String op, List<Request> reqs) {
    return guard(op, startTimer(), pooledBatch(reqs));
  }

  /**
   * Several commands in one round trip (not atomic), where {@code slotKeys.get(i)} is a key of
   * request i: on a Redis Cluster they go as one batch per hash slot, all at once, and the answers
   * come back in the order of {@code reqs}.
   */
  Future<List<Response>> batch(String op, List<Request> reqs, List<String> slotKeys) {
    return guard(op, startTimer(), bySlot(this::pooledBatch, reqs, slotKeys));
  }

  /** Sends without waiting or bounding: for cleanup that a later call retries when it fails. */
  void batchBestEffort(String what, List<Request> reqs, List<String> slotKeys) {
    bySlot(this::pooledBatch, reqs, slotKeys).onFailure(e -> LOG.debug("{} failed: {}", what, e.toString()));
  }

  /** A batch on the pooled client; on a Redis Cluster its requests go one by one ({@link #sendEach}). */
  private Future<List<Response>> pooledBatch(List<Request> reqs) {
    return cluster ? redis.connect().compose(c -> sendEach(c, reqs).eventually(c::close)) : redis.batch(reqs);
  }

  /**
   * The requests of a batch on a Redis Cluster connection, each sent alone, all at once, pipelined
   * in order on the connection's link to each master. While a slot moves between masters Redis
   * answers a command it will not run with {@code ASK} (its keys went to the importing master),
   * {@code TRYAGAIN} (a multi-key command whose keys are split between the two masters, or not all
   * there), and once the slot has moved with {@code MOVED}. vertx-redis-client 5 follows these for
   * a command sent alone ({@code ASKING} then the command on the importing master; the new owner,
   * and a refresh of its slot map, after {@code MOVED}; {@code TRYAGAIN} again after a backoff of
   * 10 ms doubling to 1.28 s; 16 times at most), but not in a batch, which fails with one {@code
   * ERR [i] <error>} per failed command while the others ran. A redirected command had not run, so
   * sending it again cannot apply it twice.
   */
  static Future<List<Response>> sendEach(RedisConnection c, List<Request> reqs) {
    List<Future<Response>> sent = new ArrayList<>(reqs.size());
    reqs.forEach(r -> sent.add(c.send(r)));
    return Future.all(sent).map(CompositeFuture::list);
  }

  /**
   * {@code send} of {@code reqs} as one batch, or on a Redis Cluster (whose client refuses a batch
   * whose keys live on different masters) as one batch per hash slot, sent together; requests of
   * one slot keep their order.
   */
  Future<List<Response>> bySlot(Function<List<Request>, Future<List<Response>>> send, List<Request> reqs,
                                List<String> slotKeys) {
    if (!cluster || reqs.size() <= 1) {
      return send.apply(reqs);
    }
    Map<Integer, List<Integer>> slots = new LinkedHashMap<>();
    for (int i = 0; i < reqs.size(); i++) {
      slots.computeIfAbsent(RoomKeys.slotOf(slotKeys.get(i)), k -> new ArrayList<>()).add(i);
    }
    if (slots.size() == 1) {
      return send.apply(reqs);
    }
    List<Future<List<Response>>> parts = new ArrayList<>(slots.size());
    List<List<Integer>> positions = new ArrayList<>(slots.values());
    for (List<Integer> at : positions) {
      List<Request> part = new ArrayList<>(at.size());
      at.forEach(i -> part.add(reqs.get(i)));
      parts.add(send.apply(part));
    }
    return Future.all(parts).map(cf -> {
      Response[] out = new Response[reqs.size()];
      for (int p = 0; p < parts.size(); p++) {
        List<Response> rs = parts.get(p).result();
        List<Integer> at = positions.get(p);
        for (int j = 0; j < at.size(); j++) {
          out[at.get(j)] = rs.get(j);
        }
      }
      return Arrays.asList(out);
    });
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
