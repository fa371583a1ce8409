package io.liveroom.protocol;

import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;

/**
 * An owner's answer about a room: its data as of now (null when a {@code PEEK} found the room
 * cold), the owner's epoch, the distinct users and the connections in it, whether it is hot, the
 * owner's node id, and the room's pinned item (null when none).
 */
public record RoomView(RoomData data, long epoch, int online, int connections, boolean hot, String ownerNode,
    Danmaku pinned)
    implements ShardReply {

  /** A view of a room with no pinned item. */
  public RoomView(RoomData data, long epoch, int online, int connections, boolean hot, String ownerNode) {
    this(data, epoch, online, connections, hot, ownerNode, null);
  }

  public static RoomView cold(String ownerNode) {
    return new RoomView(null, 0, 0, 0, false, ownerNode);
  }
}
