package io.liveroom.edge;

import io.liveroom.node.NodeServices;
import io.liveroom.cluster.Ownership;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import it.unimi.dsi.fastutil.objects.ObjectLinkedOpenHashSet;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Who is in which room on one edge instance: its sessions, the local members of each room, and
 * the users it reports to the rooms' owners. Each room's {@link EdgeUsers} counts a connection
 * from the moment its join is sent, as the owner will, so that both copies agree when a presence
 * refresh compares them; a session that leaves, is kicked, or ends ({@link #bye}, a closed
 * socket) is taken out here and counted out there. How bytes reach the members is
 * {@link FanoutWriter}'s business.
 */
final class LocalRooms {
  private static final long BYE_FLUSH_MS = 1000;

  private final Vertx vertx;
  private final NodeServices node;
  private final OwnerRequests owners;
  /** A room here: the sockets that get its pushes, and its users as its owner counts them (joins in flight too). */
  private static final class Local {
    /** A linked set: removal of one of 50,000 members is O(1). */
    final ObjectLinkedOpenHashSet<RtSession> sockets = new ObjectLinkedOpenHashSet<>();
    final EdgeUsers users = new EdgeUsers();
  }

  private final Map<String, Local> rooms = new HashMap<>();
  private final ObjectOpenHashSet<RtSession> sessions = new ObjectOpenHashSet<>();

  LocalRooms(Vertx vertx, NodeServices node, OwnerRequests owners) {
    this.vertx = vertx;
    this.node = node;
    this.owners = owners;
  }

  void add(RtSession s) {
    sessions.add(s);
    node.metrics().connections(1);
  }

  int connections() {
    return sessions.size();
  }

  /** A copy of the sessions, to end some of them while going through. */
  RtSession[] sessions() {
    return sessions.toArray(new RtSession[0]);
  }

  /** The local members of a room, null for none; read only, and not across a {@link #leave} or {@link #bye}. */
  ObjectLinkedOpenHashSet<RtSession> members(String room) {
    Local l = rooms.get(room);
    return l == null || l.sockets.isEmpty() ? null : l.sockets;
  }

  /** A join of {@code m} is about to be sent: counted here as the owner will count it. */
  void joining(String room, Member m) {
    rooms.computeIfAbsent(room, k -> new Local()).users.add(m);
  }

  /** A join counted by {@link #joining} that the owner did not count (refused, or taken back). */
  void notJoined(RtSession s, String room) {
    Local l = rooms.get(room);
    if (l != null) {
      l.users.remove(s.userId, s.guest);
      dropIfEmpty(room, l);
    }
  }

  /** The owner has counted {@code s} in the room: it gets the room's pushes from now on. */
  void joined(RtSession s, String room) {
    s.rooms.add(room);
    Local l = rooms.get(room);
    if (l == null) {
      // the room ended while the join was in flight: the count was dropped with it
      l = new Local();
      l.users.add(s.member(room));
      rooms.put(room, l);
    }
    l.sockets.add(s);
  }

  /** Takes {@code s} out of a room it is in and tells the owner; false when it was not in it. */
  boolean leave(RtSession s, String room) {
    if (!s.rooms.remove(room)) {
      return false;
    }
    if (removeLocal(room, s)) {
      owners.leave(room, s);
    }
    return true;
  }

  /** The room ended: its members are no longer in it, and the owner has already forgotten them. */
  void ended(String room) {
    Local l = rooms.get(room);
    if (l == null) {
      return;
    }
    for (RtSession s : l.sockets) {
      s.rooms.remove(room);
      l.users.remove(s.userId, s.guest);
    }
    l.sockets.clear();
    dropIfEmpty(room, l); // joins still in flight stay counted until they are answered
  }

  /** The socket closed (or is closing): the session leaves its rooms and the node's counts. */
  void closed(RtSession s) {
    if (!sessions.remove(s)) {
      return;
    }
    node.metrics().connections(-1);
    s.closed = true;
    if (s.countedUser) {
      s.countedUser = false;
      node.userConnections().release(s.userId);
    }
    for (String room : s.rooms) {
      if (removeLocal(room, s)) {
        owners.leave(room, s);
      }
    }
    s.rooms.clear();
  }

  void bye(RtSession s, String reason) {
    bye(s, reason, null);
  }

  /** Ends a session with a {@code bye} push ({@code hint}'s fields added): out of its rooms now, the socket soon. */
  void bye(RtSession s, String reason, JsonObject hint) {
    if (s.closed) {
      return;
    }
    JsonObject push = new JsonObject().put("push", "bye").put("reason", reason);
    if (hint != null) {
      push.mergeIn(hint);
    }
    Future<Void> written = s.write(push.encode());
    if (reason.equals("SLOW_CONSUMER")) {
      s.closeSocket(); // its queue is stuck: the bye may never be flushed, and the socket must go anyway
    } else {
      // SockJS sessions drop what is still queued when they close: let the bye out first, briefly
      long timer = vertx.setTimer(BYE_FLUSH_MS, id -> s.closeSocket());
      written.onComplete(ar -> {
        vertx.cancelTimer(timer);
        s.closeSocket();
      });
    }
    closed(s);
  }

  /**
   * Tells owners who this edge has in each room (soft state that heals after failures): one
   * message per owner shard instance with a summary of each of its rooms. The owner answers with
   * the rooms whose full list it wants (moved meanwhile, a new owner, or its copy differs), and
   * those go one by one through the routing retries, as do all the rooms of an owner that did not
   * answer.
   */
  void refresh() {
    Map<String, Map<String, EdgeUsers.Summary>> perOwner = new HashMap<>();
    rooms.forEach((room, local) -> {
      Ownership.Target t = node.ownership().resolve(room);
      if (t == null) {
        fullRefresh(room);
        return;
      }
      perOwner.computeIfAbsent(t.address(), a -> new HashMap<>()).put(room, local.users.summary());
    });
    perOwner.forEach((address, summaries) -> owners.presence(address, summaries).onComplete(ar -> {
      Iterable<String> again = ar.succeeded() ? ar.result().roomIds() : summaries.keySet();
      again.forEach(this::fullRefresh);
    }));
  }

  private void fullRefresh(String room) {
    Local l = rooms.get(room);
    if (l != null) {
      owners.refresh(room, l.users.entries(), l.users.guests());
    }
  }

  private boolean removeLocal(String room, RtSession s) {
    Local l = rooms.get(room);
    if (l == null || !l.sockets.remove(s)) {
      return false;
    }
    l.users.remove(s.userId, s.guest);
    dropIfEmpty(room, l);
    return true;
  }

  private void dropIfEmpty(String room, Local l) {
    if (l.sockets.isEmpty() && l.users.isEmpty()) {
      rooms.remove(room);
    }
  }
}
