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
 * fails with {@code UNAVAILABLE}. Key layout (docs/architecture.md), sized so that a cold room
 * costs under 200 bytes of Redis memory:
 * <ul>
 *   <li>{@code lr:r:<id>}: hash of the room, short fields {@code t o s c m e} always ({@code s}
 *       is the state's ordinal, one digit), and
 *       {@code u g w md f x} only when they differ from their defaults ({@code u} = {@code c},
 *       guests allowed, no slow mode, {@code {}}, {@code mask}, no empty timeout); {@code e} is
 *       the epoch of the current owner;</li>
 *   <li>{@code lr:ix:<state>:<bucket>}: the ids of the rooms in that state whose id hashes to
 *       that bucket ({@link #BUCKETS} buckets), score 0, small enough to stay listpack-encoded
 *       (about 18 bytes per room instead of about 110 in one big sorted set);</li>
 *   <li>{@code lr:ix:<state>}: the non-empty buckets of a state (member and score = bucket),
 *       so that a listing skips empty ones;</li>
 *   <li>{@code lr:count}: hash of room counts per state.</li>
 * </ul>
 * Listings page in (bucket, id) order, and the cursor is the last id of a page (its bucket
 * follows from it). Writes of room state are Lua scripts fenced by epoch: a write from an owner
 * whose epoch is no longer current is rejected, so a stale owner cannot overwrite a newer one.
 */
public final class RoomStore {
  /** Index buckets per state: about 60 ids each at 1,000,000 rooms, under Redis's listpack limit of 128. */
  public static final int BUCKETS = 16384;
  private static final String COUNT = "lr:count";

  private static final Script CREATE = new Script("create", """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 'e', 1, unpack(ARGV, 4))
      redis.call('ZADD', KEYS[2], 0, ARGV[1])
      redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
      redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
      return 1
      """);

  private static final Script HYDRATE = new Script("hydrate", """
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      redis.call('HINCRBY', KEYS[1], 'e', 1)
      return redis.call('HGETALL', KEYS[1])
      """);

  // KEYS: room, old bucket, old bucket set, new bucket, new bucket set, count, history, moderation,
  // audit, replay. ARGV: epoch, id, bucket, old state, new state, retention ms, n fields to delete,
  // those fields, then field/value pairs to set
  private static final Script WRITE = new Script("write", """
      local cur = redis.call('HGET', KEYS[1], 'e')
      if not cur then return -1 end
      if cur ~= ARGV[1] then return 0 end
      local ndel = tonumber(ARGV[7])
      if ndel > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 8, 7 + ndel)) end
      redis.call('HSET', KEYS[1], unpack(ARGV, 8 + ndel))
      if ARGV[4] ~= ARGV[5] then
        if redis.call('ZREM', KEYS[2], ARGV[2]) == 1 then
          redis.call('HINCRBY', KEYS[6], ARGV[4], -1)
          if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('ZREM', KEYS[3], ARGV[3]) end
        end
        if redis.call('ZADD', KEYS[4], 0, ARGV[2]) == 1 then redis.call('HINCRBY', KEYS[6], ARGV[5], 1) end
        redis.call('ZADD', KEYS[5], ARGV[3], ARGV[3])
      end
      if ARGV[5] == 'ended' then
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        redis.call('PEXPIRE', KEYS[7], ARGV[6])
        redis.call('PEXPIRE', KEYS[8], ARGV[6])
        redis.call('PEXPIRE', KEYS[9], ARGV[6])
        redis.call('PEXPIRE', KEYS[10], ARGV[6])
      end
      return 1
      """);

  // one page in (bucket, id) order. ARGV: limit + 1, bucket after which to start, id after which
  // to start within that bucket ('' for none), then the states. Walks the non-empty buckets only.
  private static final Script PAGE = new Script("page", """
      local want = tonumber(ARGV[1])
      local bucket = tonumber(ARGV[2])
      local after = ARGV[3]
      local out = {}
      local scans = 0
      while #out < want and scans <= want do
        scans = scans + 1
        local next = nil
        for s = 4, #ARGV do
          local b = redis.call('ZRANGEBYSCORE', 'lr:ix:' .. ARGV[s], after == '' and '(' .. bucket or bucket, '+inf',
            'LIMIT', 0, 1)
          if #b > 0 and (next == nil or tonumber(b[1]) < next) then next = tonumber(b[1]) end
        end
        if next == nil then break end
        if next ~= bucket then after = '' end
        local ids = {}
        for s = 4, #ARGV do
          local m = redis.call('ZRANGEBYLEX', 'lr:ix:' .. ARGV[s] .. ':' .. next, after == '' and '-' or '(' .. after,
            '+')
          for i = 1, #m do ids[#ids + 1] = m[i] end
        end
        table.sort(ids)
        for i = 1, #ids do
          if #out < want then out[#out + 1] = ids[i] end
        end
        bucket = next
        after = ''
      end
      return out
      """);

  // KEYS: room, count. ARGV: id, bucket, then the states. Drops an expired room from the index.
  private static final Script FORGET = new Script("forget", """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      local n = 0
      for s = 3, #ARGV do
        local z = 'lr:ix:' .. ARGV[s] .. ':' .. ARGV[2]
        if redis.call('ZREM', z, ARGV[1]) == 1 then
          n = n + 1
          redis.call('HINCRBY', KEYS[2], ARGV[s], -1)
          if redis.call('ZCARD', z) == 0 then redis.call('ZREM', 'lr:ix:' .. ARGV[s], ARGV[2]) end
        end
      end
      return n
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

  /** The index bucket of a room id (String.hashCode is specified, so every node agrees). */
  public static int bucketOf(String id) {
    return Math.floorMod(id.hashCode(), BUCKETS);
  }

  /** The sorted set of the ids in {@code state} whose bucket is {@code bucket}. */
  public static String bucketKey(RoomState state, int bucket) {
    return bucketSetKey(state) + ":" + bucket;
  }

  /** The sorted set of the non-empty buckets of {@code state}. */
  public static String bucketSetKey(RoomState state) {
    return "lr:ix:" + state.wire();
  }

  /** Creates the room with epoch 1; false when the id exists. */
  public Future<Boolean> create(RoomData d) {
    int b = bucketOf(d.id());
    List<String> args = new ArrayList<>(24);
    args.add(d.id());
    args.add(Integer.toString(b));
    args.add(d.state().wire());
    fields(d, args, null);
    return eval("create", CREATE, List.of(roomKey(d.id()), bucketKey(d.state(), b), bucketSetKey(d.state()), COUNT),
        args).map(r -> r.toInteger() == 1);
  }

  /**
   * The hash fields of a room as field/value pairs, leaving out those at their default; the
   * defaults left out are added to {@code unset} (when not null), for a write to delete them.
   */
  private static void fields(RoomData d, List<String> pairs, List<String> unset) {
    pairs.add("t");
    pairs.add(d.title());
    pairs.add("o");
    pairs.add(d.ownerId());
    pairs.add("s");
    pairs.add(Integer.toString(d.state().ordinal())); // a one-digit integer: 4 bytes less than the name
    pairs.add("c");
    pairs.add(Long.toString(d.createdAt()));
    pairs.add("m");
    pairs.add(Integer.toString(d.maxMembers()));
    optional(pairs, unset, "u", d.updatedAt() == d.createdAt(), Long.toString(d.updatedAt()));
    optional(pairs, unset, "g", d.guestsCanRead(), "0");
    optional(pairs, unset, "w", d.slowModeSec() == 0, Integer.toString(d.slowModeSec()));
    optional(pairs, unset, "md", d.metadata().equals("{}"), d.metadata());
    optional(pairs, unset, "f", d.filter().equals(RoomData.FILTER_MASK), d.filter());
    optional(pairs, unset, "x", d.emptyTimeoutSec() == 0, Integer.toString(d.emptyTimeoutSec()));
  }

  private static void optional(List<String> pairs, List<String> unset, String field, boolean isDefault, String value) {
    if (!isDefault) {
      pairs.add(field);
      pairs.add(value);
    } else if (unset != null) {
      unset.add(field);
    }
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
    String id = next.id();
    int b = bucketOf(id);
    List<String> pairs = new ArrayList<>(24);
    List<String> unset = new ArrayList<>(6);
    fields(next, pairs, unset);
    List<String> args = new ArrayList<>(8 + unset.size() + pairs.size());
    args.add(Long.toString(epoch));
    args.add(id);
    args.add(Integer.toString(b));
    args.add(previous.wire());
    args.add(next.state().wire());
    args.add(Long.toString(retentionMs));
    args.add(Integer.toString(unset.size()));
    args.addAll(unset);
    args.addAll(pairs);
    return eval("write", WRITE, List.of(roomKey(id), bucketKey(previous, b), bucketSetKey(previous),
            bucketKey(next.state(), b), bucketSetKey(next.state()), COUNT, historyKey(id), moderationKey(id),
            auditKey(id), replayKey(id)), args)
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

  /**
   * One page of room ids after {@code afterId} (exclusive; null from the start), in (bucket, id)
   * order: stable, so a cursor walk sees every room that exists throughout it exactly once.
   */
  public Future<Page> page(RoomState state, String afterId, int limit) {
    List<String> args = new ArrayList<>(8);
    args.add(Integer.toString(limit + 1));
    args.add(afterId == null ? "-1" : Integer.toString(bucketOf(afterId)));
    args.add(afterId == null ? "" : afterId);
    if (state != null) {
      args.add(state.wire());
    } else {
      for (RoomState st : RoomState.values()) {
        args.add(st.wire());
      }
    }
    return eval("page", PAGE, List.of(), args).map(r -> {
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

  /** Removes ids of expired rooms from the index (best effort; a later listing retries). */
  private void forgetIndexed(List<String> ids) {
    List<Request> reqs = new ArrayList<>(ids.size());
    for (String id : ids) {
      Request r = Request.cmd(Command.EVAL).arg(FORGET.source).arg(2).arg(roomKey(id)).arg(COUNT).arg(id)
          .arg(bucketOf(id));
      for (RoomState st : RoomState.values()) {
        r.arg(st.wire());
      }
      reqs.add(r);
    }
    redis.batch(reqs).onFailure(e -> LOG.debug("index cleanup failed: {}", e.toString()));
  }

  /** How many rooms exist (hot or cold, any state). */
  public Future<Long> count() {
    return send("count", Request.cmd(Command.HVALS).arg(COUNT)).map(r -> {
      long n = 0;
      for (Response v : r) {
        n += v.toLong();
      }
      return n;
    });
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
    long updated = -1;
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
        case "s" -> state = v.length() == 1 && Character.isDigit(v.charAt(0))
            ? RoomState.ofOrdinal(v.charAt(0) - '0') : RoomState.fromWire(v);
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
    if (updated < 0) {
      updated = created; // left out when the room was never updated
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
