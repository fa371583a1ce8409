package io.liveroom.room;

import it.unimi.dsi.fastutil.objects.Object2LongOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2ObjectOpenHashMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who is in a hot room across the cluster, as its owner knows it: a copy of each edge instance's
 * {@link EdgeUsers}, kept by the joins and leaves the edges send and healed by their presence
 * refreshes, merged into the room's distinct signed-in users in user-id order (for the member
 * list) plus the guests. {@link #online} counts distinct users (a guest connection is one),
 * {@link #connections} every connection. An edge not heard from is forgotten by {@link #expire}.
 * Plain Java, touched only on the owner's event loop.
 */
public final class RoomMembers {
  /** One page of the member list: users after a cursor, in id order, and whether more follow. */
  public record Page(List<Member> members, boolean more) {
  }

  private static final class User {
    Member member;
    /** Edge instances with a connection of this user. */
    int edges;

    User(Member member) {
      this.member = member;
    }
  }

  private static final Member GUEST = new Member("guest", "guest", "guest");

  private final TreeMap<String, User> users = new TreeMap<>();
  private final Object2ObjectOpenHashMap<String, EdgeUsers> edges = new Object2ObjectOpenHashMap<>(2);
  private final Object2LongOpenHashMap<String> seen = new Object2LongOpenHashMap<>(2);
  private int connections;
  private int guests;

  /** Distinct users: signed-in users once however many connections they have, plus each guest connection. */
  public int online() {
    return users.size() + guests;
  }

  public int connections() {
    return connections;
  }

  public int guests() {
    return guests;
  }

  /** Whether the joining {@code m} is in the room already (a second connection is no new member). */
  public boolean present(Member m) {
    return !m.guest() && users.containsKey(m.userId());
  }

  /** A connection of {@code m} on {@code edge} joined. */
  public void join(String edge, Member m, long now) {
    EdgeUsers e = edges.get(edge);
    if (e == null) {
      e = new EdgeUsers();
      edges.put(edge, e);
    }
    seen.put(edge, now);
    connections++;
    if (m.guest()) {
      guests++;
    }
    if (e.add(m)) {
      User u = users.get(m.userId());
      if (u == null) {
        u = new User(m);
        users.put(m.userId(), u);
      }
      u.edges++;
      u.member = m;
    } else if (!m.guest()) {
      users.get(m.userId()).member = m;
    }
  }

  /** A connection of {@code userId} on {@code edge} left; one the owner does not know of changes nothing. */
  public void leave(String edge, String userId, boolean guest, long now) {
    EdgeUsers e = edges.get(edge);
    if (e == null) {
      return;
    }
    EdgeUsers.Removed r = e.remove(userId, guest);
    if (r == EdgeUsers.Removed.UNKNOWN) {
      return;
    }
    connections--;
    if (guest) {
      guests--;
    }
    if (r == EdgeUsers.Removed.LAST) {
      userLeftEdge(userId);
    }
    if (e.isEmpty()) {
      edges.remove(edge);
      seen.removeLong(edge);
    } else {
      seen.put(edge, now);
    }
  }

  /**
   * An edge's refresh summary: true when this copy of the edge matches it (the edge is then heard
   * from); false when the edge must send its full list ({@link #replace}). An edge that reports
   * nothing for a room this copy does not have matches.
   */
  public boolean matches(String edge, EdgeUsers.Summary s, long now) {
    EdgeUsers e = edges.get(edge);
    if (e == null) {
      return s.connections() == 0;
    }
    if (!e.matches(s)) {
      return false;
    }
    seen.put(edge, now);
    return true;
  }

  /** An edge's full list: it replaces this copy of the edge. */
  public void replace(String edge, List<EdgeUsers.Entry> entries, int guestConnections, long now) {
    forget(edge);
    for (EdgeUsers.Entry entry : entries) {
      if (!entry.member().guest()) {
        for (int i = 0; i < entry.connections(); i++) {
          join(edge, entry.member(), now);
        }
      }
    }
    for (int i = 0; i < guestConnections; i++) {
      join(edge, GUEST, now);
    }
    if (edges.get(edge) == null) {
      seen.removeLong(edge);
    }
  }

  /** Forgets the edges not heard from since {@code before} (a crashed or cut-off edge); returns how many. */
  public int expire(long before) {
    List<String> old = new ArrayList<>(1);
    for (var it = seen.object2LongEntrySet().iterator(); it.hasNext(); ) {
      var en = it.next();
      if (en.getLongValue() < before) {
        old.add(en.getKey());
      }
    }
    old.forEach(this::forget);
    return old.size();
  }

  /** Nobody is in the room any more (it ended). */
  public void clear() {
    users.clear();
    edges.clear();
    seen.clear();
    connections = 0;
    guests = 0;
  }

  /** The edge instances with connections in the room, as {@code <nodeId>/<instance>}. */
  public Iterable<String> edges() {
    return edges.keySet();
  }

  /** Up to {@code limit} signed-in users with ids after {@code after} (null: from the first), in id order. */
  public Page page(String after, int limit) {
    Map<String, User> tail = after == null ? users : users.tailMap(after, false);
    List<Member> out = new ArrayList<>(Math.min(limit, tail.size()));
    Iterator<User> it = tail.values().iterator();
    while (it.hasNext() && out.size() < limit) {
      out.add(it.next().member);
    }
    return new Page(out, it.hasNext());
  }

  /** Takes an edge's users and connections out of the room. */
  private void forget(String edge) {
    EdgeUsers e = edges.remove(edge);
    seen.removeLong(edge);
    if (e == null) {
      return;
    }
    connections -= e.connections();
    guests -= e.guests();
    for (String userId : e.userIds()) {
      userLeftEdge(userId);
    }
  }

  private void userLeftEdge(String userId) {
    User u = users.get(userId);
    if (u != null && --u.edges == 0) {
      users.remove(userId);
    }
  }
}
