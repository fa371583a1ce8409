package io.liveroom.room;

import java.nio.charset.StandardCharsets;

/**
 * A hot room as its owner holds it, packed small (a million hot rooms fit in about 120 MB): id,
 * title, owner and metadata in one byte array, shared flyweight settings, the epoch this owner
 * took when it loaded the room (every write is fenced by it), and when it was last used in
 * 100 ms ticks. Touched only on the owner verticle's event loop.
 *
 * <p>{@code packed}: [id length u8][id ASCII][title length, 1 byte below 128 else 2 (high bit
 * set)][title UTF-8][owner length u8][owner ASCII][metadata UTF-8 to the end, empty for the
 * default {@code {}}]. Ids and owner ids are ASCII by {@link RoomRules}. With 1,000,000 rooms of
 * the benchmark's shape the array is 64 bytes, the room 48, the table slot ~8 (JDK 17).
 */
public final class Room {
  /** Origin of {@link #lastActive}, so that an int of 100 ms ticks lasts for years. */
  private static final long BASE_MS = System.currentTimeMillis();
  private static final int TICK_MS = 100;

  private byte[] packed;
  private RoomSettings settings;
  private long createdAt;
  private long updatedAt;
  private final int epoch;
  private int lastActive;
  private RoomLive live;

  public Room(RoomData data, long epoch, long now) {
    if (epoch < 0 || epoch > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("epoch out of range: " + epoch);
    }
    this.epoch = (int) epoch;
    set(data);
    touch(now);
  }

  private Room(byte[] idOnly) {
    this.packed = idOnly;
    this.epoch = 0;
  }

  /** A lookup key for {@link RoomTable}: a room with only an id. */
  static Room probe(String id) {
    byte[] b = new byte[1 + id.length()];
    b[0] = (byte) id.length();
    for (int i = 0; i < id.length(); i++) {
      b[1 + i] = (byte) id.charAt(i);
    }
    return new Room(b);
  }

  /** The room's data, decoded: allocates, so hot paths use the accessors below. */
  public RoomData data() {
    int p = 0;
    int idLen = packed[p++] & 0xff;
    String id = new String(packed, p, idLen, StandardCharsets.ISO_8859_1);
    p += idLen;
    int titleLen = titleLength(p);
    p += (packed[p] & 0x80) != 0 ? 2 : 1;
    String title = new String(packed, p, titleLen, StandardCharsets.UTF_8);
    p += titleLen;
    int ownerLen = packed[p++] & 0xff;
    String owner = new String(packed, p, ownerLen, StandardCharsets.ISO_8859_1);
    p += ownerLen;
    String metadata = p == packed.length ? "{}" : new String(packed, p, packed.length - p, StandardCharsets.UTF_8);
    RoomSettings s = settings;
    return new RoomData(id, title, owner, s.state(), createdAt, updatedAt, s.maxMembers(), s.guestsCanRead(),
        s.slowModeSec(), metadata, s.filter(), s.emptyTimeoutSec());
  }

  public String id() {
    return new String(packed, 1, packed[0] & 0xff, StandardCharsets.ISO_8859_1);
  }

  public RoomState state() {
    return settings.state();
  }

  public int maxMembers() {
    return settings.maxMembers();
  }

  public boolean guestsCanRead() {
    return settings.guestsCanRead();
  }

  public int slowModeSec() {
    return settings.slowModeSec();
  }

  /** The content filter mode: mask, reject or off. */
  public String filter() {
    return settings.filter();
  }

  public int emptyTimeoutSec() {
    return settings.emptyTimeoutSec();
  }

  /** Whether {@code userId} is the room's owner, without decoding anything. */
  public boolean ownedBy(String userId) {
    int p = 1 + (packed[0] & 0xff);
    p += ((packed[p] & 0x80) != 0 ? 2 : 1) + titleLength(p);
    int len = packed[p++] & 0xff;
    if (len != userId.length()) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      if (packed[p + i] != (byte) userId.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  public long epoch() {
    return epoch;
  }

  /** When the room was last used, to {@link #TICK_MS} precision. */
  public long lastActiveAt() {
    return BASE_MS + (long) lastActive * TICK_MS;
  }

  public void touch(long now) {
    long ticks = Math.max(0, (now - BASE_MS) / TICK_MS);
    lastActive = (int) Math.max(lastActive, Math.min(Integer.MAX_VALUE, ticks));
  }

  /** Replaces the data once its write-through has succeeded. */
  public void commit(RoomData next, long now) {
    if (!next.id().equals(id())) {
      throw new IllegalArgumentException("room id cannot change");
    }
    set(next);
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
    if (settings.state() == RoomState.LIVE && settings.emptyTimeoutSec() > 0) {
      return false; // its owner ends it when it has been empty long enough; until then it stays
    }
    return lastActiveAt() <= idleSince && (live == null || !live.hasMembers() && !live.hasPending());
  }

  /**
   * Whether only its age keeps the room in memory: no members, no item waiting for its write or
   * its push, and not a live room waiting out its {@code emptyTimeoutSec} (its owner ends it).
   */
  public boolean unused() {
    if (settings.state() == RoomState.LIVE && settings.emptyTimeoutSec() > 0) {
      return false;
    }
    return live == null || !live.hasMembers() && !live.hasPending() && live.unwritten() == 0;
  }

  private int titleLength(int p) {
    int b = packed[p] & 0xff;
    return (b & 0x80) == 0 ? b : ((b & 0x7f) << 8) | (packed[p + 1] & 0xff);
  }

  // for RoomTable's hash strategy: the id is packed[1 .. 1 + packed[0]]
  int idHash() {
    int h = 1;
    int n = packed[0] & 0xff;
    for (int i = 1; i <= n; i++) {
      h = 31 * h + packed[i];
    }
    return h;
  }

  boolean idEquals(Room o) {
    int n = packed[0] & 0xff;
    if (n != (o.packed[0] & 0xff)) {
      return false;
    }
    for (int i = 1; i <= n; i++) {
      if (packed[i] != o.packed[i]) {
        return false;
      }
    }
    return true;
  }

  private void set(RoomData d) {
    byte[] title = d.title().getBytes(StandardCharsets.UTF_8);
    byte[] metadata = d.metadata().equals("{}") ? new byte[0] : d.metadata().getBytes(StandardCharsets.UTF_8);
    String id = d.id();
    String owner = d.ownerId();
    if (id.length() > 255 || owner.length() > 255 || title.length > 0x7fff) {
      throw new IllegalArgumentException("room fields too long to pack");
    }
    int titleLenBytes = title.length < 0x80 ? 1 : 2;
    byte[] b = new byte[1 + id.length() + titleLenBytes + title.length + 1 + owner.length() + metadata.length];
    int p = 0;
    b[p++] = (byte) id.length();
    for (int i = 0; i < id.length(); i++) {
      b[p++] = (byte) id.charAt(i);
    }
    if (titleLenBytes == 1) {
      b[p++] = (byte) title.length;
    } else {
      b[p++] = (byte) (0x80 | (title.length >>> 8));
      b[p++] = (byte) title.length;
    }
    System.arraycopy(title, 0, b, p, title.length);
    p += title.length;
    b[p++] = (byte) owner.length();
    for (int i = 0; i < owner.length(); i++) {
      b[p++] = (byte) owner.charAt(i);
    }
    System.arraycopy(metadata, 0, b, p, metadata.length);
    packed = b;
    settings = RoomSettings.of(d.state(), d.maxMembers(), d.guestsCanRead(), d.slowModeSec(), d.filter(),
        d.emptyTimeoutSec());
    createdAt = d.createdAt();
    updatedAt = d.updatedAt();
  }
}
