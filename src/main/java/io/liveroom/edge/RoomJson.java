package io.liveroom.edge;

import io.liveroom.protocol.RoomView;
import io.liveroom.room.RoomData;
import io.vertx.core.json.JsonObject;

/** The room object of PROTOCOL.md. */
final class RoomJson {
  private RoomJson() {
  }

  static JsonObject of(RoomView v) {
    return of(v.data(), v.online(), v.hot());
  }

  static JsonObject of(RoomData d, int online, boolean hot) {
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
        .put("online", online)
        .put("hot", hot);
  }
}
