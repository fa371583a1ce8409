package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real-time channel on a real 3-node cluster: fan-out across nodes, recovery, bad input. */
@RedisAndCluster(nodes = 3)
class RealtimeIT {
  private static TestCluster cluster;
  private static JWTAuth jwt;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    JsonObject rt = new JsonObject().put("rt", new JsonObject().put("historySize", 20).put("joinHistory", 5)
        .put("sendRatePerSec", 10_000).put("sendBurst", 10_000));
    for (int i = 0; i < 3; i++) {
      cluster.start(i, rt);
    }
    cluster.awaitClusterSafe();
    jwt = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
  }

  private static String token(String user) {
    return jwt.generateToken(new JsonObject().put("sub", user).put("name", "User " + user),
        new JWTOptions().setExpiresInSeconds(300));
  }

  private static void createRoom(String id, boolean guests) {
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", id).put("title", "rt " + id)
        .put("ownerId", "host-1").put("guestsCanRead", guests)).status());
  }

  private static RtClient member(int node, String user, String room) {
    RtClient c = RtClient.connect(cluster.client(), cluster.node(node).httpPort());
    assertTrue(c.hello(token(user)).getBoolean("ok"));
    JsonObject joined = c.join(room);
    assertTrue(joined.getBoolean("ok"), joined.encode());
    return c;
  }

  /** Collects the items of danmaku pushes until {@code n} arrived or 10 s passed. */
  private static List<JsonObject> items(RtClient c, String room, int n) throws InterruptedException {
    return items(c, room, n, new ArrayList<>());
  }

  /** The next {@code n} items of a room; presence pushes of the room seen meanwhile go to {@code presence}. */
  private static List<JsonObject> items(RtClient c, String room, int n, List<JsonObject> presence)
      throws InterruptedException {
    List<JsonObject> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (out.size() < n && System.nanoTime() < deadline) {
      JsonObject p = c.awaitPush(x -> room.equals(x.getString("room"))
          && ("danmaku".equals(x.getString("push")) || "presence".equals(x.getString("push"))), 200);
      if (p != null && "presence".equals(p.getString("push"))) {
        presence.add(p);
      } else if (p != null) {
        p.getJsonArray("items").forEach(o -> out.add((JsonObject) o));
      }
    }
    return out;
  }

  @Test
  void everyMemberOnEveryNodeGetsEveryItemOnceInOrder() throws Exception {
    String room = "fanout-1";
    createRoom(room, true);
    List<RtClient> members = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      members.add(member(i % 3, "viewer-" + i, room));
    }
    RtClient[] senders = {member(0, "sender-a", room), member(1, "sender-b", room), member(2, "sender-c", room)};
    int perSender = 100;
    long epoch = -1;
    for (int i = 0; i < perSender; i++) {
      for (RtClient s : senders) {
        JsonObject ack = s.send(room, "message " + i);
        assertTrue(ack.getBoolean("ok"), ack.encode());
        epoch = ack.getLong("epoch");
      }
    }
    int total = perSender * senders.length;
    List<RtClient> everyone = new ArrayList<>(members);
    everyone.addAll(List.of(senders));
    List<JsonObject> presence = new ArrayList<>();
    for (RtClient c : everyone) {
      List<JsonObject> got = items(c, room, total, c == members.get(0) ? presence : new ArrayList<>());
      assertEquals(total, got.size(), "every item exactly once");
      for (int i = 0; i < total; i++) {
        assertEquals(i + 1, got.get(i).getLong("seq"), "items in seq order without gaps or duplicates");
      }
      Await.quietPeriod(Duration.ofMillis(200), "no danmaku push after the last item (a duplicate would be one)",
          () -> c.drainPushes().stream().noneMatch(x -> "danmaku".equals(x.getString("push"))));
    }
    // the online count reached members on every node (its push may have come with the items)
    if (presence.isEmpty()) {
      JsonObject late = members.get(0).awaitPush(x -> "presence".equals(x.getString("push")), 3000);
      assertNotNull(late, "a presence push");
      presence.add(late);
    }
    assertEquals(9, cluster.http(1).get("/api/v1/rooms/" + room).json().getInteger("online"));
    assertTrue(epoch > 0);
    // GET /stats: messages in and out per second over the last seconds, cluster-wide
    Await.until(() -> {
      JsonObject c = cluster.http(2).get("/api/v1/stats").json().getJsonObject("cluster");
      return c.getDouble("messagesInPerSec") > 0 && c.getDouble("messagesOutPerSec") > 0;
    }, java.time.Duration.ofSeconds(5), "message rates in GET /stats");
    for (RtClient c : everyone) {
      c.close();
    }
    Await.until(() -> cluster.http(2).get("/api/v1/rooms/" + room).json().getInteger("online") == 0,
        java.time.Duration.ofSeconds(5), "everyone left");
  }

  @Test
  void aRejoinWithSinceRecoversExactlyTheMissedItems() throws Exception {
    String room = "recover-1";
    createRoom(room, true);
    RtClient sender = member(1, "sender-r", room);
    JsonObject first = sender.send(room, "before");
    RtClient away = member(2, "viewer-r", room);
    JsonObject joined = away.join(room);
    long epoch = joined.getLong("epoch");
    long seq = joined.getLong("seq");
    assertEquals(first.getLong("seq"), seq);
    away.close();

    for (int i = 0; i < 4; i++) {
      sender.send(room, "missed " + i);
    }
    RtClient back = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    back.hello(token("viewer-r"));
    JsonObject rejoin = back.call(new JsonObject().put("op", "join").put("room", room)
        .put("since", new JsonObject().put("epoch", epoch).put("seq", seq)));
    assertTrue(rejoin.getBoolean("recovered"), rejoin.encode());
    JsonArray history = rejoin.getJsonArray("history");
    assertEquals(4, history.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(seq + 1 + i, history.getJsonObject(i).getLong("seq"));
      assertEquals("missed " + i, history.getJsonObject(i).getString("text"));
    }
    back.close();

    for (int i = 0; i < 30; i++) {
      sender.send(room, "rolled " + i);
    }
    RtClient late = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    late.hello(token("viewer-r"));
    JsonObject tooLate = late.call(new JsonObject().put("op", "join").put("room", room)
        .put("since", new JsonObject().put("epoch", epoch).put("seq", seq)));
    assertFalse(tooLate.getBoolean("recovered"), "history rolled past: " + tooLate.encode());
    assertEquals(5, tooLate.getJsonArray("history").size(), "the latest rt.joinHistory items");
    assertEquals("rolled 29", tooLate.getJsonArray("history").getJsonObject(4).getString("text"));
    JsonObject otherEpoch = late.call(new JsonObject().put("op", "join").put("room", room)
        .put("since", new JsonObject().put("epoch", epoch + 7).put("seq", 1)));
    assertFalse(otherEpoch.getBoolean("recovered"));
    late.close();
    sender.close();
  }

  @Test
  void aRetriedSendWithTheSameKeyIsNotBroadcastTwice() throws Exception {
    String room = "idem-1";
    createRoom(room, true);
    RtClient s = member(0, "sender-i", room);
    RtClient viewer = member(2, "viewer-i", room);
    JsonObject cmd = new JsonObject().put("op", "send").put("room", room).put("key", "k-1")
        .put("body", new JsonObject().put("text", "once").put("color", "#FF0000").put("mode", "top").put("progress", 1500));
    JsonObject a = s.call(cmd);
    JsonObject b = s.call(cmd);
    assertEquals(a.getLong("seq"), b.getLong("seq"));
    List<JsonObject> got = items(viewer, room, 2);
    assertEquals(1, got.size(), "delivered once");
    JsonObject item = got.get(0);
    assertEquals("#ff0000", item.getString("color"));
    assertEquals("top", item.getString("mode"));
    assertEquals(1500, item.getLong("progress"));
    assertEquals("sender-i", item.getJsonObject("user").getString("id"));
    assertEquals(0, item.getInteger("priority"));
    s.close();
    viewer.close();
  }

  @Test
  void badInputGetsItsErrorAndANeighbourIsUnaffected() throws Exception {
    String room = "bad-1";
    createRoom(room, false);
    RtClient neighbour = member(0, "neighbour", room);
    RtClient sender = member(1, "sender-n", room);
    RtClient bad = RtClient.connect(cluster.client(), cluster.node(0).httpPort());

    assertEquals("UNAUTHORIZED", code(bad.call(new JsonObject().put("op", "join").put("room", room))));
    assertEquals("BAD_REQUEST", code(bad.raw("not json")));
    assertEquals("BAD_REQUEST", code(bad.raw("[1,2,3]")));
    assertEquals("BAD_REQUEST", code(bad.raw("{\"id\":\"seven\",\"op\":\"ping\"}")));
    assertEquals("BAD_REQUEST", code(bad.call(new JsonObject())));
    assertEquals("BAD_REQUEST", code(bad.call(new JsonObject().put("op", 5))));
    assertEquals("TOO_LARGE", code(bad.raw("{\"op\":\"ping\",\"x\":\"" + "a".repeat(5000) + "\"}")));
    String forged = JWTAuth.create(cluster.client(), new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer("not-the-secret"))).generateToken(new JsonObject().put("sub", "mallory"));
    assertEquals("UNAUTHORIZED", code(bad.hello(forged)));
    String expired = jwt.generateToken(new JsonObject().put("sub", "late").put("exp", System.currentTimeMillis() / 1000 - 600));
    assertEquals("UNAUTHORIZED", code(bad.hello(expired)));
    String none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9.";
    assertEquals("UNAUTHORIZED", code(bad.hello(none)));

    JsonObject guest = bad.hello(null);
    assertTrue(guest.getBoolean("ok"));
    assertTrue(guest.getJsonObject("user").getString("id").startsWith("guest-"));
    assertEquals("FORBIDDEN", code(bad.join(room)), "the room is closed to guests");
    assertEquals("BAD_REQUEST", code(bad.call(new JsonObject().put("op", "hello"))), "hello twice");
    assertEquals("BAD_REQUEST", code(bad.call(new JsonObject().put("op", "fly"))));
    assertEquals("BAD_REQUEST", code(bad.call(new JsonObject().put("op", "join").put("room", 5))));
    assertEquals("BAD_REQUEST", code(bad.call(new JsonObject().put("op", "join").put("room", "../etc"))));
    assertEquals("NOT_FOUND", code(bad.join("no-such-room")));
    assertEquals("FORBIDDEN", code(bad.send(room, "hi")), "guests never send");
    assertTrue(bad.call(new JsonObject().put("op", "ping")).getLong("ts") > 0);

    RtClient viewer = member(2, "viewer-b", room);
    assertEquals("FORBIDDEN", code(viewer.send("other-room", "hi")), "send needs a join");
    for (Object[] c : new Object[][] {
        {new JsonObject(), "body.text"},
        {new JsonObject().put("text", "   "), "body.text"},
        {new JsonObject().put("text", "x".repeat(201)), "body.text"},
        {new JsonObject().put("text", 42), "body.text"},
        {new JsonObject().put("text", "hi").put("color", "red"), "body.color"},
        {new JsonObject().put("text", "hi").put("mode", "sideways"), "body.mode"},
        {new JsonObject().put("text", "hi").put("progress", -5), "body.progress"}}) {
      JsonObject r = viewer.call(new JsonObject().put("op", "send").put("room", room).put("body", c[0]));
      assertEquals("BAD_REQUEST", code(r), r.encode());
      assertTrue(r.getJsonObject("error").getString("message").contains((String) c[1]), r.encode());
    }

    RtClient foreign = null;
    try {
      foreign = RtClient.connect(cluster.client(), cluster.node(0).httpPort(), "https://evil.example");
    } catch (RuntimeException expected) {
      assertTrue(expected.getMessage().contains("403"), expected.getMessage());
    }
    assertNull(foreign, "a foreign Origin is refused at the handshake");
    RtClient local = RtClient.connect(cluster.client(), cluster.node(0).httpPort(), "http://localhost:3000");
    assertTrue(local.hello(null).getBoolean("ok"));
    local.close();

    JsonObject ack = sender.send(room, "<script>alert(1)</script>");
    assertTrue(ack.getBoolean("ok"));
    List<JsonObject> got = items(neighbour, room, 1);
    assertEquals(1, got.size());
    assertEquals("<script>alert(1)</script>", got.get(0).getString("text"), "text travels as text");
    assertFalse(neighbour.isClosed());
    bad.close();
    viewer.close();
    neighbour.close();
    sender.close();
  }

  @Test
  void repeatedAbuseClosesTheConnectionWithBye() throws Exception {
    RtClient abuser = RtClient.connect(cluster.client(), cluster.node(1).httpPort());
    for (int i = 0; i < 19; i++) {
      abuser.raw("garbage " + i);
    }
    abuser.raw("garbage 19");
    JsonObject bye = abuser.awaitPush(x -> "bye".equals(x.getString("push")), 3000);
    assertNotNull(bye);
    assertEquals("ABUSE", bye.getString("reason"));
    Await.until(abuser::isClosed, java.time.Duration.ofSeconds(5), "the abuser is disconnected");
    abuser.close();
  }

  @Test
  void aLeaveWhileJoiningNeitherBreaksCountsNorLosesTheReply() throws Exception {
    String room = "leave-race-1";
    createRoom(room, true);
    RtClient a = member(0, "racer-a", room);
    RtClient b = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    b.hello(token("racer-b"));
    long joinId = b.fire(new JsonObject().put("op", "join").put("room", room));
    JsonObject left = b.call(new JsonObject().put("op", "leave").put("room", room));
    assertTrue(left.getBoolean("ok"));
    // the join sent before the leave is answered too (ok, or refused with a documented code), not dropped
    List<JsonObject> replies = new ArrayList<>();
    Await.until(() -> {
      replies.addAll(b.drainReplies());
      return replies.stream().anyMatch(r -> isReplyTo(r, joinId));
    }, Duration.ofSeconds(5), () -> "the join (id " + joinId + ") is answered; replies: " + replies);
    JsonObject joinReply = replies.stream().filter(r -> isReplyTo(r, joinId)).findFirst().orElseThrow();
    assertTrue(joinReply.getBoolean("ok", false) || joinReply.getJsonObject("error") != null, joinReply.encode());
    // a, still joined, keeps receiving, and the room counts only a
    assertTrue(a.send(room, "after the race").getBoolean("ok"));
    assertEquals(1, items(a, room, 1).size());
    Await.until(() -> cluster.http(1).get("/api/v1/rooms/" + room).json().getInteger("online") == 1,
        java.time.Duration.ofSeconds(5), "online is 1");
    a.close();
    b.close();
  }

  private static boolean isReplyTo(JsonObject reply, long id) {
    return reply.getValue("id") instanceof Number n && n.longValue() == id;
  }

  @Test
  void roomChangesAndTheEndReachMembers() throws Exception {
    String room = "life-1";
    createRoom(room, true);
    RtClient viewer = member(2, "viewer-l", room);
    assertEquals(200, cluster.http(0).patch("/api/v1/rooms/" + room,
        new JsonObject().put("title", "new title").put("state", "live")).status());
    JsonObject changed = viewer.awaitPush(x -> "room".equals(x.getString("push")), 3000);
    assertNotNull(changed);
    assertEquals("new title", changed.getJsonObject("room").getString("title"));
    assertEquals("live", changed.getJsonObject("room").getString("state"));

    assertEquals(200, cluster.http(1).delete("/api/v1/rooms/" + room).status());
    JsonObject closed = viewer.awaitPush(x -> "closed".equals(x.getString("push")), 3000);
    assertNotNull(closed);
    assertEquals(room, closed.getString("room"));
    assertEquals("FORBIDDEN", code(viewer.send(room, "still here?")), "no longer in the room");
    assertEquals("ROOM_CLOSED", code(viewer.join(room)));
    viewer.close();
  }

  @Test
  void slowModeHoldsViewersButNotTheHost() throws Exception {
    String room = "slow-mode-1";
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", room).put("title", "slow")
        .put("ownerId", "host-s").put("slowModeSec", 30)).status());
    RtClient viewer = member(1, "viewer-s", room);
    assertTrue(viewer.send(room, "first").getBoolean("ok"));
    JsonObject second = viewer.send(room, "second");
    assertEquals("SLOW_MODE", code(second));
    long retry = second.getJsonObject("error").getLong("retryAfterMs");
    assertTrue(retry > 25_000 && retry <= 30_000, "retryAfterMs " + retry);
    RtClient host = member(1, "host-s", room);
    assertTrue(host.send(room, "one").getBoolean("ok"));
    assertTrue(host.send(room, "two").getBoolean("ok"), "the host is not held by slow mode");
    viewer.close();
    host.close();
  }

  @Test
  void idempotencyKeysBelongToTheirSender() throws Exception {
    String room = "idem-2";
    createRoom(room, true);
    RtClient a = member(0, "key-a", room);
    RtClient b = member(1, "key-b", room);
    JsonObject cmd = new JsonObject().put("op", "send").put("room", room).put("key", "1")
        .put("body", new JsonObject().put("text", "same key"));
    long sa = a.call(cmd).getLong("seq");
    long sb = b.call(cmd).getLong("seq");
    assertTrue(sb != sa, "another user's equal key does not swallow this message");
    a.close();
    b.close();
  }

  @Test
  void theFramedSockJsTransportCarriesTheSameProtocol() throws Exception {
    String room = "framed-1";
    createRoom(room, true);
    RtClient framed = RtClient.connectFramed(cluster.client(), cluster.node(1).httpPort(), 0);
    assertTrue(framed.hello(token("framed-u")).getBoolean("ok"));
    assertTrue(framed.join(room).getBoolean("ok"));
    RtClient raw = member(2, "raw-u", room);
    assertTrue(raw.send(room, "to the framed one").getBoolean("ok"));
    assertEquals("to the framed one", items(framed, room, 1).get(0).getString("text"));
    framed.close();
    raw.close();
  }

  @Test
  void serverSidePublishReachesMembersAndHistoryPagesBySeq() throws Exception {
    String room = "pub-1";
    createRoom(room, true);
    RtClient viewer = member(2, "viewer-p", room);
    io.liveroom.testing.Http api = cluster.http(0);
    io.liveroom.testing.Http.Reply pub = api.post("/api/v1/rooms/" + room + "/messages",
        new JsonObject().put("text", "Stream starts in 5 minutes").put("color", "#00FF00"));
    assertEquals(202, pub.status(), pub.toString());
    long seq = pub.json().getLong("seq");
    JsonObject item = items(viewer, room, 1).get(0);
    assertEquals("Stream starts in 5 minutes", item.getString("text"));
    assertEquals(1, item.getInteger("priority"), "an announcement is priority 1");
    assertEquals("server", item.getJsonObject("user").getString("id"));
    assertEquals("#00ff00", item.getString("color"));

    assertEquals(202, api.post("/api/v1/rooms/" + room + "/messages", new JsonObject().put("text", "normal")
        .put("priority", 0).put("user", new JsonObject().put("id", "bot-1").put("name", "Bot"))).status());
    for (int i = 0; i < 5; i++) {
      assertEquals(202, api.post("/api/v1/rooms/" + room + "/messages", new JsonObject().put("text", "n" + i)).status());
    }
    JsonObject all = api.get("/api/v1/rooms/" + room + "/messages").json();
    assertEquals(5, all.getJsonArray("items").size(), "the latest rt.joinHistory items by default");
    JsonObject page = api.get("/api/v1/rooms/" + room + "/messages?since=" + seq + "&limit=3").json();
    assertEquals(3, page.getJsonArray("items").size());
    assertEquals(seq + 1, page.getJsonArray("items").getJsonObject(0).getLong("seq"));
    assertEquals("Bot", page.getJsonArray("items").getJsonObject(0).getJsonObject("user").getString("name"));
    assertFalse(page.getBoolean("complete"), "more follow");
    JsonObject rest = api.get("/api/v1/rooms/" + room + "/messages?since=" + (seq + 3) + "&limit=10").json();
    assertEquals(3, rest.getJsonArray("items").size());
    assertTrue(rest.getBoolean("complete"));

    assertEquals(400, api.post("/api/v1/rooms/" + room + "/messages", new JsonObject().put("text", "x").put("priority", 2)).status());
    assertEquals(400, api.post("/api/v1/rooms/" + room + "/messages", new JsonObject().put("text", "  ")).status());
    assertEquals(400, api.post("/api/v1/rooms/" + room + "/messages", new JsonObject().put("text", "x").put("user", "bad id")).status());
    assertEquals(404, api.post("/api/v1/rooms/no-room-here/messages", new JsonObject().put("text", "x")).status());
    assertEquals(400, api.get("/api/v1/rooms/" + room + "/messages?limit=0").status());
    assertEquals(400, api.get("/api/v1/rooms/" + room + "/messages?since=-4").status());
    viewer.close();
  }

  private static String code(JsonObject reply) {
    assertFalse(reply.getBoolean("ok"), reply.encode());
    return reply.getJsonObject("error").getString("code");
  }
}
