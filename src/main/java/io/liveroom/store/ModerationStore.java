package io.liveroom.store;

import static io.liveroom.store.RoomKeys.auditKey;
import static io.liveroom.store.RoomKeys.moderationKey;
import static io.liveroom.store.RoomKeys.replayKey;
import static io.liveroom.store.RoomKeys.roomKey;

import io.liveroom.room.Danmaku;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A room's moderation in Redis: the hash {@code lr:{g}:m:<id>} (muted and banned users, mute all,
 * deleted items), the audit log {@code lr:{g}:a:<id>}, a capped stream of the actions, and the pinned
 * item, kept in the room's hash (field {@code pn}) so that it comes back with the room. A change
 * and its audit entry are written together, fenced by the owner's epoch.
 */
public final class ModerationStore {
  // KEYS: room, moderation, audit, replay. ARGV: epoch, op (set, del or none), field, value,
  // audit entry JSON, audit cap, replay member to remove ('' for none), pin (set, del or none),
  // pinned item JSON
  private static final LuaScript MODERATE = new LuaScript("moderate", """
      local cur = redis.call('HGET', KEYS[1], 'e')
      if not cur then return -1 end
      if cur ~= ARGV[1] then return 0 end
      if ARGV[2] == 'set' then
        redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
      elseif ARGV[2] == 'del' then
        redis.call('HDEL', KEYS[2], ARGV[3])
      end
      if ARGV[8] == 'set' then
        redis.call('HSET', KEYS[1], 'pn', ARGV[9])
      elseif ARGV[8] == 'del' then
        redis.call('HDEL', KEYS[1], 'pn')
      end
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'j', ARGV[5])
      if ARGV[7] ~= '' then
        redis.call('ZREM', KEYS[4], ARGV[7])
      end
      return 1
      """);

  /**
   * What one moderation action writes: the moderation hash's {@code field} to {@code set} or
   * {@code del} ({@code op} {@code none}: no field), the item to take out of the replay archive (a
   * delete; null otherwise), and the room's pinned item: {@code pin} to set, or {@code unpin}.
   */
  public record Change(String op, String field, String value, Danmaku removeFromReplay, Danmaku pin,
                       boolean unpin) {
  }

  /** The KEYS of the moderate script for a room: all in the room's slot group. */
  static List<String> moderateKeys(String roomId) {
    return List.of(roomKey(roomId), moderationKey(roomId), auditKey(roomId), replayKey(roomId));
  }

  /** One page of a room's audit log, newest first, and the cursor of the next (null at the end). */
  public record AuditPage(List<JsonObject> entries, String next) {
  }

  private final StoreClient client;

  ModerationStore(StoreClient client) {
    this.client = client;
  }

  /** The fields of a room's moderation hash (empty when there is none). */
  public Future<Map<String, String>> moderation(String id) {
    return client.send("moderation", Request.cmd(Command.HGETALL).arg(moderationKey(id))).map(r -> {
      Map<String, String> out = new HashMap<>();
      for (int i = 0; r != null && i + 1 < r.size(); i += 2) {
        out.put(r.get(i).toString(), r.get(i + 1).toString());
      }
      return out;
    });
  }

  /** Applies one moderation change and appends the audit entry, atomically and only if {@code epoch} is still current. */
  public Future<RoomStore.WriteResult> moderate(String roomId, long epoch, Change c, JsonObject audit, int auditCap) {
    String pinOp = c.pin() != null ? "set" : c.unpin() ? "del" : "none";
    return client.eval(MODERATE, moderateKeys(roomId),
        List.of(Long.toString(epoch), c.op(), c.field() == null ? "" : c.field(), c.value() == null ? "" : c.value(),
            audit.encode(), Integer.toString(auditCap),
            c.removeFromReplay() == null ? "" : HistoryStore.replayMember(c.removeFromReplay()),
            pinOp, c.pin() == null ? "" : HistoryStore.itemJson(c.pin())))
        .map(RoomStore.WriteResult::of);
  }

  /** One page of a room's audit log, newest first, before the entry id {@code before}; null when there is no room. */
  public Future<AuditPage> auditLog(String roomId, String before, int limit) {
    List<Request> reqs = List.of(
        Request.cmd(Command.EXISTS).arg(roomKey(roomId)),
        Request.cmd(Command.XREVRANGE).arg(auditKey(roomId)).arg(before == null ? "+" : "(" + before).arg("-")
            .arg("COUNT").arg(limit + 1));
    return client.batch("auditLog", reqs).map(rs -> {
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
}
