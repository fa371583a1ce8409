package io.liveroom.store;

import static io.liveroom.store.RoomKeys.historyKey;
import static io.liveroom.store.RoomKeys.idempotencyKey;
import static io.liveroom.store.RoomKeys.idempotencyTimesKey;
import static io.liveroom.store.RoomKeys.moderationKey;
import static io.liveroom.store.RoomKeys.replayKey;
import static io.liveroom.store.RoomKeys.roomKey;

import io.liveroom.protocol.Pushes;
import io.liveroom.room.Danmaku;
import io.liveroom.room.StoredKey;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A room's items in Redis: the history stream {@code lr:{g}:h:<id>} (its recent items, for joins) and
 * the replay archive {@code lr:{g}:p:<id>} (items with a progress, scored by it, for playback).
 * Items are stored, with their idempotency keys, by a {@link RoomStore.Appender} before they are
 * acknowledged.
 */
public final class HistoryStore {
  /** Members of the replay archive per ZSCAN round trip, and round trips at most (a bound past any archive size). */
  private static final int SCAN_COUNT = 1000;
  private static final int MAX_SCANS = 10_000;

  private final StoreClient client;

  HistoryStore(StoreClient client) {
    this.client = client;
  }

  /** One room's part of an append batch: its items in seq order, each with its idempotency key or null. */
  public record RoomAppends(String roomId, long epoch, List<Danmaku> items, List<String> keys) {
  }

  // KEYS: room, history, replay, idempotency keys, their times. ARGV: epoch, history cap, replay
  // cap, key ttl ms, now, max keys, then per item: key ('' for none), seq, progress, item JSON
  static final LuaScript APPEND = new LuaScript("append", """
      local cur = redis.call('HGET', KEYS[1], 'e')
      if not cur then return -1 end
      if cur ~= ARGV[1] then return 0 end
      local replay, keyed = false, false
      for i = 7, #ARGV, 4 do
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'j', ARGV[i + 3])
        if tonumber(ARGV[i + 2]) >= 0 and tonumber(ARGV[3]) > 0 then
          redis.call('ZADD', KEYS[3], ARGV[i + 2], ARGV[i + 3])
          replay = true
        end
        if ARGV[i] ~= '' then
          redis.call('HSET', KEYS[4], ARGV[i], ARGV[1] .. ':' .. ARGV[i + 1] .. ':' .. ARGV[5])
          redis.call('ZADD', KEYS[5], ARGV[5], ARGV[i])
          keyed = true
        end
      end
      if replay then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[3]) + 1)) end
      if keyed then
        local old = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', tonumber(ARGV[5]) - tonumber(ARGV[4]), 'LIMIT', 0, 1000)
        local over = redis.call('ZCARD', KEYS[5]) - #old - tonumber(ARGV[6])
        if over > 0 then
          for _, k in ipairs(redis.call('ZRANGE', KEYS[5], #old, #old + math.min(over, 1000) - 1)) do
            table.insert(old, k)
          end
        end
        if #old > 0 then
          redis.call('HDEL', KEYS[4], unpack(old))
          redis.call('ZREM', KEYS[5], unpack(old))
        end
        redis.call('PEXPIRE', KEYS[4], ARGV[4])
        redis.call('PEXPIRE', KEYS[5], ARGV[4])
      end
      return 1
      """);

  /**
   * Stores the items of many rooms in one round trip: per room one script call that checks the
   * room's epoch (a stale owner's items are refused: {@code STALE}) and appends them to the
   * history stream, the replay archive (items with a progress, capped at {@code replayCap}) and
   * their idempotency keys (kept {@code keyTtlMs}, at most {@code maxKeys} per room). A batch that
   * fails or times out may have been applied in part.
   */
  Future<List<RoomStore.WriteResult>> append(PipelinedConnection connection, List<RoomAppends> batch, int cap,
                                             int replayCap, long keyTtlMs, int maxKeys, long now) {
    // a timeout here breaks the room's epoch (Redis may hold part of the batch), and a loaded event
    // loop can take longer than redis.timeoutMs to see a prompt answer: wait 10x as long. A down
    // Redis still fails at once, and the sender's request ends at shard.requestTimeoutMs anyway.
    long limitMs = client.timeoutMs() * 10;
    List<String> slotKeys = new ArrayList<>(batch.size());
    batch.forEach(r -> slotKeys.add(roomKey(r.roomId())));
    return connection.batch("append", appendRequests(batch, cap, replayCap, keyTtlMs, maxKeys, now,
            connection.scriptsLoaded()), slotKeys, limitMs)
        .onFailure(e -> {
          if (noScript(e)) {
            // the connection loaded the script when it connected, so Redis lost it (SCRIPT FLUSH, a
            // failover): this batch fails, and the next one reconnects and loads it again. Sending
            // this one again now could put it behind batches sent after it.
            connection.reset();
          }
        })
        .map(rs -> {
          List<RoomStore.WriteResult> out = new ArrayList<>(rs.size());
          rs.forEach(r -> out.add(RoomStore.WriteResult.of(r)));
          return out;
        });
  }

  private static List<Request> appendRequests(List<RoomAppends> batch, int cap, int replayCap, long keyTtlMs,
                                              int maxKeys, long now, boolean bySha) {
    List<Request> reqs = new ArrayList<>(batch.size());
    for (RoomAppends r : batch) {
      String id = r.roomId();
      List<String> keys = appendKeys(id);
      Request req = bySha ? Request.cmd(Command.EVALSHA).arg(APPEND.sha()) : Request.cmd(Command.EVAL)
          .arg(APPEND.source());
      req.arg(keys.size());
      keys.forEach(req::arg);
      req.arg(r.epoch()).arg(cap).arg(replayCap).arg(keyTtlMs).arg(now).arg(maxKeys);
      for (int i = 0; i < r.items().size(); i++) {
        Danmaku d = r.items().get(i);
        String key = r.keys().get(i);
        req.arg(key == null ? "" : key).arg(d.seq()).arg(d.progress()).arg(Pushes.item(d, true).encode());
      }
      reqs.add(req);
    }
    return reqs;
  }

  /** The KEYS of {@link #APPEND} for a room: all in the room's slot group. */
  static List<String> appendKeys(String id) {
    return List.of(roomKey(id), historyKey(id), replayKey(id), idempotencyKey(id), idempotencyTimesKey(id));
  }

  private static boolean noScript(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("NOSCRIPT")) {
        return true;
      }
    }
    return false;
  }

  /** The idempotency keys stored with a room's sends (expired ones may still be there). */
  public Future<List<StoredKey>> idempotencyKeys(String roomId) {
    return client.send("keys", Request.cmd(Command.HGETALL).arg(idempotencyKey(roomId))).map(r -> {
      List<StoredKey> out = new ArrayList<>();
      for (int i = 0; r != null && i + 1 < r.size(); i += 2) {
        String[] v = r.get(i + 1).toString().split(":");
        if (v.length == 3) {
          out.add(new StoredKey(r.get(i).toString(), Long.parseLong(v[0]), Long.parseLong(v[1]),
              Long.parseLong(v[2])));
        }
      }
      return out;
    });
  }

  /** The newest {@code n} items of a room's history, oldest first (items of earlier epochs too). */
  public Future<List<Danmaku>> recentHistory(String roomId, int n) {
    if (n == 0) {
      return Future.succeededFuture(List.of());
    }
    Request req = Request.cmd(Command.XREVRANGE).arg(historyKey(roomId)).arg("+").arg("-").arg("COUNT").arg(n);
    return client.send("xrevrange", req).map(r -> {
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

  /**
   * The item {@code (epoch, seq)} of a room, from its history stream (the newest
   * {@code historyCount} items), else from its replay archive; null when neither has it. An item a
   * moderator deleted may still be found: the caller checks the moderation state. The archive is
   * scanned with {@code ZSCAN ... MATCH} on the item's JSON (it starts with its seq and ends with its
   * epoch), {@link #SCAN_COUNT} members a round trip, so Redis never blocks on a big archive.
   */
  public Future<Danmaku> find(String roomId, long epoch, long seq, int historyCount) {
    Request req = Request.cmd(Command.XREVRANGE).arg(historyKey(roomId)).arg("+").arg("-").arg("COUNT")
        .arg(Math.max(1, historyCount));
    return client.send("findItem", req).compose(r -> {
      for (int i = 0; r != null && i < r.size(); i++) {
        Response fields = r.get(i).get(1);
        for (int f = 0; f + 1 < fields.size(); f += 2) {
          if (fields.get(f).toString().equals("j")) {
            Danmaku d = itemOf(fields.get(f + 1).toString());
            if (d != null && d.epoch() == epoch && d.seq() == seq) {
              return Future.succeededFuture(d);
            }
          }
        }
      }
      return scanReplay(roomId, epoch, seq, "0", 0);
    });
  }

  private Future<Danmaku> scanReplay(String roomId, long epoch, long seq, String cursor, int scans) {
    String pattern = "{\"seq\":" + seq + ",*,\"epoch\":" + epoch + "}";
    Request req = Request.cmd(Command.ZSCAN).arg(replayKey(roomId)).arg(cursor).arg("MATCH").arg(pattern)
        .arg("COUNT").arg(SCAN_COUNT);
    return client.send("findItem", req).compose(r -> {
      Response members = r.get(1);
      // ZSCAN answers member, score, member, score...
      for (int i = 0; i < members.size(); i += 2) {
        Danmaku d = itemOf(members.get(i).toString());
        if (d != null && d.epoch() == epoch && d.seq() == seq) {
          return Future.succeededFuture(d);
        }
      }
      String next = r.get(0).toString();
      if (next.equals("0") || scans + 1 >= MAX_SCANS) {
        return Future.succeededFuture(null);
      }
      return scanReplay(roomId, epoch, seq, next, scans + 1);
    });
  }

  /** An item from its stored JSON (with its epoch); null when the text is not an item. */
  static Danmaku itemOf(String json) {
    try {
      return itemOf(new JsonObject(json));
    } catch (RuntimeException e) {
      return null; // not JSON, or a field of the wrong type: never written by this code
    }
  }

  private static Danmaku itemOf(JsonObject o) {
    JsonObject user = o.getJsonObject("user", new JsonObject());
    return new Danmaku(o.getLong("epoch", 0L), o.getLong("seq", 0L), user.getString("id"), user.getString("name"),
        o.getString("text"), o.getString("color"), o.getString("mode"), o.getLong("progress", -1L),
        o.getLong("ts", 0L), o.getInteger("priority", 0));
  }

  /** An item as a replay member: its JSON with the epoch, unique by (epoch, seq). */
  static String replayMember(Danmaku d) {
    return itemJson(d);
  }

  /** An item's JSON with its epoch, as history, the replay archive and the room's pin store it. */
  static String itemJson(Danmaku d) {
    return Pushes.item(d, true).encode();
  }

  /** One window of the replay archive. */
  public record ReplayPage(List<JsonObject> items, boolean more) {
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
    return client.batch("replay", reqs).map(rs -> {
      if (rs.get(0).toInteger() == 0) {
        return null;
      }
      Set<String> deleted = new HashSet<>();
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
}
