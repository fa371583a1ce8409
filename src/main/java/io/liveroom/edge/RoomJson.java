package io.liveroom.edge;

import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.RoomView;
import io.liveroom.room.RoomData;
import io.vertx.core.json.JsonObject;

/** The room object of PROTOCOL.md, from an owner's view or from stored data. */
final class RoomJson {
  private RoomJson() {
  }

  static JsonObject of(RoomView v) {
    return Pushes.roomObject(v);
  }

  static JsonObject of(RoomData d, int online, boolean hot) {
    return Pushes.roomObject(new RoomView(d, 0, online, 0, hot, null));
  }
}
