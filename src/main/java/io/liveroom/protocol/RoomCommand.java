package io.liveroom.protocol;

import io.liveroom.room.RoomFields;

/**
 * A room command from an edge to the room's owner shard. {@code fields} is the body of a
 * {@code CREATE} or {@code UPDATE}, {@link RoomFields#EMPTY} otherwise.
 */
public record RoomCommand(Op op, String roomId, RoomFields fields) {

  /** What the owner is asked to do. */
  public enum Op {
    /** Create the room; fails when the id exists. */
    CREATE,
    /** The room object, loading the room from Redis when it is cold. */
    GET,
    /** The room object only if the room is hot; never loads it. */
    PEEK,
    /** Apply a PATCH. */
    UPDATE,
    /** End the room. */
    END;

    private static final Op[] VALUES = values();

    static Op ofOrdinal(int i) {
      return VALUES[i];
    }
  }

  public RoomCommand {
    if (op == null || roomId == null || fields == null) {
      throw new IllegalArgumentException("op, roomId and fields are required");
    }
  }

  public static RoomCommand of(Op op, String roomId) {
    return new RoomCommand(op, roomId, RoomFields.EMPTY);
  }
}
