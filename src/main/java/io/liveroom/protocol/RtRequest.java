package io.liveroom.protocol;

/**
 * A real-time command from an edge to a room's owner. {@code edge} names the edge verticle
 * instance ({@code <nodeId>/<instance>}) whose members the owner counts and pushes to.
 * Fields not used by a kind are null, 0 or false.
 */
public record RtRequest(
    Kind kind,
    String roomId,
    String edge,
    String userId,
    String userName,
    String role,
    boolean newMember,
    boolean hasSince,
    long sinceEpoch,
    long sinceSeq,
    String text,
    String color,
    String mode,
    long progress,
    String key,
    int count) {

  /** What the edge asks. */
  public enum Kind {
    /** A connection joins: count it, answer with the room, its position and history. */
    JOIN,
    /** Sequence and fan out one item. */
    SEND,
    /** A connection left. */
    LEAVE,
    /** The edge's full member count for the room (soft state that expires unless refreshed). */
    REFRESH,
    /** Recent history: the {@code count} newest items, or those after {@code sinceSeq} of the current epoch. */
    HISTORY,
    /**
     * A moderation action by {@code userId} with {@code role}: {@code text} is the action,
     * {@code key} the target user, {@code progress} durationSec (-1 when absent), {@code mode} the
     * reason, {@code sinceSeq} the item's seq (-1 when absent).
     */
    MODERATE;

    private static final Kind[] VALUES = values();

    static Kind ofOrdinal(int i) {
      return VALUES[i];
    }
  }

  public static RtRequest join(String roomId, String edge, String userId, String userName, String role,
                               boolean newMember, boolean hasSince, long sinceEpoch, long sinceSeq) {
    return new RtRequest(Kind.JOIN, roomId, edge, userId, userName, role, newMember, hasSince, sinceEpoch, sinceSeq,
        null, null, null, -1, null, 0);
  }

  public static RtRequest send(String roomId, String edge, String userId, String userName, String role, String text,
                               String color, String mode, long progress, String key) {
    return new RtRequest(Kind.SEND, roomId, edge, userId, userName, role, false, false, 0, 0, text, color, mode,
        progress, key, 0);
  }

  public static RtRequest leave(String roomId, String edge) {
    return new RtRequest(Kind.LEAVE, roomId, edge, null, null, null, false, false, 0, 0, null, null, null, -1, null, 0);
  }

  /** Recent history over REST: after {@code sinceSeq} when {@code hasSince}, at most {@code limit} items. */
  public static RtRequest history(String roomId, boolean hasSince, long sinceSeq, int limit) {
    return new RtRequest(Kind.HISTORY, roomId, null, null, null, null, false, hasSince, 0, sinceSeq, null, null, null,
        -1, null, limit);
  }

  public static RtRequest moderate(String roomId, String actorId, String role, String action, String targetUser,
                                   long seq, long durationSec, String reason) {
    return new RtRequest(Kind.MODERATE, roomId, null, actorId, null, role, false, false, 0, seq, action, null, reason,
        durationSec, targetUser, 0);
  }

  public static RtRequest refresh(String roomId, String edge, int count) {
    return new RtRequest(Kind.REFRESH, roomId, edge, null, null, null, false, false, 0, 0, null, null, null, -1, null,
        count);
  }
}
