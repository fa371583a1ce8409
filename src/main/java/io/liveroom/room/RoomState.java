package io.liveroom.room;

/** Lifecycle of a room: created -> live <-> paused -> ended (ended from any state). */
public enum RoomState {
  // the ordinal is stored in Redis (field s of lr:{g}:r:<id>): add states at the end only
  CREATED, LIVE, PAUSED, ENDED;

  private static final RoomState[] VALUES = values();

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static RoomState fromWire(String s) {
    for (RoomState v : VALUES) {
      if (v.wire().equals(s)) {
        return v;
      }
    }
    return null;
  }

  public static RoomState ofOrdinal(int i) {
    return VALUES[i];
  }

  /** Whether a PATCH may move a room from this state to {@code to}. */
  public boolean canPatchTo(RoomState to) {
    if (this == to) {
      return this != ENDED;
    }
    return switch (this) {
      case CREATED -> to == LIVE;
      case LIVE -> to == PAUSED;
      case PAUSED -> to == LIVE;
      case ENDED -> false;
    };
  }
}
