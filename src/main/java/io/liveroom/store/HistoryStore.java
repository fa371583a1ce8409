package io.liveroom.store;

import static io.liveroom.store.RoomKeys.historyKey;
import static io.liveroom.store.RoomKeys.moderationKey;
import static io.liveroom.store.RoomKeys.replayKey;
import static io.liveroom.store.RoomKeys.roomKey;

import io.liveroom.protocol.Pushes;
import io.liveroom.room.Danmaku;
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
 * A room's items in Redis: the history stream {@code lr:h:<id>} (its recent items, for joins) and
 * the replay archive {@code lr:p:<id>} (items with a progress, scored by it, for playback).
 * Items are written behind by a {@link RoomStore.HistoryWriter}.
 */
public final class HistoryStore {
  private final StoreClient client;

  HistoryStore(StoreClient client) {
    this.client = client;
  }

  /**
   * Appends to the history stream and, for an item with a progress and {@code replayCap > 0},
   * to the replay archive, capped at {@code replayCap} items (the lowest progress goes first).
   * The call may take up to 10x {@code redis.timeoutMs}: a timed-out XADD may still be applied,
   * and a retry then stores the item twice, which readers of history drop by (epoch, seq).
   */
  Future<Void> append(PipelinedConnection connection, String roomId, Danmaku d, int cap, int replayCap) {
    String json = Pushes.item(d, true).encode();
    List<Request> reqs = new ArrayList<>(3);
    reqs.add(Request.cmd(Command.XADD).arg(historyKey(roomId)).arg("MAXLEN").arg("~").arg(cap).arg("*")
        .arg("j").arg(json));
    if (d.progress() >= 0 && replayCap > 0) {
      reqs.add(Request.cmd(Command.ZADD).arg(replayKey(roomId)).arg(d.progress()).arg(json));
      reqs.add(Request.cmd(Command.ZREMRANGEBYRANK).arg(replayKey(roomId)).arg(0).arg(-(replayCap + 1)));
    }
    return connection.batch("xadd", reqs, client.timeoutMs() * 10).mapEmpty();
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

  private static Danmaku itemOf(JsonObject o) {
    JsonObject user = o.getJsonObject("user", new JsonObject());
    return new Danmaku(o.getLong("epoch", 0L), o.getLong("seq", 0L), user.getString("id"), user.getString("name"),
        o.getString("text"), o.getString("color"), o.getString("mode"), o.getLong("progress", -1L),
        o.getLong("ts", 0L), o.getInteger("priority", 0));
  }

  /** An item as a replay member: its JSON with the epoch, unique by (epoch, seq). */
  static String replayMember(Danmaku d) {
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
