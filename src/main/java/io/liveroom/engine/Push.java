package io.liveroom.engine;

/**
 * One push frame of a room for the edges, encoded once: every socket in the room gets these bytes.
 * {@code priority} 1 is never shed for a slow socket; {@code closesRoom} when the room ended and its
 * members are out of it; {@code targetUser} when only that user's sockets get it and leave the
 * room (kick, ban); {@code acceptedAt} when its oldest item was accepted (0 without items).
 */
public record Push(String roomId, int priority, byte[] bytes, boolean closesRoom, String targetUser,
                   long acceptedAt) {

  static Push of(String roomId, int priority, byte[] bytes) {
    return new Push(roomId, priority, bytes, false, null, 0);
  }
}
