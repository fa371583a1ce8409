package io.liveroom.edge;

import io.liveroom.error.LiveroomException;
import io.liveroom.room.RoomRules;
import io.vertx.core.json.JsonObject;

/**
 * The optional arguments of a moderation action, as the socket and the REST API take them. A number
 * absent is -1; the owner refuses an action without the arguments it needs (a delete or pin needs
 * both {@code epoch} and {@code seq}).
 */
record Moderation(String user, long epoch, long seq, long durationSec, String reason) {
  private static final int MAX_REASON = 200;

  static Moderation parse(JsonObject cmd) {
    String user = null;
    Object u = cmd.getValue("user");
    if (u != null) {
      if (!(u instanceof String us)) {
        throw LiveroomException.badRequest("user must be a user id");
      }
      user = RoomRules.requireId(us, "user");
    }
    long epoch = nonNegative(cmd, "epoch");
    long seq = nonNegative(cmd, "seq");
    long duration = nonNegative(cmd, "durationSec");
    String reason = null;
    Object r = cmd.getValue("reason");
    if (r != null) {
      if (!(r instanceof String rs) || rs.length() > MAX_REASON) {
        throw LiveroomException.badRequest("reason must be a string of at most " + MAX_REASON + " characters");
      }
      reason = io.liveroom.protocol.DanmakuInput.normalise(rs);
    }
    return new Moderation(user, epoch, seq, duration, reason);
  }

  /** A non-negative integer field, or -1 when absent. */
  private static long nonNegative(JsonObject cmd, String field) {
    Object v = cmd.getValue(field);
    if (v == null) {
      return -1;
    }
    if (!(v instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 1e12
        || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw LiveroomException.badRequest(field + " must be a non-negative integer");
    }
    return n.longValue();
  }
}
