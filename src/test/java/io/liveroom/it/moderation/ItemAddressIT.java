package io.liveroom.it.moderation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Items addressed by (epoch, seq) on a real two-node cluster over real Redis: a delete or pin reaches
 * an item of the current epoch or of an earlier one (seq restarts with every epoch), from memory,
 * Redis history or the replay archive; the pinned item is kept with the room through demotion and
 * an owner failover. History is 5 items, so older items are only in Redis.
 */
@RedisAndCluster(nodes = 2)
class ItemAddressIT {
  private static TestCluster cluster;
  private static JsonObject config;
  private static JWTAuth jwt;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    config = new JsonObject()
        .put("rt", new JsonObject().put("sendRatePerSec", 1000).put("sendBurst", 1000).put("historySize", 5)
            .put("joinHistory", 5))
        .put("sweeper", new JsonObject().put("idleAfterMs", 500).put("intervalMs", 100));
    cluster.start(0, config);
    cluster.start(1, config);
    cluster.awaitClusterSafe();
    jwt = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
  }

  private static void create(String room) {
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", room).put("title", room)
        .put("ownerId", "host-1")).status());
  }

  /** Signed in on {@code node} as {@code user} (a moderator of every room when {@code moderator}). */
  private static RtClient client(int node, String user, boolean moderator) {
    RtClient c = RtClient.connect(cluster.client(), cluster.node(node).httpPort());
    JsonObject claims = new JsonObject().put("sub", user).put("name", user);
    if (moderator) {
      claims.put("rooms", new JsonObject().put("*", "moderator"));
    }
    assertTrue(c.hello(jwt.generateToken(claims, new JWTOptions().setExpiresInSeconds(300))).getBoolean("ok"));
    return c;
  }

  private static JsonObject join(RtClient c, String room) {
    JsonObject joined = c.join(room);
    assertTrue(joined.getBoolean("ok"), joined.encode());
    return joined;
  }

  /** A send with a progress (so the item is archived for replay); the ack. */
  private static JsonObject send(RtClient c, String room, String text, long progress) {
    JsonObject ack = c.call(new JsonObject().put("op", "send").put("room", room)
        .put("body", new JsonObject().put("text", text).put("progress", progress)));
    assertTrue(ack.getBoolean("ok"), ack.encode());
    return ack;
  }

  private static JsonObject moderate(RtClient c, String room, String action, long epoch, long seq) {
    return c.call(new JsonObject().put("op", "moderate").put("room", room).put("action", action).put("epoch", epoch)
        .put("seq", seq));
  }

  private static String code(JsonObject reply) {
    assertFalse(reply.getBoolean("ok"), reply.encode());
    return reply.getJsonObject("error").getString("code");
  }

  /** The room as the listing shows it (which never loads a cold room). */
  private static JsonObject listed(String room) {
    return cluster.http(0).get("/api/v1/rooms?limit=200").json().getJsonArray("rooms").stream()
        .map(o -> (JsonObject) o).filter(o -> o.getString("id").equals(room)).findFirst().orElseThrow();
  }

  /** Waits until the sweeper has demoted the room; its next use loads it with a new epoch. */
  private static void awaitDemoted(String room) {
    Await.until(() -> !listed(room).getBoolean("hot"), Duration.ofSeconds(15), room + " is demoted");
  }

  private static List<String> texts(JsonArray items) {
    List<String> out = new ArrayList<>();
    items.forEach(o -> out.add(((JsonObject) o).getString("text")));
    return out;
  }

  private static List<String> historyTexts(String room) {
    return texts(cluster.http(1).get("/api/v1/rooms/" + room + "/messages?limit=5").json().getJsonArray("items"));
  }

  private static List<String> replayTexts(String room) {
    return texts(cluster.http(0).get("/api/v1/rooms/" + room + "/replay").json().getJsonArray("items"));
  }

  @Test
  void aDeleteReachesItsItemInAnyEpochAndNeverTheSameSeqOfAnother() throws Exception {
    String room = "addr-1";
    create(room);
    RtClient talker = client(0, "talker", false);
    join(talker, room);
    JsonObject first = send(talker, room, "old one", 1000);
    long e1 = first.getLong("epoch");
    long s1 = first.getLong("seq");
    for (int i = 0; i < 6; i++) {
      send(talker, room, "old filler " + i, 2000 + i);
    }
    talker.close();
    awaitDemoted(room);

    RtClient mod = client(1, "mod-1", true);
    long e2 = join(mod, room).getLong("epoch");
    assertTrue(e2 > e1, "the reload took a new epoch");
    RtClient viewer = client(0, "viewer", false);
    join(viewer, room);
    JsonObject fresh = send(viewer, room, "new one", 5000);
    assertEquals(e2, fresh.getLong("epoch"));
    assertEquals(s1, fresh.getLong("seq"), "seq restarts with the epoch: two items share seq " + s1);
    viewer.drainPushes();

    // "old one" is past the 5 items of history (memory and Redis): found in the replay archive
    assertTrue(moderate(mod, room, "delete", e1, s1).getBoolean("ok"));
    JsonObject pushed = viewer.awaitPush(x -> "moderation".equals(x.getString("push"))
        && "delete".equals(x.getString("action")), 5000);
    assertNotNull(pushed);
    assertEquals(e1, pushed.getLong("epoch"));
    assertEquals(s1, pushed.getLong("seq"));
    assertFalse(replayTexts(room).contains("old one"), "a deleted item leaves replay");
    assertTrue(replayTexts(room).contains("new one"), "the same seq of the current epoch is not hit");
    assertTrue(historyTexts(room).contains("new one"));

    // an item of the earlier epoch still in history, and one of the current epoch
    long fillerSeq = s1 + 6;
    assertTrue(historyTexts(room).contains("old filler 5"));
    assertTrue(moderate(mod, room, "delete", e1, fillerSeq).getBoolean("ok"));
    JsonObject second = send(viewer, room, "new two", 6000);
    assertTrue(moderate(mod, room, "delete", e2, second.getLong("seq")).getBoolean("ok"));
    assertEquals(List.of("old filler 2", "old filler 3", "old filler 4", "new one"), historyTexts(room));
    JsonObject recovered = mod.call(new JsonObject().put("op", "join").put("room", room)
        .put("since", new JsonObject().put("epoch", e2).put("seq", 0)));
    assertTrue(recovered.getBoolean("recovered"), recovered.encode());
    assertEquals(List.of("new one"), texts(recovered.getJsonArray("history")), "recovery leaves it out");

    // not there: NOT_FOUND; a malformed address: BAD_REQUEST, over the socket and REST alike
    assertEquals("NOT_FOUND", code(moderate(mod, room, "delete", e1, s1)), "deleted already");
    assertEquals("NOT_FOUND", code(moderate(mod, room, "delete", e1, 99)));
    assertEquals("NOT_FOUND", code(moderate(mod, room, "pin", e2 + 5, s1)));
    assertEquals("BAD_REQUEST", code(mod.call(new JsonObject().put("op", "moderate").put("room", room)
        .put("action", "delete").put("seq", s1))), "seq alone no longer names an item");
    assertEquals("BAD_REQUEST", code(mod.call(new JsonObject().put("op", "moderate").put("room", room)
        .put("action", "delete").put("epoch", "1").put("seq", s1))));
    Http api = cluster.http(1);
    String path = "/api/v1/rooms/" + room + "/moderation";
    assertEquals(404, api.post(path, new JsonObject().put("action", "delete").put("epoch", e1).put("seq", 99))
        .status());
    assertEquals(400, api.post(path, new JsonObject().put("action", "delete").put("seq", 2)).status());
    assertEquals(400, api.post(path, new JsonObject().put("action", "pin").put("epoch", 1.5).put("seq", 2))
        .status());

    // pin an earlier epoch's item that only Redis has
    assertEquals(200, api.post(path, new JsonObject().put("action", "pin").put("epoch", e1).put("seq", s1 + 1))
        .status());
    JsonObject pinned = cluster.http(0).get("/api/v1/rooms/" + room).json().getJsonObject("pinned");
    assertEquals("old filler 0", pinned.getString("text"));
    assertEquals(e1, pinned.getLong("epoch"));

    // after the next reload the deleted items of both epochs stay out of history
    mod.close();
    viewer.close();
    awaitDemoted(room);
    RtClient back = client(1, "back", false);
    JsonObject again = join(back, room);
    assertTrue(again.getLong("epoch") > e2);
    assertEquals(List.of("old filler 3", "old filler 4", "new one"), texts(again.getJsonArray("history")));
    assertEquals("old filler 0", again.getJsonObject("room").getJsonObject("pinned").getString("text"));
    back.close();
  }

  @Test
  void aPinIsKeptWithTheRoomThroughDemotion() throws Exception {
    String room = "pin-1";
    create(room);
    RtClient host = client(0, "host-1", false);
    join(host, room);
    RtClient viewer = client(1, "viewer-p", false);
    join(viewer, room);
    JsonObject rules = send(host, room, "read the rules", 100);
    long e1 = rules.getLong("epoch");
    long seq = rules.getLong("seq");
    viewer.drainPushes();

    assertTrue(moderate(host, room, "pin", e1, seq).getBoolean("ok"));
    JsonObject pushed = viewer.awaitPush(x -> "moderation".equals(x.getString("push")), 5000);
    assertEquals("pin", pushed.getString("action"));
    assertEquals(e1, pushed.getLong("epoch"));
    assertEquals(seq, pushed.getLong("seq"));
    assertEquals("read the rules", pushed.getJsonObject("item").getString("text"));
    JsonObject roomPush = viewer.awaitPush(x -> "room".equals(x.getString("push")), 5000);
    assertEquals("read the rules", roomPush.getJsonObject("room").getJsonObject("pinned").getString("text"));

    RtClient joiner = client(0, "joiner", false);
    JsonObject pinned = join(joiner, room).getJsonObject("room").getJsonObject("pinned");
    assertEquals("read the rules", pinned.getString("text"));
    assertEquals(e1, pinned.getLong("epoch"));
    assertEquals(seq, pinned.getLong("seq"));
    assertEquals("read the rules", cluster.http(1).get("/api/v1/rooms/" + room).json().getJsonObject("pinned")
        .getString("text"));
    assertEquals("read the rules", listed(room).getJsonObject("pinned").getString("text"));

    for (RtClient c : List.of(host, viewer, joiner)) {
      c.close();
    }
    awaitDemoted(room);
    assertEquals("read the rules", listed(room).getJsonObject("pinned").getString("text"), "listed cold, from Redis");
    RtClient back = client(1, "back-p", false);
    JsonObject joined = join(back, room);
    assertTrue(joined.getLong("epoch") > e1, "reloaded with a new epoch");
    JsonObject after = joined.getJsonObject("room").getJsonObject("pinned");
    assertEquals("read the rules", after.getString("text"));
    assertEquals(e1, after.getLong("epoch"), "the pin keeps the epoch of its item");

    RtClient host2 = client(0, "host-1", false);
    join(host2, room);
    back.drainPushes();
    JsonObject unpin = host2.call(new JsonObject().put("op", "moderate").put("room", room).put("action", "unpin"));
    assertTrue(unpin.getBoolean("ok"), unpin.encode());
    JsonObject unpinned = back.awaitPush(x -> "moderation".equals(x.getString("push")), 5000);
    assertEquals("unpin", unpinned.getString("action"));
    assertFalse(unpinned.containsKey("epoch") || unpinned.containsKey("seq"));
    JsonObject cleared = back.awaitPush(x -> "room".equals(x.getString("push")), 5000);
    assertNull(cleared.getJsonObject("room").getValue("pinned"));
    assertTrue(cluster.http(0).get("/api/v1/rooms/" + room).json().containsKey("pinned"));
    assertNull(cluster.http(0).get("/api/v1/rooms/" + room).json().getValue("pinned"));
    back.close();
    host2.close();
  }

  @Test
  void aPinSurvivesAnOwnerFailoverAndADeleteOfItsItemUnpins() throws Exception {
    String room = "pin-fo";
    create(room);
    RtClient host = client(0, "host-1", false);
    JsonObject e1Join = join(host, room);
    JsonObject item = send(host, room, "pinned before the failover", 100);
    assertTrue(moderate(host, room, "pin", item.getLong("epoch"), item.getLong("seq")).getBoolean("ok"));
    host.close();

    String owner = cluster.http(0).get("/api/v1/rooms/" + room).owner();
    Node ownerNode = cluster.byNodeId(owner);
    int ownerIndex = cluster.node(0) == ownerNode ? 0 : 1;
    int survivor = 1 - ownerIndex;
    cluster.stop(ownerNode);
    try {
      Http.Reply got = cluster.http(survivor).get("/api/v1/rooms/" + room);
      assertEquals(200, got.status(), got.toString());
      assertNotEquals(owner, got.owner());
      assertEquals("pinned before the failover", got.json().getJsonObject("pinned").getString("text"));
      RtClient c = client(survivor, "host-1", false);
      JsonObject joined = join(c, room);
      assertTrue(joined.getLong("epoch") > e1Join.getLong("epoch"), "the new owner took a new epoch");
      assertEquals(item.getLong("epoch"), joined.getJsonObject("room").getJsonObject("pinned").getLong("epoch"));

      // deleting the pinned item unpins it
      assertTrue(moderate(c, room, "delete", item.getLong("epoch"), item.getLong("seq")).getBoolean("ok"));
      assertNull(cluster.http(survivor).get("/api/v1/rooms/" + room).json().getValue("pinned"));
      assertFalse(texts(joined.getJsonArray("history")).isEmpty());
      assertFalse(historyTexts(survivor, room).contains("pinned before the failover"));
      c.close();
    } finally {
      cluster.start(ownerIndex, config);
      cluster.awaitClusterSafe();
    }
  }

  private static List<String> historyTexts(int node, String room) {
    return texts(cluster.http(node).get("/api/v1/rooms/" + room + "/messages").json().getJsonArray("items"));
  }
}
