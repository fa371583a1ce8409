package io.liveroom.protocol;

import io.liveroom.room.RoomData;

/**
 * An owner's answer about a room: its data as of now (null when a {@code PEEK} found the room
 * cold), the owner's epoch, the distinct users and the connections in it, whether it is hot,
 * and the owner's node id.
 */
public record RoomView(RoomData data, long epoch, int online, int connections, boolean hot, String ownerNode)
    implements ShardReply {

  public static RoomView cold(String ownerNode) {
    return new RoomView(null, 0, 0, 0, false, ownerNode);
  }
}
