package io.liveroom.room;

import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The rules of rooms, in plain Java: ids, field limits, creation, patches and state transitions.
 * Every method either returns a valid {@link RoomData} or throws a {@link LiveroomException} with
 * a message a client can act on.
 */
public final class RoomRules {
  private static final Pattern ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$");
  private static final char[] ID_ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz".toCharArray();

  private final RoomLimits limits;

  public RoomRules(RoomLimits limits) {
    this.limits = limits;
  }

  public RoomLimits limits() {
    return limits;
  }

  public static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /** Checks a room or user id; {@code what} names it in the error. */
  public static String requireId(String id, String what) {
    if (!isValidId(id)) {
      throw LiveroomException.badRequest(what + " must match " + ID.pattern());
    }
    return id;
  }

  /** A fresh room id, {@code r-} and 14 random base-35 characters (~72 bits). */
  public static String newRoomId() {
    return RandomIds.next("r-", ID_ALPHABET, 14);
  }

  /** A new room in state {@code created} from the body of a create. */
  public RoomData create(String id, RoomFields f, long now) {
    requireId(id, "id");
    if (f.state() != null) {
      throw LiveroomException.badRequest("state cannot be set on create; a room starts as created");
    }
    if (f.title() == null) {
      throw LiveroomException.badRequest("title is required");
    }
    if (f.ownerId() == null) {
      throw LiveroomException.badRequest("ownerId is required");
    }
    return new RoomData(
        id,
        checkTitle(f.title()),
        requireId(f.ownerId(), "ownerId"),
        RoomState.CREATED,
        now,
        now,
        f.maxMembers() == null ? limits.defaultMaxMembers() : checkMaxMembers(f.maxMembers()),
        f.guestsCanRead() == null || f.guestsCanRead(),
        f.slowModeSec() == null ? 0 : checkSlowMode(f.slowModeSec()),
        f.metadata() == null ? "{}" : checkMetadata(f.metadata()),
        f.filter() == null ? RoomData.FILTER_MASK : checkFilter(f.filter()),
        f.emptyTimeoutSec() == null ? 0 : checkEmptyTimeout(f.emptyTimeoutSec()));
  }

  /** The room after a PATCH; only {@code live} and {@code paused} may be asked for as state. */
  public RoomData patch(RoomData r, RoomFields f, long now) {
    if (r.state() == RoomState.ENDED) {
      throw new LiveroomException(ErrorCode.ROOM_CLOSED, "room " + r.id() + " has ended");
    }
    if (f.ownerId() != null) {
      throw LiveroomException.badRequest("ownerId cannot be changed");
    }
    RoomState state = r.state();
    if (f.state() != null) {
      if (f.state() == RoomState.ENDED || f.state() == RoomState.CREATED) {
        throw LiveroomException.badRequest("state may be set to live or paused; DELETE ends a room");
      }
      if (!r.state().canPatchTo(f.state())) {
        throw LiveroomException.badRequest(
            "state: a " + r.state().wire() + " room cannot become " + f.state().wire());
      }
      state = f.state();
    }
    return new RoomData(
        r.id(),
        f.title() == null ? r.title() : checkTitle(f.title()),
        r.ownerId(),
        state,
        r.createdAt(),
        Math.max(now, r.updatedAt()),
        f.maxMembers() == null ? r.maxMembers() : checkMaxMembers(f.maxMembers()),
        f.guestsCanRead() == null ? r.guestsCanRead() : f.guestsCanRead(),
        f.slowModeSec() == null ? r.slowModeSec() : checkSlowMode(f.slowModeSec()),
        f.metadata() == null ? r.metadata() : checkMetadata(f.metadata()),
        f.filter() == null ? r.filter() : checkFilter(f.filter()),
        f.emptyTimeoutSec() == null ? r.emptyTimeoutSec() : checkEmptyTimeout(f.emptyTimeoutSec()));
  }

  /** The room after it ends; ending an ended room changes nothing. */
  public RoomData end(RoomData r, long now) {
    if (r.state() == RoomState.ENDED) {
      return r;
    }
    return new RoomData(r.id(), r.title(), r.ownerId(), RoomState.ENDED, r.createdAt(),
        Math.max(now, r.updatedAt()), r.maxMembers(), r.guestsCanRead(), r.slowModeSec(), r.metadata(), r.filter(),
        r.emptyTimeoutSec());
  }

  private String checkTitle(String title) {
    String t = title.strip();
    if (t.isEmpty()) {
      throw LiveroomException.badRequest("title must not be blank");
    }
    if (t.codePointCount(0, t.length()) > limits.maxTitleLength()) {
      throw LiveroomException.badRequest("title is longer than " + limits.maxTitleLength() + " characters");
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (Character.isISOControl(c) || isBidiControl(c)) {
        throw LiveroomException.badRequest("title must not contain control or bidi override characters");
      }
    }
    return t;
  }

  /** Bidi embeddings, overrides and isolates: used to spoof how text reads. */
  private static boolean isBidiControl(char c) {
    return (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069');
  }

  private static String checkFilter(String mode) {
    if (!mode.equals("mask") && !mode.equals("reject") && !mode.equals("off")) {
      throw LiveroomException.badRequest("filter must be mask, reject or off");
    }
    return mode;
  }

  private static int checkEmptyTimeout(int sec) {
    if (sec < 0 || sec > 7 * 86_400) {
      throw LiveroomException.badRequest("emptyTimeoutSec must be between 0 (never) and 604800");
    }
    return sec;
  }

  private int checkMaxMembers(int n) {
    if (n < 1 || n > limits.maxMembersLimit()) {
      throw LiveroomException.badRequest("maxMembers must be between 1 and " + limits.maxMembersLimit());
    }
    return n;
  }

  private int checkSlowMode(int sec) {
    if (sec < 0 || sec > limits.maxSlowModeSec()) {
      throw LiveroomException.badRequest("slowModeSec must be between 0 and " + limits.maxSlowModeSec());
    }
    return sec;
  }

  private String checkMetadata(String json) {
    if (json.getBytes(StandardCharsets.UTF_8).length > limits.maxMetadataBytes()) {
      throw new LiveroomException(ErrorCode.TOO_LARGE,
          "metadata is larger than " + limits.maxMetadataBytes() + " bytes");
    }
    return json;
  }
}
