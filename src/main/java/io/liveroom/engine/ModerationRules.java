package io.liveroom.engine;

import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.room.Danmaku;
import io.liveroom.room.Room;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomLive;
import io.liveroom.room.RoomRules;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who may moderate a room and what each action stores (PROTOCOL.md {@code moderate}): mute (for
 * {@code durationSec}, or until unmuted), unmute, ban, unban, kick, muteall, unmuteall, delete and
 * pin (an item of the room's history or replay archive, of any epoch, addressed by
 * {@code (epoch, seq)}), unpin, slowmode.
 */
final class ModerationRules {
  private final int maxSlowModeSec;

  ModerationRules(int maxSlowModeSec) {
    this.maxSlowModeSec = maxSlowModeSec;
  }

  /** Whether {@code action} is about one item, addressed by {@code (epoch, seq)}. */
  static boolean addressesItem(String action) {
    return action.equals("delete") || action.equals("pin");
  }

  /**
   * Whether a delete or pin by a privileged actor names an item that could be in Redis but is not
   * in memory: only then must the caller look it up ({@code found} of {@link #check}).
   */
  boolean needsLookup(Room room, ShardCommand.Moderate c) {
    if (!addressesItem(c.action()) || !c.actor().privilegedIn(room) || c.epoch() < 0 || c.seq() < 0) {
      return false;
    }
    RoomLive l = room.live();
    return l.find(c.epoch(), c.seq()) == null && stored(l, c.epoch(), c.seq())
        && !l.moderation().deleted(c.epoch(), c.seq());
  }

  /**
   * Checks an action: FORBIDDEN for members below moderator, BAD_REQUEST for a malformed one,
   * NOT_FOUND for a delete or pin of an item that is neither in memory nor {@code found} in Redis,
   * or that was deleted. {@code pinned} is the room's pinned item now (null when none).
   */
  ModerationChange check(Room room, ShardCommand.Moderate c, Danmaku found, Danmaku pinned, long now) {
    if (!c.actor().privilegedIn(room)) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "only a moderator, the host or an admin may moderate room "
          + room.id());
    }
    String action = c.action();
    String user = c.user();
    long durationSec = c.durationSec();
    String op = "set";
    String field;
    String value = "1";
    RoomFields patch = null;
    Danmaku item = null;
    boolean pin = false;
    boolean unpin = false;
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
        item = requireItem(room, c, found);
        field = "de:" + item.epoch() + ":" + item.seq();
        unpin = pinned != null && pinned.epoch() == item.epoch() && pinned.seq() == item.seq();
      }
      case "pin" -> {
        item = requireItem(room, c, found);
        field = null;
        op = "none";
        pin = true;
      }
      case "unpin" -> {
        field = null;
        op = "none";
        unpin = true;
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
    audit.put("by", c.actor().userId());
    audit.put("action", action);
    if (user != null) {
      audit.put("user", user);
    }
    if (item != null) {
      audit.put("epoch", item.epoch());
      audit.put("seq", item.seq());
    }
    if (durationSec >= 0) {
      audit.put("durationSec", durationSec);
    }
    if (c.reason() != null) {
      audit.put("reason", c.reason());
    }
    return new ModerationChange(action, user, durationSec, op, field, value, audit, patch, item, pin, unpin);
  }

  private static String requireUser(String user, String action) {
    if (user == null) {
      throw LiveroomException.badRequest(action + " needs a user");
    }
    return RoomRules.requireId(user, "user");
  }

  /** The item a delete or pin names: in history here, else as {@code found} in Redis; never a deleted one. */
  private static Danmaku requireItem(Room room, ShardCommand.Moderate c, Danmaku found) {
    if (c.epoch() < 0 || c.seq() < 0) {
      throw LiveroomException.badRequest(c.action() + " needs the epoch and seq of an item");
    }
    RoomLive l = room.live();
    Danmaku d = l.find(c.epoch(), c.seq());
    if (d == null && found != null && found.epoch() == c.epoch() && found.seq() == c.seq()
        && stored(l, c.epoch(), c.seq())) {
      d = found;
    }
    if (d == null || l.moderation().deleted(c.epoch(), c.seq())) {
      throw new LiveroomException(ErrorCode.NOT_FOUND, "no item (epoch " + c.epoch() + ", seq " + c.seq()
          + ") in the history of room " + room.id());
    }
    return d;
  }

  /**
   * Whether an item with this address can be stored: an earlier epoch, or this epoch up to the last
   * item stored (a later one is not acknowledged yet, even if its append has reached Redis).
   */
  private static boolean stored(RoomLive l, long epoch, long seq) {
    return epoch < l.epoch() || epoch == l.epoch() && seq <= l.seq();
  }
}
