package io.liveroom.room;

import it.unimi.dsi.fastutil.objects.Object2ObjectOpenHashMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The users of one room on one edge instance: each signed-in user with its connections there,
 * and the guests' connections (a guest is anonymous, so each of its connections is a user of its
 * own). Both sides keep one: the edge for its own members, the owner ({@link RoomMembers}) one
 * per edge, changed by the same joins and leaves. A {@link Summary} of each is compared at every
 * presence refresh, and only a mismatch sends the full list. Plain Java, one event loop.
 */
public final class EdgeUsers {
  /** What an edge reports of a room at each refresh: its connections, guests and the digest of its users. */
  public record Summary(int connections, int guests, long digest) {
  }

  /** One signed-in user in a full list: who, and with how many connections on the edge. */
  public record Entry(Member member, int connections) {
  }

  /** What {@link #remove} did. */
  public enum Removed { UNKNOWN, CONNECTION, LAST }

  private static final class Slot {
    Member member;
    int connections;

    Slot(Member member) {
      this.member = member;
    }
  }

  private final Object2ObjectOpenHashMap<String, Slot> users = new Object2ObjectOpenHashMap<>(2);
  private int connections;
  private int guests;
  /** The sum of {@link #term} over the users: order-free, so both sides keep it as things change. */
  private long digest;

  /** One more connection of {@code m}; true when {@code m} is a signed-in user who had none here. */
  public boolean add(Member m) {
    connections++;
    if (m.guest()) {
      guests++;
      return false;
    }
    Slot s = users.get(m.userId());
    boolean first = s == null;
    if (first) {
      s = new Slot(m);
      users.put(m.userId(), s);
    } else {
      digest -= term(m.userId(), s.connections);
      s.member = m; // the latest token's name and role
    }
    s.connections++;
    digest += term(m.userId(), s.connections);
    return first;
  }

  /** One connection fewer; {@link Removed#UNKNOWN} (nothing changes) when there is no such connection here. */
  public Removed remove(String userId, boolean guest) {
    if (guest) {
      if (guests == 0) {
        return Removed.UNKNOWN;
      }
      guests--;
      connections--;
      return Removed.CONNECTION;
    }
    Slot s = users.get(userId);
    if (s == null) {
      return Removed.UNKNOWN;
    }
    connections--;
    digest -= term(userId, s.connections);
    if (--s.connections == 0) {
      users.remove(userId);
      return Removed.LAST;
    }
    digest += term(userId, s.connections);
    return Removed.CONNECTION;
  }

  public Summary summary() {
    return new Summary(connections, guests, digest);
  }

  public boolean matches(Summary s) {
    return s.connections() == connections && s.guests() == guests && s.digest() == digest;
  }

  public int connections() {
    return connections;
  }

  public int guests() {
    return guests;
  }

  /** Signed-in users (guests apart). */
  public int users() {
    return users.size();
  }

  public boolean isEmpty() {
    return connections == 0;
  }

  public boolean has(String userId) {
    return users.containsKey(userId);
  }

  /** The signed-in users with their connections: the full list an edge sends when its summary did not match. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>(users.size());
    users.values().forEach(s -> out.add(new Entry(s.member, s.connections)));
    return out;
  }

  /** The user ids here, for the owner to take an edge's users out of the room. */
  public Iterable<String> userIds() {
    return users.keySet();
  }

  /**
   * A user with {@code n} connections as a 64-bit term of the digest: FNV-1a over the id's chars
   * and the count, then a Murmur3 finaliser, so that sums of terms rarely collide.
   */
  static long term(String userId, int n) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < userId.length(); i++) {
      h = (h ^ userId.charAt(i)) * 0x100000001b3L;
    }
    h = (h ^ n) * 0x100000001b3L;
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
