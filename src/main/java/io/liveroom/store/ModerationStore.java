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
 * A room's moderation in Redis: the hash {@code lr:m:<id>} (muted and banned users, mute all,
 * pin, deleted items) and the audit log {@code lr:a:<id>}, a capped stream of the actions.
 * A change and its audit entry are written together, fenced by the owner's epoch.
 */
public final class ModerationStore {
  // KEYS: room, moderation, audit, replay. ARGV: epoch, op (set, del or none), field, value,
  // audit entry JSON, audit cap, replay member to remove ('' for none)
  private static final LuaScript MODERATE = new LuaScript("moderate", """
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

  /**
   * Applies one moderation change ({@code op} {@code set}, {@code del} or {@code none}) and appends
   * the audit entry, atomically and only if {@code epoch} is still current.
   */
  public Future<RoomStore.WriteResult> moderate(String roomId, long epoch, String op, String field, String value,
                                                JsonObject audit, int auditCap, Danmaku removeFromReplay) {
    return client.eval(MODERATE, List.of(roomKey(roomId), moderationKey(roomId), auditKey(roomId),
            replayKey(roomId)),
        List.of(Long.toString(epoch), op, field == null ? "" : field, value == null ? "" : value, audit.encode(),
            Integer.toString(auditCap),
            removeFromReplay == null ? "" : HistoryStore.replayMember(removeFromReplay)))
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
