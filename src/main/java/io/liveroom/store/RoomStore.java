package io.liveroom.store;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.protocol.Pushes;
import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Redis as the durable store of rooms. Every method answers within {@code redis.timeoutMs} or
 * fails with {@code UNAVAILABLE}. Key layout (docs/architecture.md):
 * <ul>
 *   <li>{@code lr:r:<id>}: hash of the room, short fields {@code t o s c u m g w md} and
 *       {@code e}, the epoch of the current owner;</li>
 *   <li>{@code lr:rooms} and {@code lr:rooms:<state>}: sorted sets of ids (score 0, ordered by
 *       id) for cursor paging.</li>
 * </ul>
 * Writes of room state are Lua scripts fenced by epoch: a write from an owner whose epoch is no
 * longer current is rejected, so a stale owner cannot overwrite a newer one.
 */
public final class RoomStore {
  private static final String ALL = "lr:rooms";

  private static final Script CREATE = new Script("create", """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 't', ARGV[2], 'o', ARGV[3], 's', ARGV[4], 'c', ARGV[5], 'u', ARGV[6],
        'm', ARGV[7], 'g', ARGV[8], 'w', ARGV[9], 'md', ARGV[10], 'f', ARGV[11], 'x', ARGV[12], 'e', 1)
      redis.call('ZADD', KEYS[2], 0, ARGV[1])
      redis.call('ZADD', KEYS[3], 0, ARGV[1])
      return 1
      """);

  private static final Script HYDRATE = new Script("hydrate", """
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      redis.call('HINCRBY', KEYS[1], 'e', 1)
      return redis.call('HGETALL', KEYS[1])
      """);

  private static final Script WRITE = new Script("write", """
      local cur = redis.call('HGET', KEYS[1], 'e')
      if not cur then return -1 end
      if cur ~= ARGV[1] then return 0 end
      redis.call('HSET', KEYS[1], 't', ARGV[3], 's', ARGV[4], 'u', ARGV[5], 'm', ARGV[6], 'g', ARGV[7],
        'w', ARGV[8], 'md', ARGV[9], 'f', ARGV[11], 'x', ARGV[12])
      if KEYS[2] ~= KEYS[3] then
        redis.call('ZREM', KEYS[2], ARGV[2])
        redis.call('ZADD', KEYS[3], 0, ARGV[2])
      end
      if ARGV[4] == 'ended' then
        redis.call('PEXPIRE', KEYS[1], ARGV[10])
        redis.call('PEXPIRE', KEYS[4], ARGV[10])
        redis.call('PEXPIRE', KEYS[5], ARGV[10])
        redis.call('PEXPIRE', KEYS[6], ARGV[10])
        redis.call('PEXPIRE', KEYS[7], ARGV[10])
      end
      return 1
      """);

  /** What a fenced write found. */
  public enum WriteResult { OK, STALE, MISSING }

  /** A room as loaded by a new owner, with the epoch it now holds. */
  public record Hydrated(RoomData data, long epoch) {
  }

  /** Ids of one page and whether more follow. */
  public record Page(List<String> ids, boolean more) {
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RoomStore.class);

  private final Redis redis;
  private final Redis historyRedis;
  private volatile String lastError = "none";
  private final long timeoutMs;
  private final MeterRegistry registry;

  public RoomStore(Vertx vertx, LiveroomConfig.Redis cfg, MeterRegistry registry) {
    this.redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(cfg.url())
        .setMaxPoolSize(cfg.poolSize())
        .setMaxPoolWaiting(cfg.maxWaiting())
        .setMaxWaitingHandlers(cfg.maxWaiting())
        .setPreferredProtocolVersion(ProtocolVersion.RESP2));
    // history write-behind holds one pipelined connection per shard instance, apart from the pool
    // that serves requests, so a burst of sends can never starve loads, creates and updates
    this.historyRedis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(cfg.url())
        .setMaxPoolSize(64)
        .setMaxWaitingHandlers(cfg.maxWaiting())
        .setPreferredProtocolVersion(ProtocolVersion.RESP2));
    this.timeoutMs = cfg.timeoutMs();
    this.registry = registry;
  }

  public static String roomKey(String id) {
    return "lr:r:" + id;
  }

  public static String indexKey(RoomState state) {
    return state == null ? ALL : ALL + ":" + state.wire();
  }

  /** Creates the room with epoch 1; false when the id exists. */
  public Future<Boolean> create(RoomData d) {
    return eval("create", CREATE, List.of(roomKey(d.id()), ALL, indexKey(d.state())),
        List.of(d.id(), d.title(), d.ownerId(), d.state().wire(), Long.toString(d.createdAt()),
            Long.toString(d.updatedAt()), Integer.toString(d.maxMembers()), d.guestsCanRead() ? "1" : "0",
            Integer.toString(d.slowModeSec()), d.metadata(), d.filter(), Integer.toString(d.emptyTimeoutSec())))
        .map(r -> r.toInteger() == 1);
  }

  /** Loads a room for a new owner, taking the next epoch; null when there is no such room. */
  public Future<Hydrated> hydrate(String id) {
    return eval("hydrate", HYDRATE, List.of(roomKey(id)), List.of())
        .map(r -> r == null ? null : decode(id, r));
  }

  /**
   * Writes the room if {@code epoch} is still current. An ended room and its history get a TTL of
   * {@code retentionMs}; their index entries go when a listing finds them gone.
   */
  public Future<WriteResult> write(RoomData next, RoomState previous, long epoch, long retentionMs) {
    return eval("write", WRITE, List.of(roomKey(next.id()), indexKey(previous), indexKey(next.state()),
            historyKey(next.id()), moderationKey(next.id()), auditKey(next.id()), replayKey(next.id())),
        List.of(Long.toString(epoch), next.id(), next.title(), next.state().wire(), Long.toString(next.updatedAt()),
            Integer.toString(next.maxMembers()), next.guestsCanRead() ? "1" : "0",
            Integer.toString(next.slowModeSec()), next.metadata(), Long.toString(retentionMs), next.filter(),
            Integer.toString(next.emptyTimeoutSec())))
        .map(r -> switch (r.toInteger()) {
          case 1 -> WriteResult.OK;
          case 0 -> WriteResult.STALE;
          default -> WriteResult.MISSING;
        });
  }

  /** The current epoch of a room in Redis, or 0 when there is none. */
  public Future<Long> epoch(String id) {
    return send("epoch", Request.cmd(Command.HGET).arg(roomKey(id)).arg("e"))
        .map(r -> r == null ? 0L : r.toLong());
  }

  /** One page of room ids after {@code afterId} (exclusive; null from the start), in id order. */
  public Future<Page> page(RoomState state, String afterId, int limit) {
    Request req = Request.cmd(Command.ZRANGEBYLEX).arg(indexKey(state))
        .arg(afterId == null ? "-" : "(" + afterId).arg("+").arg("LIMIT").arg(0).arg(limit + 1);
    return send("page", req).map(r -> {
      List<String> ids = new ArrayList<>(Math.min(r.size(), limit));
      for (int i = 0; i < r.size() && i < limit; i++) {
        ids.add(r.get(i).toString());
      }
      return new Page(ids, r.size() > limit);
    });
  }

  /** The stored data of several rooms in one round trip; missing rooms are left out. */
  public Future<List<RoomData>> readAll(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> reqs = new ArrayList<>(ids.size());
    for (String id : ids) {
      reqs.add(Request.cmd(Command.HGETALL).arg(roomKey(id)));
    }
    Timer.Sample sample = Timer.start(registry);
    return guard("readAll", sample, redis.batch(reqs)).map(rs -> {
      List<RoomData> out = new ArrayList<>(ids.size());
      List<String> gone = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        Response r = rs.get(i);
        if (r != null && r.size() > 0) {
          out.add(decode(ids.get(i), r).data());
        } else {
          gone.add(ids.get(i));
        }
      }
      if (!gone.isEmpty()) {
        forgetIndexed(gone);
      }
      return out;
    });
  }

  /** History stream of a room: its recent items, capped (approximately) at the history size. */
  public static String historyKey(String id) {
    return "lr:h:" + id;
  }

  private static final Script MODERATE = new Script("moderate", """
      local cur = redis.call('HGET', KEYS[1], 'e')
      if not cur then return -1 end
      if cur ~= ARGV[1] then return 0 end
      if ARGV[2] == 'set' then
        redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
      elseif ARGV[2] == 'del' then
        redis.call('HDEL', KEYS[2], ARGV[3])
      end
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'j', ARGV[5])
      if ARGV[7] ~= '' then
        redis.call('ZREM', KEYS[4], ARGV[7])
      end
      return 1
      """);

  /** A room's replay archive: items with a progress, scored by it. */
  public static String replayKey(String id) {
    return "lr:p:" + id;
  }

  /** An item as a replay member: its JSON with the epoch, unique by (epoch, seq). */
  static String replayMember(Danmaku d) {
    return Pushes.item(d, true).encode();
  }

  /**
   * Archived items with {@code fromMs <= progress <= toMs} in progress order, at most {@code limit}
   * (plus whether more follow), without items a moderator deleted; null when there is no room.
   */
  public Future<ReplayPage> replay(String roomId, long fromMs, long toMs, int limit) {
    List<Request> reqs = List.of(
        Request.cmd(Command.EXISTS).arg(roomKey(roomId)),
        Request.cmd(Command.ZRANGEBYSCORE).arg(replayKey(roomId)).arg(fromMs).arg(toMs).arg("LIMIT").arg(0)
            .arg(limit + 1),
        Request.cmd(Command.HGETALL).arg(moderationKey(roomId)));
    return guard("replay", Timer.start(registry), redis.batch(reqs)).map(rs -> {
      if (rs.get(0).toInteger() == 0) {
        return null;
      }
      java.util.Set<String> deleted = new java.util.HashSet<>();
      Response m = rs.get(2);
      for (int i = 0; m != null && i + 1 < m.size(); i += 2) {
        String f = m.get(i).toString();
        if (f.startsWith("de:")) {
          deleted.add(f.substring(3));
        }
      }
      Response r = rs.get(1);
      List<JsonObject> items = new ArrayList<>();
      for (int i = 0; i < r.size() && i < limit; i++) {
        JsonObject item = new JsonObject(r.get(i).toString());
        if (!deleted.contains(item.getLong("epoch") + ":" + item.getLong("seq"))) {
          items.add(item);
        }
      }
      return new ReplayPage(items, r.size() > limit);
    });
  }

  /** One window of the replay archive. */
  public record ReplayPage(List<JsonObject> items, boolean more) {
  }

  /** A room's moderation state: muted and banned users, mute all, pin, deleted items. */
  public static String moderationKey(String id) {
    return "lr:m:" + id;
  }

  /** A room's audit log of moderation actions (a capped stream). */
  public static String auditKey(String id) {
    return "lr:a:" + id;
  }

  /** The fields of a room's moderation hash (empty when there is none). */
  public Future<Map<String, String>> moderation(String id) {
    return send("moderation", Request.cmd(Command.HGETALL).arg(moderationKey(id))).map(r -> {
      Map<String, String> out = new HashMap<>();
      for (int i = 0; r != null && i + 1 < r.size(); i += 2) {
        out.put(r.get(i).toString(), r.get(i + 1).toString());
      }
      return out;
    });
  }

  /**
   * Applies one moderation change ({@code op} {@code set}, {@code del} or {@code none}) and appends
   * the audit entry, atomically and only if {@code epoch} is still current.
   */
  public Future<WriteResult> moderate(String roomId, long epoch, String op, String field, String value,
                                      JsonObject audit, int auditCap, Danmaku removeFromReplay) {
    return eval("moderate", MODERATE, List.of(roomKey(roomId), moderationKey(roomId), auditKey(roomId),
            replayKey(roomId)),
        List.of(Long.toString(epoch), op, field == null ? "" : field, value == null ? "" : value, audit.encode(),
            Integer.toString(auditCap), removeFromReplay == null ? "" : replayMember(removeFromReplay)))
        .map(r -> switch (r.toInteger()) {
          case 1 -> WriteResult.OK;
          case 0 -> WriteResult.STALE;
          default -> WriteResult.MISSING;
        });
  }

  /** One page of a room's audit log, newest first; null when the room does not exist. */
  public record AuditPage(List<JsonObject> entries, String next) {
  }

  public Future<AuditPage> auditLog(String roomId, String before, int limit) {
    List<Request> reqs = List.of(
        Request.cmd(Command.EXISTS).arg(roomKey(roomId)),
        Request.cmd(Command.XREVRANGE).arg(auditKey(roomId)).arg(before == null ? "+" : "(" + before).arg("-")
            .arg("COUNT").arg(limit + 1));
    return guard("auditLog", Timer.start(registry), redis.batch(reqs)).map(rs -> {
      if (rs.get(0).toInteger() == 0) {
        return null;
      }
      Response r = rs.get(1);
      List<JsonObject> entries = new ArrayList<>();
      String last = null;
      for (int i = 0; i < r.size() && i < limit; i++) {
        Response e = r.get(i);
        last = e.get(0).toString();
        Response fields = e.get(1);
        for (int f = 0; f + 1 < fields.size(); f += 2) {
          if (fields.get(f).toString().equals("j")) {
            entries.add(new JsonObject(fields.get(f + 1).toString()));
          }
        }
      }
      return new AuditPage(entries, r.size() > limit ? last : null);
    });
  }

  /** A writer of history items over its own pipelined connection: one per shard instance. */
  public HistoryWriter historyWriter() {
    return new HistoryWriter();
  }

  /**
   * Appends history items to rooms' streams over one long-lived connection (commands are
   * pipelined on it), reconnecting after a failure. Its calls may take up to 10x
   * {@code redis.timeoutMs}: a timed-out XADD may still be applied, and a retry then stores the
   * item twice, which readers of history drop by (epoch, seq).
   */
  public final class HistoryWriter {
    private Future<RedisConnection> connection;

    public Future<Void> append(String roomId, Danmaku d, int cap) {
      return append(roomId, d, cap, 0);
    }

    /**
     * Appends to the history stream and, for an item with a progress and {@code replayCap > 0},
     * to the replay archive, capped at {@code replayCap} items (the lowest progress goes first).
     */
    public Future<Void> append(String roomId, Danmaku d, int cap, int replayCap) {
      String json = Pushes.item(d, true).encode();
      List<Request> reqs = new ArrayList<>(3);
      reqs.add(Request.cmd(Command.XADD).arg(historyKey(roomId)).arg("MAXLEN").arg("~").arg(cap).arg("*")
          .arg("j").arg(json));
      if (d.progress() >= 0 && replayCap > 0) {
        reqs.add(Request.cmd(Command.ZADD).arg(replayKey(roomId)).arg(d.progress()).arg(json));
        reqs.add(Request.cmd(Command.ZREMRANGEBYRANK).arg(replayKey(roomId)).arg(0).arg(-(replayCap + 1)));
      }
      Timer.Sample sample = Timer.start(registry);
      Future<List<Response>> sent = connection().compose(c -> c.batch(reqs));
      return guard("xadd", sample, sent, timeoutMs * 10).onFailure(e -> {
        if (e.getCause() instanceof java.util.concurrent.TimeoutException) {
          reset(); // the connection may be stuck: start afresh
        }
      }).mapEmpty();
    }

    private Future<RedisConnection> connection() {
      if (connection == null || connection.failed()) {
        Future<RedisConnection> f = historyRedis.connect();
        connection = f;
        // a failed or ended connection closes itself: only forget it, so the next append reconnects
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

    public void close() {
      reset();
    }
  }

  /** The newest {@code n} items of a room's history, oldest first (items of earlier epochs too). */
  public Future<List<Danmaku>> recentHistory(String roomId, int n) {
    if (n == 0) {
      return Future.succeededFuture(List.of());
    }
    Request req = Request.cmd(Command.XREVRANGE).arg(historyKey(roomId)).arg("+").arg("-").arg("COUNT").arg(n);
    return send("xrevrange", req).map(r -> {
      List<Danmaku> out = new ArrayList<>(r.size());
      for (int i = r.size() - 1; i >= 0; i--) {
        Response fields = r.get(i).get(1);
        for (int f = 0; f + 1 < fields.size(); f += 2) {
          if (fields.get(f).toString().equals("j")) {
            out.add(itemOf(new JsonObject(fields.get(f + 1).toString())));
          }
        }
      }
      return out;
    });
  }

  private static Danmaku itemOf(JsonObject o) {
    JsonObject user = o.getJsonObject("user", new JsonObject());
    return new Danmaku(o.getLong("epoch", 0L), o.getLong("seq", 0L), user.getString("id"), user.getString("name"),
        o.getString("text"), o.getString("color"), o.getString("mode"), o.getLong("progress", -1L),
        o.getLong("ts", 0L), o.getInteger("priority", 0));
  }

  /** Removes ids of expired rooms from the index sets (best effort; a later listing retries). */
  private void forgetIndexed(List<String> ids) {
    List<Request> reqs = new ArrayList<>();
    reqs.add(Request.cmd(Command.ZREM).arg(ALL));
    for (RoomState st : RoomState.values()) {
      reqs.add(Request.cmd(Command.ZREM).arg(indexKey(st)));
    }
    for (Request r : reqs) {
      ids.forEach(r::arg);
    }
    redis.batch(reqs).onFailure(e -> LOG.debug("index cleanup failed: {}", e.toString()));
  }

  /** How many rooms exist (hot or cold, any state). */
  public Future<Long> count() {
    return send("count", Request.cmd(Command.ZCARD).arg(ALL)).map(Response::toLong);
  }

  /** The kind of the last Redis failure (an exception class name), for readiness reports. */
  public String lastError() {
    return lastError;
  }

  public Future<Void> ping() {
    return send("ping", Request.cmd(Command.PING)).mapEmpty();
  }

  public Future<Void> close() {
    return Future.join(redis.close(), historyRedis.close()).mapEmpty();
  }

  private static Hydrated decode(String id, Response r) {
    String title = null;
    String ownerId = null;
    String metadata = "{}";
    RoomState state = RoomState.CREATED;
    long created = 0;
    long updated = 0;
    long epoch = 0;
    int maxMembers = 0;
    int slowMode = 0;
    boolean guests = true;
    String filter = RoomData.FILTER_MASK;
    int emptyTimeout = 0;
    for (int i = 0; i + 1 < r.size(); i += 2) {
      String v = r.get(i + 1).toString();
      switch (r.get(i).toString()) {
        case "t" -> title = v;
        case "o" -> ownerId = v;
        case "s" -> state = RoomState.fromWire(v);
        case "c" -> created = Long.parseLong(v);
        case "u" -> updated = Long.parseLong(v);
        case "m" -> maxMembers = Integer.parseInt(v);
        case "g" -> guests = v.equals("1");
        case "w" -> slowMode = Integer.parseInt(v);
        case "md" -> metadata = v;
        case "e" -> epoch = Long.parseLong(v);
        case "f" -> filter = v;
        case "x" -> emptyTimeout = Integer.parseInt(v);
        default -> {
          // fields of later versions are kept in Redis and ignored here
        }
      }
    }
    return new Hydrated(new RoomData(id, title, ownerId, state, created, updated, maxMembers, guests, slowMode,
        metadata, filter, emptyTimeout), epoch);
  }

  private Future<Response> eval(String op, Script s, List<String> keys, List<String> args) {
    Request sha = Request.cmd(Command.EVALSHA).arg(s.sha).arg(keys.size());
    keys.forEach(sha::arg);
    args.forEach(sha::arg);
    Timer.Sample sample = Timer.start(registry);
    return guard(op, sample, redis.send(sha).recover(e -> {
      if (e.getMessage() == null || !e.getMessage().startsWith("NOSCRIPT")) {
        return Future.failedFuture(e);
      }
      // first use on this Redis (or after SCRIPT FLUSH / a restart): EVAL caches it again
      Request full = Request.cmd(Command.EVAL).arg(s.source).arg(keys.size());
      keys.forEach(full::arg);
      args.forEach(full::arg);
      return redis.send(full);
    }));
  }

  private Future<Response> send(String op, Request req) {
    return guard(op, Timer.start(registry), redis.send(req));
  }

  /**
   * Bounds a Redis call by {@code redis.timeoutMs}, maps failures to {@code UNAVAILABLE}, and
   * completes on the caller's context: the pooled client completes on the context of the
   * connection it used, which may be another verticle's event loop.
   */
  private <T> Future<T> guard(String op, Timer.Sample sample, Future<T> f) {
    return guard(op, sample, f, timeoutMs);
  }

  private <T> Future<T> guard(String op, Timer.Sample sample, Future<T> f, long limitMs) {
    Context caller = Vertx.currentContext();
    Thread callerThread = Thread.currentThread();
    Promise<T> result = Promise.promise();
    f.timeout(limitMs, TimeUnit.MILLISECONDS).onComplete(ar -> {
      sample.stop(Timer.builder("liveroom.redis.requests").tag("op", op)
          .tag("outcome", ar.succeeded() ? "ok" : "error").register(registry));
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

  /** A Lua script with its SHA-1, computed here so that no start-up round trip is needed. */
  private record Script(String name, String source, String sha) {
    Script(String name, String source) {
      this(name, source, sha1(source));
    }

    private static String sha1(String s) {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
