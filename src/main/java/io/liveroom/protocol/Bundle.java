package io.liveroom.protocol;

import io.vertx.core.buffer.Buffer;
import java.util.List;

/**
 * One fan-out tick of one owner for one edge node: for each room with news, the push frame
 * already encoded once by the owner; edges write the same bytes to every socket in the room.
 * {@code priority} is the highest priority of the frame's items (1 is never shed).
 */
public record Bundle(List<Frame> frames) {

  /**
   * A room's push frame; {@code closesRoom} when the room ended and its members are out of it;
   * {@code targetUser} when only that user's sockets get it and leave the room (kick, ban);
   * {@code acceptedAt} the wall-clock time its oldest item was accepted (0 for frames without
   * items), for the fan-out latency meter.
   */
  public record Frame(String roomId, int priority, Buffer bytes, boolean closesRoom, String targetUser,
                      long acceptedAt) {
    public Frame(String roomId, int priority, Buffer bytes) {
      this(roomId, priority, bytes, false, null, 0);
    }

    public Frame(String roomId, int priority, Buffer bytes, boolean closesRoom) {
      this(roomId, priority, bytes, closesRoom, null, 0);
    }

    public Frame(String roomId, int priority, Buffer bytes, boolean closesRoom, String targetUser) {
      this(roomId, priority, bytes, closesRoom, targetUser, 0);
    }
  }
}
