package io.liveroom.it.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Idle rooms leave memory and come back intact on first use. */
@RedisAndCluster(nodes = 1)
class SweeperIT {
  private static RedisServer redis;
  private static TestCluster cluster;
  private static io.vertx.ext.auth.jwt.JWTAuth jwt;

  @BeforeAll
  static void up(RedisServer r, TestCluster c) throws Exception {
    redis = r;
    cluster = c;
    // batches of 5: every cycle takes several batches per shard instance
    cluster.start(0, new JsonObject().put("sweeper", new JsonObject().put("idleAfterMs", 400).put("intervalMs", 100)
        .put("batchSize", 5))
        .put("rt", new JsonObject().put("sendRatePerSec", 1000).put("sendBurst", 1000).put("presenceRefreshMs", 200)));
    jwt = io.vertx.ext.auth.jwt.JWTAuth.create(cluster.client(), new io.vertx.ext.auth.jwt.JWTAuthOptions()
        .addPubSecKey(new io.vertx.ext.auth.PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
  }

  private static JsonObject listed(String id) {
    return cluster.http(0).get("/api/v1/rooms?limit=200").json().getJsonArray("rooms").stream()
        .map(o -> (JsonObject) o).filter(o -> o.getString("id").equals(id)).findFirst().orElseThrow();
  }

  @Test
  void anIdleRoomIsDemotedAndRehydratedIntact() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "idle-1").put("title", "sleepy")
        .put("ownerId", "host-1").put("metadata", new JsonObject().put("k", "v"))).status());
    assertEquals(200, api.patch("/api/v1/rooms/idle-1", new JsonObject().put("state", "live").put("slowModeSec", 3)).status());
    assertTrue(listed("idle-1").getBoolean("hot"));

    Await.until(() -> !listed("idle-1").getBoolean("hot"), Duration.ofSeconds(10), "idle-1 is demoted");
    Counter demoted = cluster.node(0).services().metrics().registry().find("liveroom.rooms.dropped")
        .tag("reason", "demoted").counter();
    assertTrue(demoted != null && demoted.count() >= 1);

    JsonObject back = api.get("/api/v1/rooms/idle-1").json();
    assertTrue(back.getBoolean("hot"));
    assertEquals("sleepy", back.getString("title"));
    assertEquals("live", back.getString("state"));
    assertEquals(3, back.getInteger("slowModeSec"));
    assertEquals("v", back.getJsonObject("metadata").getString("k"));
  }

  @Test
  void aRoomInUseStaysHot() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "busy-1").put("title", "busy")
        .put("ownerId", "host-1")).status());
    // 1.5 s is well past idleAfterMs (400 ms) and many sweeps (every 100 ms)
    Await.quietPeriod(Duration.ofMillis(1500), "busy-1, read at every check, stays hot (is not demoted)",
        () -> api.get("/api/v1/rooms/busy-1").status() == 200 && listed("busy-1").getBoolean("hot"));
    assertFalse(cluster.running().isEmpty());
  }

  private static RtClient member(String user, String room) {
    RtClient c = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    assertTrue(c.hello(jwt.generateToken(new JsonObject().put("sub", user),
        new io.vertx.ext.auth.JWTOptions().setExpiresInSeconds(300))).getBoolean("ok"));
    JsonObject joined = c.join(room);
    assertTrue(joined.getBoolean("ok"), joined.encode());
    return c;
  }

  private static double hydrations() {
    Counter c = cluster.node(0).services().metrics().registry().find("liveroom.rooms.hydrations")
        .tag("outcome", "ok").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void recentHistoryComesBackWithTheRoom() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "hist-1").put("title", "history")
        .put("ownerId", "host-1")).status());
    RtClient c = member("talker", "hist-1");
    for (int i = 0; i < 3; i++) {
      assertTrue(c.send("hist-1", "said " + i).getBoolean("ok"));
    }
    c.close();
    // moderation state goes cold with the room and comes back with it
    assertEquals(200, api.post("/api/v1/rooms/hist-1/moderation",
        new JsonObject().put("action", "ban").put("user", "troll")).status());
    assertEquals(200, api.post("/api/v1/rooms/hist-1/moderation",
        new JsonObject().put("action", "mute").put("user", "talker")).status());
    Await.until(() -> !listed("hist-1").getBoolean("hot"), Duration.ofSeconds(10), "hist-1 is demoted");
    RtClient troll = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    assertTrue(troll.hello(jwt.generateToken(new JsonObject().put("sub", "troll"),
        new io.vertx.ext.auth.JWTOptions().setExpiresInSeconds(300))).getBoolean("ok"));
    JsonObject refused = troll.join("hist-1");
    assertEquals("BANNED", refused.getJsonObject("error", new JsonObject()).getString("code"), refused.encode());
    troll.close();
    RtClient talker = member("talker", "hist-1");
    JsonObject muted = talker.send("hist-1", "still muted?");
    assertEquals("MUTED", muted.getJsonObject("error", new JsonObject()).getString("code"), muted.encode());
    talker.close();
    RtClient back = member("listener", "hist-1");
    JsonObject joined = back.join("hist-1");
    io.vertx.core.json.JsonArray history = joined.getJsonArray("history");
    assertEquals(3, history.size(), joined.encode());
    assertEquals("said 2", history.getJsonObject(2).getString("text"));
    assertTrue(history.getJsonObject(0).getLong("epoch") < joined.getLong("epoch"), "items of the earlier epoch");
    back.close();
  }

  @Test
  void withRedisDownNothingIsDemotedAndTheRoomKeepsWorking() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "keep-1").put("title", "keep")
        .put("ownerId", "host-1")).status());
    redis.stop();
    try {
      Await.until(() -> !cluster.node(0).services().health().redisUp(), Duration.ofSeconds(5), "Redis seen down");
      long hotBefore = cluster.node(0).services().metrics().roomsHot();
      // 1.5 s is well past idleAfterMs (400 ms) and many sweeps (every 100 ms)
      Await.quietPeriod(Duration.ofMillis(1500), "no hot room leaves memory while Redis is down (" + hotBefore + " hot)",
          () -> cluster.node(0).services().metrics().roomsHot() == hotBefore);
      Http.Reply r = api.get("/api/v1/rooms/keep-1");
      assertEquals(200, r.status(), "the hot room still answers: " + r);
    } finally {
      redis.start();
    }
  }

  @Test
  void manyConcurrentFirstAccessesToAColdRoomLoadItOnce() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "herd-1").put("title", "herd")
        .put("ownerId", "host-1")).status());
    Await.until(() -> !listed("herd-1").getBoolean("hot"), Duration.ofSeconds(10), "herd-1 is demoted");
    double before = hydrations();
    io.vertx.ext.web.client.WebClient web = io.vertx.ext.web.client.WebClient.create(cluster.client());
    java.util.List<io.vertx.core.Future<?>> gets = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      gets.add(web.get(cluster.node(0).httpPort(), "127.0.0.1", "/api/v1/rooms/herd-1")
          .bearerTokenAuthentication(TestCluster.API_KEY).send()
          .map(resp -> {
            assertEquals(200, resp.statusCode());
            return resp;
          }));
    }
    io.vertx.core.Future.all(gets).await();
    assertEquals(before + 1, hydrations(), 0.0, "50 concurrent first accesses, one Redis load");
  }

  @Test
  void sendsAcrossRepeatedDemotionsAreAllDeliveredAndKept() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "churn-1").put("title", "churn")
        .put("ownerId", "host-1")).status());
    int sent = 0;
    for (int round = 0; round < 4; round++) {
      RtClient c = member("churner", "churn-1");
      for (int i = 0; i < 3; i++) {
        assertTrue(c.send("churn-1", "round " + round + " item " + i).getBoolean("ok"));
        sent++;
      }
      c.close();
      Await.until(() -> !listed("churn-1").getBoolean("hot"), Duration.ofSeconds(10), "churn-1 is demoted again");
    }
    RtClient reader = member("reader", "churn-1");
    io.vertx.core.json.JsonArray history = reader.join("churn-1").getJsonArray("history");
    assertEquals(sent, history.size(), "every acknowledged item is in the room's history");
    reader.close();
  }

  @Test
  void aLiveRoomEmptyForItsTimeoutEndsAndOneWithMembersStays() throws Exception {
    Http api = cluster.http(0);
    for (String id : new String[] {"empty-1", "busy-2"}) {
      assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", id).put("title", id)
          .put("ownerId", "host-1").put("emptyTimeoutSec", 1)).status());
      assertEquals(200, api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "live")).status());
    }
    RtClient leaver = member("leaver", "empty-1");
    RtClient stayer = member("stayer", "busy-2");
    leaver.close();
    Await.until(() -> "ended".equals(api.get("/api/v1/rooms/empty-1").json().getString("state")),
        Duration.ofSeconds(10), "the empty live room ended");
    JsonObject busy = api.get("/api/v1/rooms/busy-2").json();
    assertEquals("live", busy.getString("state"), "a room with a member stays live");
    assertEquals(1, busy.getInteger("emptyTimeoutSec"));
    assertEquals(400, api.patch("/api/v1/rooms/busy-2", new JsonObject().put("filter", "shout")).status());
    stayer.close();
  }
}
