package io.liveroom.room;

/**
 * The client-settable fields of a room, each {@code null} when not given: the body of a create
 * ({@code title} and {@code ownerId} required) or of a PATCH (only the fields to change).
 */
public record RoomFields(
    String title,
    String ownerId,
    Integer maxMembers,
    Boolean guestsCanRead,
    Integer slowModeSec,
    String metadata,
    RoomState state,
    String filter,
    Integer emptyTimeoutSec) {

  public static final RoomFields EMPTY = new RoomFields(null, null, null, null, null, null, null);

  public RoomFields(String title, String ownerId, Integer maxMembers, Boolean guestsCanRead, Integer slowModeSec,
                    String metadata, RoomState state) {
    this(title, ownerId, maxMembers, guestsCanRead, slowModeSec, metadata, state, null, null);
  }
}
