package io.liveroom.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The owner's merge of its edges' users, and the edges' own tallies: plain Java, no event loop. */
class RoomMembersTest {
  private static final long NOW = 1_000_000;
  private static final Member ALICE = new Member("alice", "Alice", "viewer");
  private static final Member BOB = new Member("bob", "Bob", "moderator");
  private static final Member GUEST = new Member("guest-1", "guest", "guest");

  private static List<String> ids(RoomMembers.Page p) {
    return p.members().stream().map(Member::userId).toList();
  }

  @Test
  void aUserOnTwoEdgesCountsOnceOnlineAndTwiceInConnections() {
    RoomMembers m = new RoomMembers();
    m.join("a/0", ALICE, NOW);
    m.join("b/0", ALICE, NOW);
    m.join("b/0", GUEST, NOW);
    m.join("b/0", new Member("guest-2", "guest", "guest"), NOW);
    assertEquals(3, m.online(), "alice once, each guest connection once");
    assertEquals(4, m.connections());
    assertEquals(2, m.guests());
    assertTrue(m.present(ALICE));
    assertFalse(m.present(GUEST), "a guest is never a known member");
    m.leave("a/0", "alice", false, NOW);
    assertEquals(3, m.online(), "still on b/0");
    m.leave("b/0", "alice", false, NOW);
    m.leave("b/0", "guest-1", true, NOW);
    assertEquals(1, m.online());
    assertEquals(1, m.connections());
    m.leave("b/0", "nobody", false, NOW);
    m.leave("c/0", "alice", false, NOW);
    assertEquals(1, m.connections(), "an unknown leave changes nothing");
  }

  @Test
  void theLatestTokensNameAndRoleAreListed() {
    RoomMembers m = new RoomMembers();
    m.join("a/0", ALICE, NOW);
    m.join("b/0", new Member("alice", "Alice L.", "moderator"), NOW);
    assertEquals(List.of(new Member("alice", "Alice L.", "moderator")), m.page(null, 10).members());
  }

  @Test
  void pagesFollowUserIdOrderAndACursorOfAUserWhoLeftStillWorks() {
    RoomMembers m = new RoomMembers();
    for (String id : List.of("u5", "u1", "u3", "u2", "u4")) {
      m.join(id.equals("u3") ? "b/0" : "a/0", new Member(id, id, "viewer"), NOW);
    }
    RoomMembers.Page p1 = m.page(null, 2);
    assertEquals(List.of("u1", "u2"), ids(p1));
    assertTrue(p1.more());
    m.leave("a/0", "u2", false, NOW);
    RoomMembers.Page p2 = m.page("u2", 2);
    assertEquals(List.of("u3", "u4"), ids(p2));
    assertTrue(p2.more());
    RoomMembers.Page p3 = m.page("u4", 2);
    assertEquals(List.of("u5"), ids(p3));
    assertFalse(p3.more());
    RoomMembers.Page exact = m.page("u3", 2);
    assertEquals(List.of("u4", "u5"), ids(exact));
    assertFalse(exact.more(), "a page that ends exactly at the last user says so");
  }

  @Test
  void aFullListReplacesTheEdgesCopyAndMatchesItsSummary() {
    RoomMembers m = new RoomMembers();
    m.join("a/0", ALICE, NOW);
    m.join("a/0", GUEST, NOW);
    m.join("b/0", ALICE, NOW);
    EdgeUsers edge = new EdgeUsers();
    edge.add(BOB);
    edge.add(BOB);
    edge.add(GUEST);
    assertFalse(m.matches("a/0", edge.summary(), NOW));
    m.replace("a/0", edge.entries(), edge.guests(), NOW);
    assertTrue(m.matches("a/0", edge.summary(), NOW));
    assertEquals(List.of("alice", "bob"), ids(m.page(null, 10)), "alice stays through b/0");
    assertEquals(3, m.online());
    assertEquals(4, m.connections());
    m.replace("b/0", List.of(), 0, NOW);
    assertEquals(List.of("bob"), ids(m.page(null, 10)));
    assertEquals(2, m.online());
  }

  @Test
  void anEdgeNotHeardFromIsForgotten() {
    RoomMembers m = new RoomMembers();
    m.join("a/0", ALICE, NOW);
    m.join("b/0", ALICE, NOW);
    m.join("b/0", BOB, NOW);
    EdgeUsers a = new EdgeUsers();
    a.add(ALICE);
    assertTrue(m.matches("a/0", a.summary(), NOW + 10_000));
    assertEquals(1, m.expire(NOW + 5_000));
    assertEquals(List.of("alice"), ids(m.page(null, 10)));
    assertEquals(1, m.connections());
    assertEquals(List.of("a/0"), toList(m.edges()));
  }

  @Test
  void theDigestDependsOnUsersAndTheirConnectionsNotOnOrder() {
    EdgeUsers x = new EdgeUsers();
    EdgeUsers y = new EdgeUsers();
    x.add(ALICE);
    x.add(BOB);
    x.add(BOB);
    y.add(BOB);
    y.add(ALICE);
    y.add(BOB);
    assertEquals(x.summary(), y.summary());
    x.remove("bob", false);
    x.add(ALICE);
    assertEquals(x.connections(), y.connections());
    assertNotEquals(x.summary(), y.summary(), "alice 2 + bob 1 is not alice 1 + bob 2");
    assertEquals(EdgeUsers.Removed.UNKNOWN, x.remove("carol", false));
    assertEquals(EdgeUsers.Removed.UNKNOWN, x.remove("guest-1", true));
    assertEquals(EdgeUsers.Removed.CONNECTION, x.remove("alice", false));
    assertEquals(EdgeUsers.Removed.LAST, x.remove("alice", false));
  }

  /** Random joins and leaves over three edges against a plain model: counts, pages and summaries agree. */
  @Test
  void randomChurnAgreesWithAModel() {
    Random rnd = new Random(42);
    RoomMembers m = new RoomMembers();
    String[] edges = {"a/0", "a/1", "b/0"};
    List<EdgeUsers> tallies = List.of(new EdgeUsers(), new EdgeUsers(), new EdgeUsers());
    TreeMap<String, Integer> model = new TreeMap<>(); // user -> connections anywhere
    int guests = 0;
    for (int i = 0; i < 20_000; i++) {
      int e = rnd.nextInt(3);
      boolean guest = rnd.nextInt(10) == 0;
      String user = guest ? "guest-" + e : "u" + rnd.nextInt(300);
      Member who = new Member(user, user, guest ? "guest" : "viewer");
      if (rnd.nextBoolean()) {
        m.join(edges[e], who, NOW);
        tallies.get(e).add(who);
        if (guest) {
          guests++;
        } else {
          model.merge(user, 1, Integer::sum);
        }
      } else if (tallies.get(e).remove(user, guest) != EdgeUsers.Removed.UNKNOWN) {
        m.leave(edges[e], user, guest, NOW);
        if (guest) {
          guests--;
        } else {
          model.merge(user, -1, (a, b) -> a + b == 0 ? null : a + b);
        }
      }
    }
    assertEquals(model.size() + guests, m.online());
    assertEquals(model.values().stream().mapToInt(Integer::intValue).sum() + guests, m.connections());
    for (int e = 0; e < 3; e++) {
      assertTrue(m.matches(edges[e], tallies.get(e).summary(), NOW), "edge " + edges[e]);
    }
    List<String> all = new ArrayList<>();
    String cursor = null;
    RoomMembers.Page p;
    do {
      p = m.page(cursor, 7);
      all.addAll(ids(p));
      cursor = all.isEmpty() ? null : all.get(all.size() - 1);
    } while (p.more());
    assertEquals(new ArrayList<>(model.keySet()), all);
  }

  private static List<String> toList(Iterable<String> it) {
    List<String> out = new ArrayList<>();
    it.forEach(out::add);
    return out;
  }
}
