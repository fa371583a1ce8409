package io.liveroom.room;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The small settings of a room as a shared flyweight: most rooms have the same few combinations,
 * so a million rooms hold a handful of these instead of a million.
 */
public record RoomSettings(RoomState state, int maxMembers, boolean guestsCanRead, int slowModeSec, String filter,
                           int emptyTimeoutSec) {
  private static final int MAX_INTERNED = 4096;
  private static final ConcurrentHashMap<RoomSettings, RoomSettings> INTERNED = new ConcurrentHashMap<>();

  /** The shared instance equal to these settings (a new one once the cache is full). */
  public static RoomSettings of(RoomState state, int maxMembers, boolean guestsCanRead, int slowModeSec,
                                String filter, int emptyTimeoutSec) {
    RoomSettings s = new RoomSettings(state, maxMembers, guestsCanRead, slowModeSec, filter.intern(), emptyTimeoutSec);
    RoomSettings shared = INTERNED.get(s);
    if (shared != null) {
      return shared;
    }
    if (INTERNED.size() >= MAX_INTERNED) {
      return s;
    }
    shared = INTERNED.putIfAbsent(s, s);
    return shared == null ? s : shared;
  }
}
