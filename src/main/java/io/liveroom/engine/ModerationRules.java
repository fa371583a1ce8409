package io.liveroom.engine;

import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.room.Danmaku;
import io.liveroom.room.Member;
import io.liveroom.room.Room;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomLive;
import io.liveroom.room.RoomRules;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may moderate a room and what each action stores (PROTOCOL.md {@code moderate}): mute (for
 * {@code durationSec}, or until unmuted), unmute, ban, unban, kick, muteall, unmuteall, delete and
 * pin (an item of the room's history), unpin, slowmode.
 */
final class ModerationRules {
  private final int maxSlowModeSec;

  ModerationRules(int maxSlowModeSec) {
    this.maxSlowModeSec = maxSlowModeSec;
  }

  ModerationChange check(Room room, Member actor, String action, String user, long seq, long durationSec,
                         String reason, long now) {
    if (!actor.privilegedIn(room)) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "only a moderator, the host or an admin may moderate room "
          + room.id());
    }
    RoomLive l = room.live();
    String op = "set";
    String field;
    String value = "1";
    RoomFields patch = null;
    Danmaku removed = null;
    switch (action) {
      case "mute" -> {
        field = "mu:" + requireUser(user, action);
        value = durationSec <= 0 ? "0" : Long.toString(now + durationSec * 1000);
      }
      case "unmute" -> {
        field = "mu:" + requireUser(user, action);
        op = "del";
      }
      case "ban" -> field = "ba:" + requireUser(user, action);
      case "unban" -> {
        field = "ba:" + requireUser(user, action);
        op = "del";
      }
      case "kick" -> {
        requireUser(user, action);
        field = null;
        op = "none";
      }
      case "muteall" -> field = "ma";
      case "unmuteall" -> {
        field = "ma";
        op = "del";
      }
      case "delete" -> {
        removed = requireItem(l, seq, action);
        field = "de:" + l.epoch() + ":" + seq;
      }
      case "pin" -> {
        requireItem(l, seq, action);
        field = "pin";
        value = Long.toString(seq);
      }
      case "unpin" -> {
        field = "pin";
        op = "del";
      }
      case "slowmode" -> {
        if (durationSec < 0 || durationSec > maxSlowModeSec) {
          throw LiveroomException.badRequest("slowmode needs durationSec between 0 and " + maxSlowModeSec);
        }
        field = null;
        op = "none";
        patch = new RoomFields(null, null, null, null, (int) durationSec, null, null);
      }
      default -> throw LiveroomException.badRequest("unknown moderation action '" + action + "'");
    }
    Map<String, Object> audit = new LinkedHashMap<>();
    audit.put("ts", now);
    audit.put("by", actor.userId());
    audit.put("action", action);
    if (user != null) {
      audit.put("user", user);
    }
    if (seq >= 0) {
      audit.put("seq", seq);
    }
    if (durationSec >= 0) {
      audit.put("durationSec", durationSec);
    }
    if (reason != null) {
      audit.put("reason", reason);
    }
    return new ModerationChange(action, user, seq, durationSec, op, field, value, audit, patch, removed);
  }

  private static String requireUser(String user, String action) {
    if (user == null) {
      throw LiveroomException.badRequest(action + " needs a user");
    }
    return RoomRules.requireId(user, "user");
  }

  private static Danmaku requireItem(RoomLive l, long seq, String action) {
    Danmaku d = seq < 0 ? null : l.find(seq);
    if (d == null) {
      throw LiveroomException.badRequest(action + " needs the seq of an item in the room's history");
    }
    return d;
  }
}
