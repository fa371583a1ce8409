package io.liveroom.it.moderation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** Moderation on a real two-node cluster: every action, its enforcement on every node, audit, demotion. */
@RedisAndCluster(nodes = 2)
class ModerationIT {
  private static final String ROOM = "mod-1";
  private static TestCluster cluster;
  private static JWTAuth jwt;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    JsonObject cfg = new JsonObject()
        .put("rt", new JsonObject().put("sendRatePerSec", 1000).put("sendBurst", 1000))
        .put("sweeper", new JsonObject().put("idleAfterMs", 500).put("intervalMs", 100));
    cluster.start(0, cfg);
    cluster.start(1, cfg);
    cluster.awaitClusterSafe();
    jwt = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", ROOM).put("title", "moderated")
        .put("ownerId", "host-m")).status());
  }

  private static RtClient client(int node, String user, JsonObject rooms) {
    RtClient c = RtClient.connect(cluster.client(), cluster.node(node).httpPort());
    JsonObject claims = new JsonObject().put("sub", user).put("name", user);
    if (rooms != null) {
      claims.put("rooms", rooms);
    }
    assertTrue(c.hello(jwt.generateToken(claims, new JWTOptions().setExpiresInSeconds(300))).getBoolean("ok"));
    return c;
  }

  private static RtClient member(int node, String user, JsonObject rooms) {
    RtClient c = client(node, user, rooms);
    JsonObject joined = c.join(ROOM);
    assertTrue(joined.getBoolean("ok"), joined.encode());
    return c;
  }

  private static JsonObject moderate(RtClient c, JsonObject cmd) {
    return c.call(cmd.copy().put("op", "moderate").put("room", ROOM));
  }

  private static String code(JsonObject reply) {
    assertFalse(reply.getBoolean("ok"), reply.encode());
    return reply.getJsonObject("error").getString("code");
  }

  private static JsonObject push(RtClient c, String kind) throws InterruptedException {
    return c.awaitPush(x -> kind.equals(x.getString("push")), 5000);
  }

  @Test
  void moderatorsActAndEveryNodeEnforces() throws Exception {
    RtClient host = member(0, "host-m", null);
    RtClient mod = member(1, "mod-a", new JsonObject().put(ROOM, "moderator"));
    RtClient v1 = member(0, "viewer-1", null);
    RtClient v2 = member(1, "viewer-2", null);

    assertEquals("FORBIDDEN", code(moderate(v1, new JsonObject().put("action", "mute").put("user", "viewer-2"))));
    assertEquals("BAD_REQUEST", code(moderate(mod, new JsonObject().put("action", "mute"))), "mute needs a user");
    assertEquals("BAD_REQUEST", code(moderate(mod, new JsonObject().put("action", "teleport").put("user", "viewer-2"))));

    // mute for 60 s: MUTED with retryAfterMs; everyone is told
    assertTrue(moderate(mod, new JsonObject().put("action", "mute").put("user", "viewer-1").put("durationSec", 60)
        .put("reason", "spam")).getBoolean("ok"));
    JsonObject muted = push(v2, "moderation");
    assertEquals("mute", muted.getString("action"));
    assertEquals("viewer-1", muted.getString("user"));
    assertEquals(60, muted.getInteger("durationSec"));
    JsonObject refused = v1.send(ROOM, "let me talk");
    assertEquals("MUTED", code(refused));
    long retry = refused.getJsonObject("error").getLong("retryAfterMs");
    assertTrue(retry > 55_000 && retry <= 60_000, "retryAfterMs " + retry);
    assertTrue(moderate(host, new JsonObject().put("action", "unmute").put("user", "viewer-1")).getBoolean("ok"),
        "the room's owner is its host");
    assertTrue(v1.send(ROOM, "thanks").getBoolean("ok"));

    // mute all: viewers wait, the host speaks
    assertTrue(moderate(mod, new JsonObject().put("action", "muteall")).getBoolean("ok"));
    assertEquals("MUTED", code(v2.send(ROOM, "hello?")));
    assertTrue(host.send(ROOM, "host speaking").getBoolean("ok"));
    assertTrue(moderate(mod, new JsonObject().put("action", "unmuteall")).getBoolean("ok"));

    // delete: clients are told, the item leaves history on every node
    JsonObject badAck = v2.send(ROOM, "a bad word");
    long bad = badAck.getLong("seq");
    long epoch = badAck.getLong("epoch");
    v1.drainPushes();
    assertTrue(moderate(mod, new JsonObject().put("action", "delete").put("epoch", epoch).put("seq", bad))
        .getBoolean("ok"));
    JsonObject deleted = v1.awaitPush(x -> "moderation".equals(x.getString("push")) && "delete".equals(x.getString("action")), 5000);
    assertNotNull(deleted);
    assertEquals(bad, deleted.getLong("seq"));
    assertEquals(epoch, deleted.getLong("epoch"));
    assertFalse(historyTexts(cluster.http(1)).contains("a bad word"));
    assertTrue(historyTexts(cluster.http(0)).contains("thanks"));
    assertEquals("NOT_FOUND", code(moderate(mod, new JsonObject().put("action", "delete").put("epoch", epoch)
        .put("seq", 99_999))));
    assertEquals("BAD_REQUEST", code(moderate(mod, new JsonObject().put("action", "delete").put("seq", bad))));

    // pin and unpin
    long good = host.send(ROOM, "read the rules").getLong("seq");
    assertTrue(moderate(mod, new JsonObject().put("action", "pin").put("epoch", epoch).put("seq", good))
        .getBoolean("ok"));
    assertNotNull(v2.awaitPush(x -> "pin".equals(x.getString("action")), 5000));
    assertNotNull(v2.awaitPush(x -> "room".equals(x.getString("push"))
        && x.getJsonObject("room").getValue("pinned") != null, 5000), "the room object carries the pin");
    assertTrue(moderate(mod, new JsonObject().put("action", "unpin")).getBoolean("ok"));
    assertNotNull(v2.awaitPush(x -> "room".equals(x.getString("push"))
        && x.getJsonObject("room").getValue("pinned") == null, 5000));

    // slow mode through moderation: the room object changes, members hear it
    assertTrue(moderate(mod, new JsonObject().put("action", "slowmode").put("durationSec", 20)).getBoolean("ok"));
    JsonObject room = v1.awaitPush(x -> "room".equals(x.getString("push"))
        && x.getJsonObject("room").getInteger("slowModeSec") != 0, 5000);
    assertEquals(20, room.getJsonObject("room").getInteger("slowModeSec"));
    assertTrue(v1.send(ROOM, "one").getBoolean("ok"));
    assertEquals("SLOW_MODE", code(v1.send(ROOM, "two")));
    assertTrue(moderate(mod, new JsonObject().put("action", "slowmode").put("durationSec", 0)).getBoolean("ok"));

    // kick: the user is out of the room, may come back
    assertTrue(moderate(mod, new JsonObject().put("action", "kick").put("user", "viewer-2")).getBoolean("ok"));
    JsonObject kicked = push(v2, "kicked");
    assertEquals(ROOM, kicked.getString("room"));
    assertEquals("FORBIDDEN", code(v2.send(ROOM, "am I in?")));
    assertTrue(v2.join(ROOM).getBoolean("ok"), "a kick is not a ban");

    // ban over REST: kicked now, and no node lets the user back in
    Http.Reply ban = cluster.http(0).post("/api/v1/rooms/" + ROOM + "/moderation",
        new JsonObject().put("action", "ban").put("user", "viewer-2").put("reason", "repeat offender"));
    assertEquals(200, ban.status(), ban.toString());
    assertEquals("banned", push(v2, "kicked").getString("reason"));
    for (int n = 0; n < 2; n++) {
      RtClient again = client(n, "viewer-2", null);
      assertEquals("BANNED", code(again.join(ROOM)));
      again.close();
    }
    assertEquals(400, cluster.http(1).post("/api/v1/rooms/" + ROOM + "/moderation",
        new JsonObject().put("action", "ban")).status());
    assertEquals(404, cluster.http(1).post("/api/v1/rooms/no-room/moderation",
        new JsonObject().put("action", "kick").put("user", "x")).status());

    // the audit log, newest first, paged
    JsonObject log = cluster.http(1).get("/api/v1/rooms/" + ROOM + "/moderation/log?limit=3").json();
    JsonArray entries = log.getJsonArray("entries");
    assertEquals(3, entries.size());
    assertEquals("ban", entries.getJsonObject(0).getString("action"));
    assertEquals("api", entries.getJsonObject(0).getString("by"));
    assertEquals("repeat offender", entries.getJsonObject(0).getString("reason"));
    assertNotNull(log.getString("next"));
    List<String> actions = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = cluster.http(0).get("/api/v1/rooms/" + ROOM + "/moderation/log?limit=4"
          + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.getJsonArray("entries").forEach(e -> actions.add(((JsonObject) e).getString("action")));
      cursor = page.getString("next");
    } while (cursor != null);
    assertEquals(List.of("ban", "kick", "slowmode", "slowmode", "unpin", "pin", "delete", "unmuteall", "muteall",
        "unmute", "mute"), actions);
    assertEquals(404, cluster.http(0).get("/api/v1/rooms/no-room/moderation/log").status());
    assertEquals(400, cluster.http(0).get("/api/v1/rooms/" + ROOM + "/moderation/log?cursor=abc").status());

    // it all survives demotion to Redis and back
    for (RtClient c : List.of(host, mod, v1, v2)) {
      c.close();
    }
    Await.until(() -> !cluster.http(0).get("/api/v1/rooms?limit=200").json().getJsonArray("rooms").stream()
        .map(o -> (JsonObject) o).filter(o -> o.getString("id").equals(ROOM)).findFirst().orElseThrow()
        .getBoolean("hot"), Duration.ofSeconds(15), "the room is demoted");
    RtClient back = client(1, "viewer-2", null);
    assertEquals("BANNED", code(back.join(ROOM)), "the ban came back from Redis");
    back.close();
    assertFalse(historyTexts(cluster.http(0)).contains("a bad word"), "the deleted item stays deleted");
  }

  @Test
  void replayReturnsTheWindowInProgressOrderWithoutDeletedItems() throws Exception {
    String room = "replay-1";
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", room).put("title", "replay")
        .put("ownerId", "host-r")).status());
    RtClient v = client(1, "watcher", null);
    assertTrue(v.join(room).getBoolean("ok"));
    long[] progress = {5000, 1000, 3000, 9000, 7000, 3000};
    long deleteSeq = -1;
    long deleteEpoch = -1;
    for (int i = 0; i < progress.length; i++) {
      JsonObject ack = v.call(new JsonObject().put("op", "send").put("room", room)
          .put("body", new JsonObject().put("text", "at " + progress[i] + " #" + i).put("progress", progress[i])));
      assertTrue(ack.getBoolean("ok"));
      if (i == 2) {
        deleteSeq = ack.getLong("seq");
        deleteEpoch = ack.getLong("epoch");
      }
    }
    assertTrue(v.send(room, "no progress, not archived").getBoolean("ok"));
    Http api = cluster.http(0);
    long ds = deleteSeq;
    Await.until(() -> api.get("/api/v1/rooms/" + room + "/replay").json().getJsonArray("items").size() == 6,
        Duration.ofSeconds(5), "the archive has the six items with a progress");
    JsonArray window = api.get("/api/v1/rooms/" + room + "/replay?fromMs=2000&toMs=7000").json().getJsonArray("items");
    List<Long> got = new ArrayList<>();
    window.forEach(o -> got.add(((JsonObject) o).getLong("progress")));
    assertEquals(List.of(3000L, 3000L, 5000L, 7000L), got, "exactly the window, in progress order");

    assertEquals(200, api.post("/api/v1/rooms/" + room + "/moderation",
        new JsonObject().put("action", "delete").put("epoch", deleteEpoch).put("seq", ds)).status());
    JsonArray after = api.get("/api/v1/rooms/" + room + "/replay?fromMs=2000&toMs=7000").json().getJsonArray("items");
    assertEquals(3, after.size());
    assertFalse(after.stream().anyMatch(o -> ((JsonObject) o).getLong("seq") == ds), "a deleted item leaves replay");

    JsonObject page = api.get("/api/v1/rooms/" + room + "/replay?limit=2").json();
    assertEquals(2, page.getJsonArray("items").size());
    assertTrue(page.getBoolean("more"));
    assertEquals(400, api.get("/api/v1/rooms/" + room + "/replay?fromMs=5&toMs=1").status());
    assertEquals(400, api.get("/api/v1/rooms/" + room + "/replay?fromMs=abc").status());
    assertEquals(404, api.get("/api/v1/rooms/no-room/replay").status());
    v.close();
  }

  @Test
  void everyActionOverRestIsSeenOnTheOtherNode() throws Exception {
    String room = "rest-mod-1";
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", room).put("title", "rest")
        .put("ownerId", "host-x")).status());
    RtClient watcher = client(1, "watcher-x", null);
    assertTrue(watcher.join(room).getBoolean("ok"));
    RtClient target = client(1, "target-x", null);
    assertTrue(target.join(room).getBoolean("ok"));
    JsonObject ack = target.send(room, "an item");
    long seq = ack.getLong("seq");
    long epoch = ack.getLong("epoch");
    Object[][] actions = {
        {"mute", new JsonObject().put("user", "target-x").put("durationSec", 30)},
        {"unmute", new JsonObject().put("user", "target-x")},
        {"muteall", new JsonObject()},
        {"unmuteall", new JsonObject()},
        {"slowmode", new JsonObject().put("durationSec", 5)},
        {"slowmode", new JsonObject().put("durationSec", 0)},
        {"pin", new JsonObject().put("epoch", epoch).put("seq", seq)},
        {"unpin", new JsonObject()},
        {"delete", new JsonObject().put("epoch", epoch).put("seq", seq)},
        {"kick", new JsonObject().put("user", "target-x")},
        {"ban", new JsonObject().put("user", "target-x")},
        {"unban", new JsonObject().put("user", "target-x")},
    };
    for (Object[] a : actions) {
      watcher.drainPushes();
      Http.Reply r = cluster.http(0).post("/api/v1/rooms/" + room + "/moderation",
          ((JsonObject) a[1]).copy().put("action", (String) a[0]));
      assertEquals(200, r.status(), a[0] + ": " + r);
      JsonObject seen = watcher.awaitPush(x -> "moderation".equals(x.getString("push"))
          && a[0].equals(x.getString("action")), 5000);
      assertTrue(seen != null, a[0] + " announced to a member on the other node");
    }
    RtClient back = client(0, "target-x", null);
    assertTrue(back.join(room).getBoolean("ok"), "unbanned: may join again");
    List<String> logged = new ArrayList<>();
    cluster.http(1).get("/api/v1/rooms/" + room + "/moderation/log?limit=50").json().getJsonArray("entries")
        .forEach(e -> logged.add(((JsonObject) e).getString("action")));
    java.util.Collections.reverse(logged);
    List<String> expected = new ArrayList<>();
    for (Object[] a : actions) {
      expected.add((String) a[0]);
    }
    assertEquals(expected, logged, "the audit log lists every action in order");
    watcher.close();
    target.close();
    back.close();
  }

  private static List<String> historyTexts(Http api) {
    List<String> texts = new ArrayList<>();
    api.get("/api/v1/rooms/" + ROOM + "/messages?limit=100").json().getJsonArray("items")
        .forEach(o -> texts.add(((JsonObject) o).getString("text")));
    return texts;
  }
}
