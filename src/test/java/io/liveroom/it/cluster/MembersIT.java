package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Distinct-user presence and the member list on three real nodes (two edge and two shard
 * instances each): a user's connections on two nodes count once in {@code online} and twice in
 * {@code connections}; {@code GET /rooms/{id}/members} pages through the users of every node; a
 * new owner rebuilds the list from the edges' presence refreshes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RedisAndCluster(nodes = 3)
class MembersIT {
  private static TestCluster cluster;
  private static JWTAuth jwt;
  private final List<RtClient> clients = new ArrayList<>();

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    JsonObject fast = new JsonObject().put("rt", new JsonObject().put("presenceRefreshMs", 300));
    for (int i = 0; i < 3; i++) {
      cluster.start(i, fast);
    }
    cluster.awaitClusterSafe();
    jwt = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
  }

  @AfterEach
  void closeClients() {
    clients.forEach(RtClient::close);
    clients.clear();
  }

  private static String token(String user, String name, JsonObject rooms) {
    JsonObject claims = new JsonObject().put("sub", user).put("name", name);
    if (rooms != null) {
      claims.put("rooms", rooms);
    }
    return jwt.generateToken(claims, new JWTOptions().setExpiresInSeconds(300));
  }

  /** A client on node {@code node}, signed in ({@code token} null: a guest), that joined {@code room}. */
  private JsonObject joined(int node, String token, String room) {
    RtClient c = RtClient.connect(cluster.client(), cluster.node(node).httpPort());
    clients.add(c);
    assertTrue(c.hello(token).getBoolean("ok"));
    JsonObject reply = c.join(room);
    assertTrue(reply.getBoolean("ok"), reply.encode());
    return reply;
  }

  private RtClient client(int index) {
    return clients.get(index);
  }

  private static JsonObject room(int node, String id) {
    Http.Reply r = cluster.http(node).get("/api/v1/rooms/" + id);
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  /** Every member of the room through pages of {@code limit}, asked of node {@code node}; checks each next cursor. */
  private static List<JsonObject> allMembers(int node, String id, int limit) {
    List<JsonObject> all = new ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 50; pages++) {
      Http.Reply r = cluster.http(node).get("/api/v1/rooms/" + id + "/members?limit=" + limit
          + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, r.status(), r.toString());
      List<JsonObject> page = r.json().getJsonArray("members").stream().map(o -> (JsonObject) o).toList();
      assertTrue(page.size() <= limit, r.toString());
      all.addAll(page);
      cursor = r.json().getString("next");
      if (cursor == null) {
        return all;
      }
      assertEquals(limit, page.size(), "a page with a next cursor is full: " + r);
    }
    throw new AssertionError("more than 50 pages");
  }

  private static List<String> ids(List<JsonObject> members) {
    return members.stream().map(m -> m.getString("id")).toList();
  }

  private static JsonObject presence(RtClient c, String room, Predicate<JsonObject> match) throws InterruptedException {
    return c.awaitPush(p -> "presence".equals(p.getString("push")) && room.equals(p.getString("room"))
        && match.test(p), 5000);
  }

  @Test
  @Order(1)
  void aUserOnTwoNodesCountsOnceOnlineAndTwiceInConnections() throws Exception {
    String id = "members-two-nodes";
    cluster.createRoom(id);
    String alice = token("alice", "Alice", null);
    JsonObject first = joined(0, alice, id);
    assertEquals(1, first.getInteger("online"));
    assertEquals(1, first.getInteger("connections"));
    JsonObject second = joined(1, alice, id);
    assertEquals(1, second.getInteger("online"), "alice's second connection is not a second user: " + second);
    assertEquals(2, second.getInteger("connections"));
    assertEquals(1, second.getJsonObject("room").getInteger("online"));
    assertEquals(2, second.getJsonObject("room").getInteger("connections"));

    joined(2, token("bob", "Bob", null), id);
    JsonObject seen = presence(client(0), id, p -> p.getInteger("online") == 2 && p.getInteger("connections") == 3);
    assertNotNull(seen, "alice on node 0 sees 2 users on 3 connections");
    for (int n = 0; n < 3; n++) {
      JsonObject r = room(n, id);
      assertEquals(2, r.getInteger("online"), r.encode());
      assertEquals(3, r.getInteger("connections"), r.encode());
    }
    assertEquals(List.of("alice", "bob"), ids(allMembers(2, id, 50)));

    // the counts stay exact across presence refreshes (summaries match; nothing is counted twice)
    Await.quietPeriod(Duration.ofMillis(1200), "four presence refreshes");
    JsonObject r = room(1, id);
    assertEquals(2, r.getInteger("online"), r.encode());
    assertEquals(3, r.getInteger("connections"), r.encode());

    // alice closes her node-0 tab: still one user, one connection fewer
    client(0).close();
    assertNotNull(presence(client(2), id, p -> p.getInteger("online") == 2 && p.getInteger("connections") == 2),
        "bob sees alice's other connection keep her in");
    assertEquals(List.of("alice", "bob"), ids(allMembers(0, id, 50)));
  }

  @Test
  @Order(2)
  void theMemberListPagesThroughTheUsersOfEveryNode() {
    String id = "members-pages";
    cluster.createRoom(id); // owned by host-1
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      String user = String.format("u%02d", i);
      joined(i % 3, token(user, "User " + i, null), id);
      expected.add(user);
    }
    joined(1, token("u03", "User 3", null), id); // a second connection of u03, on another node
    joined(2, token("host-1", "Hana", null), id);
    joined(0, token("mod-1", "Mo", new JsonObject().put(id, "moderator")), id);
    joined(1, token("admin-1", "Ada", new JsonObject().put("*", "admin")), id);
    joined(2, null, id); // a guest
    expected.addAll(List.of("host-1", "mod-1", "admin-1"));
    List<String> sorted = expected.stream().sorted().toList();

    for (int limit : new int[] {3, 5, 10, 500}) {
      List<JsonObject> members = allMembers(limit % 3, id, limit);
      assertEquals(sorted, ids(members), "limit " + limit);
    }
    Map<String, JsonObject> byId = new java.util.HashMap<>();
    allMembers(0, id, 50).forEach(m -> byId.put(m.getString("id"), m));
    assertEquals(new JsonObject().put("id", "u03").put("name", "User 3").put("role", "viewer"), byId.get("u03"));
    assertEquals("host", byId.get("host-1").getString("role"), "the room's owner is host in it");
    assertEquals("Hana", byId.get("host-1").getString("name"));
    assertEquals("moderator", byId.get("mod-1").getString("role"));
    assertEquals("admin", byId.get("admin-1").getString("role"));

    Http.Reply page = cluster.http(1).get("/api/v1/rooms/" + id + "/members");
    assertEquals(1, page.json().getInteger("guests"), page.toString());
    assertNull(page.json().getString("next"), "10 users fit the default page of 50");
    JsonObject r = room(0, id);
    assertEquals(11, r.getInteger("online"), "10 users and a guest: " + r);
    assertEquals(12, r.getInteger("connections"), r.encode());
  }

  @Test
  @Order(3)
  void leavingUpdatesTheListAndThePresencePush() throws Exception {
    String id = "members-leave";
    cluster.createRoom(id);
    joined(0, token("carol", "Carol", null), id);
    joined(1, token("dave", "Dave", null), id);
    joined(2, token("erin", "Erin", null), id);
    assertNotNull(presence(client(0), id, p -> p.getInteger("online") == 3));
    assertEquals(List.of("carol", "dave", "erin"), ids(allMembers(0, id, 2)));

    assertTrue(client(1).call(new JsonObject().put("op", "leave").put("room", id)).getBoolean("ok"));
    assertNotNull(presence(client(0), id, p -> p.getInteger("online") == 2 && p.getInteger("connections") == 2),
        "carol sees dave leave");
    assertEquals(List.of("carol", "erin"), ids(allMembers(2, id, 1)));

    client(2).close();
    assertNotNull(presence(client(0), id, p -> p.getInteger("online") == 1 && p.getInteger("connections") == 1),
        "carol sees erin's connection close");
    assertEquals(List.of("carol"), ids(allMembers(1, id, 50)));
  }

  @Test
  @Order(4)
  void badRequestsGetClearErrors() {
    String id = "members-errors";
    cluster.createRoom(id);
    Http api = cluster.http(1);
    Http.Reply unknown = api.get("/api/v1/rooms/no-such-room/members");
    assertEquals(404, unknown.status(), unknown.toString());
    assertEquals("NOT_FOUND", unknown.errorCode());
    for (String limit : new String[] {"0", "501", "-1", "abc", "1e3"}) {
      Http.Reply bad = api.get("/api/v1/rooms/" + id + "/members?limit=" + limit);
      assertEquals(400, bad.status(), "limit=" + limit + ": " + bad);
      assertEquals("BAD_REQUEST", bad.errorCode());
    }
    assertEquals(200, api.get("/api/v1/rooms/" + id + "/members?limit=500").status());
    Http.Reply badCursor = api.get("/api/v1/rooms/" + id + "/members?cursor=%21%21");
    assertEquals(400, badCursor.status(), badCursor.toString());
    Http.Reply badId = api.get("/api/v1/rooms/bad%20id/members");
    assertEquals(400, badId.status(), badId.toString());
    Http.Reply anonymous = api.withToken(null).get("/api/v1/rooms/" + id + "/members");
    assertEquals(401, anonymous.status(), anonymous.toString());
    Http.Reply viewer = api.withToken(token("v", "V", null)).get("/api/v1/rooms/" + id + "/members");
    assertEquals(403, viewer.status(), "a JWT without role admin is not an API caller: " + viewer);
    Http.Reply empty = api.get("/api/v1/rooms/" + id + "/members");
    assertEquals(new JsonObject().put("members", new io.vertx.core.json.JsonArray()).putNull("next").put("guests", 0),
        empty.json());
  }

  @Test
  @Order(5)
  void aNewOwnerRebuildsTheListFromTheEdges() throws Exception {
    String id = "members-failover";
    cluster.createRoom(id);
    String ownerNode = cluster.http(0).get("/api/v1/rooms/" + id).owner();
    Node owner = cluster.byNodeId(ownerNode);
    List<Integer> others = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      if (cluster.node(n) != owner) {
        others.add(n);
      }
    }
    String frank = token("frank", "Frank", null);
    joined(others.get(0), frank, id);
    joined(others.get(1), frank, id);
    joined(others.get(1), token("gina", "Gina", null), id);
    joined(others.get(0), null, id);
    assertEquals(List.of("frank", "gina"), ids(allMembers(others.get(0), id, 50)));

    cluster.stop(owner);
    cluster.awaitClusterSafe();
    Http api = cluster.http(others.get(1));
    Await.until(() -> {
      Http.Reply r = api.get("/api/v1/rooms/" + id);
      return r.status() == 200 && !ownerNode.equals(r.owner()) && r.json().getInteger("online") == 3
          && r.json().getInteger("connections") == 4;
    }, Duration.ofSeconds(15), () -> "the new owner counts 3 users on 4 connections: " + api.get("/api/v1/rooms/" + id));
    assertEquals(List.of("frank", "gina"), ids(allMembers(others.get(0), id, 1)));
    Http.Reply page = api.get("/api/v1/rooms/" + id + "/members");
    assertEquals(1, page.json().getInteger("guests"), page.toString());
    double full = cluster.running().stream().mapToDouble(n -> n.services().metrics().registry()
        .find("liveroom.presence.full.refreshes").counters().stream().mapToDouble(c -> c.count()).sum()).sum();
    assertTrue(full >= 1, "the new owner asked the edges for their lists");
  }
}
