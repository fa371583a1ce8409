package io.liveroom.protocol;

import io.liveroom.room.Danmaku;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** JSON of the real-time channel's items and pushes (PROTOCOL.md section 1). */
public final class Pushes {
  private Pushes() {
  }

  /** A danmaku item; {@code withEpoch} adds the item's epoch (history items may predate the room's epoch). */
  public static JsonObject item(Danmaku d, boolean withEpoch) {
    JsonObject o = new JsonObject()
        .put("seq", d.seq())
        .put("user", new JsonObject().put("id", d.userId()).put("name", d.userName()))
        .put("text", d.text())
        .put("color", d.color())
        .put("mode", d.mode());
    if (d.progress() >= 0) {
      o.put("progress", d.progress());
    }
    o.put("ts", d.ts()).put("priority", d.priority());
    if (withEpoch) {
      o.put("epoch", d.epoch());
    }
    return o;
  }

  public static JsonArray items(List<Danmaku> items, boolean withEpoch) {
    JsonArray a = new JsonArray();
    for (Danmaku d : items) {
      a.add(item(d, withEpoch));
    }
    return a;
  }

  /** The {@code danmaku} push of one tick's items of a room, encoded once for all its members. */
  public static Buffer danmaku(String roomId, long epoch, List<Danmaku> items) {
    return new JsonObject().put("push", "danmaku").put("room", roomId).put("epoch", epoch)
        .put("items", items(items, false)).toBuffer();
  }

  /** The {@code room} push: the room object after a change. */
  public static Buffer room(RoomView v) {
    return new JsonObject().put("push", "room").put("room", roomObject(v)).toBuffer();
  }

  /** The {@code closed} push: the room ended or was deleted; the connection is no longer in it. */
  public static Buffer closed(String roomId, String reason) {
    return new JsonObject().put("push", "closed").put("room", roomId).put("reason", reason).toBuffer();
  }

  /** The room object of PROTOCOL.md. */
  public static JsonObject roomObject(RoomView v) {
    io.liveroom.room.RoomData d = v.data();
    return new JsonObject()
        .put("id", d.id())
        .put("title", d.title())
        .put("ownerId", d.ownerId())
        .put("state", d.state().wire())
        .put("createdAt", d.createdAt())
        .put("updatedAt", d.updatedAt())
        .put("maxMembers", d.maxMembers())
        .put("guestsCanRead", d.guestsCanRead())
        .put("slowModeSec", d.slowModeSec())
        .put("metadata", new JsonObject(d.metadata()))
        .put("filter", d.filter())
        .put("emptyTimeoutSec", d.emptyTimeoutSec())
        .put("online", v.online())
        .put("connections", v.connections())
        .put("hot", v.hot());
  }

  /** The {@code moderation} push: an action members' clients apply (e.g. remove a deleted item). */
  public static Buffer moderation(String roomId, String action, String user, long seq, long durationSec) {
    JsonObject o = new JsonObject().put("push", "moderation").put("room", roomId).put("action", action);
    if (user != null) {
      o.put("user", user);
    }
    if (seq >= 0) {
      o.put("seq", seq);
    }
    if (durationSec >= 0) {
      o.put("durationSec", durationSec);
    }
    return o.toBuffer();
  }

  /** The {@code kicked} push to a removed user's connections. */
  public static Buffer kicked(String roomId, String reason) {
    return new JsonObject().put("push", "kicked").put("room", roomId).put("reason", reason).toBuffer();
  }

  /** The {@code presence} push: distinct users ({@code online}) and connections in the room. */
  public static Buffer presence(String roomId, int online, int connections) {
    return new JsonObject().put("push", "presence").put("room", roomId).put("online", online)
        .put("connections", connections).toBuffer();
  }
}
