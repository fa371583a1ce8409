package io.liveroom.room;

/**
 * A hot room as its owner holds it: the durable data, the epoch this owner took when it loaded
 * the room (every write is fenced by it) and when it was last used. Touched only on the owner
 * verticle's event loop.
 */
public final class Room {
  private RoomData data;
  private final long epoch;
  private long lastActiveAt;
  private RoomLive live;

  public Room(RoomData data, long epoch, long now) {
    this.data = data;
    this.epoch = epoch;
    this.lastActiveAt = now;
  }

  public RoomData data() {
    return data;
  }

  public String id() {
    return data.id();
  }

  public long epoch() {
    return epoch;
  }

  public long lastActiveAt() {
    return lastActiveAt;
  }

  public void touch(long now) {
    lastActiveAt = Math.max(lastActiveAt, now);
  }

  /** Replaces the data once its write-through has succeeded. */
  public void commit(RoomData next, long now) {
    if (!next.id().equals(data.id())) {
      throw new IllegalArgumentException("room id cannot change");
    }
    data = next;
    touch(now);
  }

  /** The real-time state, or null until the first join or send. */
  public RoomLive live() {
    return live;
  }

  public void live(RoomLive live) {
    this.live = live;
  }

  /** Whether nothing has used the room since {@code idleSince}. */
  public boolean idleSince(long idleSince) {
    return lastActiveAt <= idleSince && (live == null || !live.hasMembers() && !live.hasPending());
  }
}
