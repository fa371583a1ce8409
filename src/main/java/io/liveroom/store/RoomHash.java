package io.liveroom.store;

import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * The fields of a room's hash {@code lr:{g}:r:<id>}: {@code t o s c m e} always ({@code s} is the
 * state's ordinal, one digit; {@code e} is the epoch of the current owner), and
 * {@code u g w md f x} only when they differ from their defaults ({@code u} = {@code c}, guests
 * allowed, no slow mode, {@code {}}, {@code mask}, no empty timeout). {@code pn} is the pinned
 * item (its JSON with its epoch, as history holds it); only moderation writes it
 * ({@link ModerationStore}), so a write of the room's data leaves it as it is.
 */
final class RoomHash {
  private RoomHash() {
  }

  /**
   * The hash fields of a room as field/value pairs, leaving out those at their default; the
   * defaults left out are added to {@code unset} (when not null), for a write to delete them.
   */
  static void fields(RoomData d, List<String> pairs, List<String> unset) {
    pairs.add("t");
    pairs.add(d.title());
    pairs.add("o");
    pairs.add(d.ownerId());
    pairs.add("s");
    pairs.add(Integer.toString(d.state().ordinal())); // a one-digit integer: 4 bytes less than the name
    pairs.add("c");
    pairs.add(Long.toString(d.createdAt()));
    pairs.add("m");
    pairs.add(Integer.toString(d.maxMembers()));
    optional(pairs, unset, "u", d.updatedAt() == d.createdAt(), Long.toString(d.updatedAt()));
    optional(pairs, unset, "g", d.guestsCanRead(), "0");
    optional(pairs, unset, "w", d.slowModeSec() == 0, Integer.toString(d.slowModeSec()));
    optional(pairs, unset, "md", d.metadata().equals("{}"), d.metadata());
    optional(pairs, unset, "f", d.filter().equals(RoomData.FILTER_MASK), d.filter());
    optional(pairs, unset, "x", d.emptyTimeoutSec() == 0, Integer.toString(d.emptyTimeoutSec()));
  }

  private static void optional(List<String> pairs, List<String> unset, String field, boolean isDefault, String value) {
    if (!isDefault) {
      pairs.add(field);
      pairs.add(value);
    } else if (unset != null) {
      unset.add(field);
    }
  }

  /** A room from its hash as {@code HGETALL} returns it (field/value pairs). */
  static RoomStore.Hydrated decode(String id, Response r) {
    String title = null;
    String ownerId = null;
    String metadata = "{}";
    RoomState state = RoomState.CREATED;
    long created = 0;
    long updated = -1;
    long epoch = 0;
    int maxMembers = 0;
    int slowMode = 0;
    boolean guests = true;
    String filter = RoomData.FILTER_MASK;
    int emptyTimeout = 0;
    Danmaku pinned = null;
    for (int i = 0; i + 1 < r.size(); i += 2) {
      String v = r.get(i + 1).toString();
      switch (r.get(i).toString()) {
        case "t" -> title = v;
        case "o" -> ownerId = v;
        case "s" -> state = v.length() == 1 && Character.isDigit(v.charAt(0))
            ? RoomState.ofOrdinal(v.charAt(0) - '0') : RoomState.fromWire(v);
        case "c" -> created = Long.parseLong(v);
        case "u" -> updated = Long.parseLong(v);
        case "m" -> maxMembers = Integer.parseInt(v);
        case "g" -> guests = v.equals("1");
        case "w" -> slowMode = Integer.parseInt(v);
        case "md" -> metadata = v;
        case "e" -> epoch = Long.parseLong(v);
        case "f" -> filter = v;
        case "x" -> emptyTimeout = Integer.parseInt(v);
        case "pn" -> pinned = HistoryStore.itemOf(v);
        default -> {
          // fields of later versions are kept in Redis and ignored here
        }
      }
    }
    if (updated < 0) {
      updated = created; // left out when the room was never updated
    }
    return new RoomStore.Hydrated(new RoomData(id, title, ownerId, state, created, updated, maxMembers, guests,
        slowMode, metadata, filter, emptyTimeout), epoch, pinned);
  }
}
