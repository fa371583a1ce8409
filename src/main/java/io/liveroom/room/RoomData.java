package io.liveroom.room;

/**
 * The durable part of a room: what Redis holds and every node agrees on. Immutable; a change
 * makes a new instance that the owner writes through before it replaces the old one.
 * {@code metadata} is the room's metadata JSON object in its compact text form.
 */
public record RoomData(
    String id,
    String title,
    String ownerId,
    RoomState state,
    long createdAt,
    long updatedAt,
    int maxMembers,
    boolean guestsCanRead,
    int slowModeSec,
    String metadata,
    String filter,
    int emptyTimeoutSec) {

  /** Filter modes of a room's content filter. */
  public static final String FILTER_MASK = "mask";

  /** A room with the default filter ({@code mask}) and no empty timeout. */
  public RoomData(String id, String title, String ownerId, RoomState state, long createdAt, long updatedAt,
                  int maxMembers, boolean guestsCanRead, int slowModeSec, String metadata) {
    this(id, title, ownerId, state, createdAt, updatedAt, maxMembers, guestsCanRead, slowModeSec, metadata,
        FILTER_MASK, 0);
  }
}
