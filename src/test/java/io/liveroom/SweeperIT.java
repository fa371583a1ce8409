package io.liveroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Http;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Idle rooms leave memory and come back intact on first use. */
class SweeperIT {
  private static RedisServer redis;
  private static TestCluster cluster;

  @BeforeAll
  static void up() throws Exception {
    redis = RedisServer.started();
    cluster = new TestCluster(redis, 1);
    cluster.start(0, new JsonObject().put("sweeper", new JsonObject().put("idleAfterMs", 400).put("intervalMs", 100)));
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (redis != null) {
      redis.close();
    }
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

    cluster.until(() -> !listed("idle-1").getBoolean("hot"), Duration.ofSeconds(10), "idle-1 is demoted");
    assertEquals(0, cluster.node(0).services().metrics().roomsHot());
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
    long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
    while (System.nanoTime() < until) {
      assertEquals(200, api.get("/api/v1/rooms/busy-1").status());
      cluster.client().timer(100).await();
      assertTrue(listed("busy-1").getBoolean("hot"), "a room used every 100 ms must not be demoted");
    }
    assertFalse(cluster.running().isEmpty());
  }
}
