package io.liveroom.edge;

import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.RoomView;
import io.liveroom.store.RoomStore;
import io.vertx.core.json.JsonObject;

/** The room object of PROTOCOL.md, from an owner's view or from stored data. */
final class RoomJson {
  private RoomJson() {
  }

  static JsonObject of(RoomView v) {
    return Pushes.roomObject(v);
  }

  /** A cold room as Redis holds it: no one online, its pinned item as stored. */
  static JsonObject cold(RoomStore.Hydrated stored) {
    return Pushes.roomObject(new RoomView(stored.data(), stored.epoch(), 0, 0, false, null, stored.pinned()));
  }
}
