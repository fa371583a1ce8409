package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Redis goes away under a two-node cluster: writes and sends fail fast, hot reads go on, readiness says why. */
@RedisAndCluster(nodes = 2)
class RedisOutageIT {
  protected static RedisServer redis;
  private static TestCluster cluster;

  @BeforeAll
  static void up(RedisServer r, TestCluster c) throws Exception {
    redis = r;
    cluster = c;
  }

  /** The nodes' config on top of the test defaults: here their Redis is the class's one (standalone). */
  protected JsonObject nodeConfig() {
    return new JsonObject();
  }

  protected void stopRedis() throws Exception {
    redis.stop();
  }

  protected void startRedis() throws Exception {
    redis.start();
  }

  @BeforeEach
  void nodes() throws Exception {
    if (cluster.running().isEmpty()) {
      cluster.start(0, nodeConfig());
      cluster.start(1, nodeConfig());
      cluster.awaitClusterSafe();
    }
  }

  @Test
  void withRedisDownWritesAnswer503QuicklyAndHotReadsStillAnswer() throws Exception {
    JsonObject body = new JsonObject().put("id", "hot-1").put("title", "hot room").put("ownerId", "host-1");
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", body).status());
    assertEquals(200, cluster.http(1).get("/api/v1/rooms/hot-1").status());
    Await.until(() -> cluster.http(0).get("/health/ready").status() == 200, Duration.ofSeconds(10), "ready");
    // the room gets real-time state: its next send goes straight to the append
    assertEquals(202, cluster.http(0).post("/api/v1/rooms/hot-1/messages", new JsonObject().put("text", "before"))
        .status());

    stopRedis();

    for (int n = 0; n < 2; n++) {
      Http.Reply create = cluster.http(n).post("/api/v1/rooms",
          new JsonObject().put("title", "during outage").put("ownerId", "host-1"));
      assertEquals(503, create.status(), create.toString());
      assertEquals("UNAVAILABLE", create.errorCode());
      assertTrue(create.millis() < 2000, "create answered in " + create.millis() + " ms");

      Http.Reply patch = cluster.http(n).patch("/api/v1/rooms/hot-1", new JsonObject().put("title", "x"));
      assertEquals(503, patch.status(), patch.toString());
      assertTrue(patch.millis() < 2000, "patch answered in " + patch.millis() + " ms");

      // a send is acknowledged only once stored: without Redis it is refused, at once
      Http.Reply send = cluster.http(n).post("/api/v1/rooms/hot-1/messages", new JsonObject().put("text", "lost?"));
      assertEquals(503, send.status(), send.toString());
      assertEquals("UNAVAILABLE", send.errorCode());
      assertTrue(send.millis() < 2000, "send answered in " + send.millis() + " ms");

      Http.Reply read = cluster.http(n).get("/api/v1/rooms/hot-1");
      assertEquals(200, read.status(), read.toString());
      assertEquals("hot room", read.json().getString("title"), "the failed patch left the room unchanged");
    }
    Http.Reply cold = cluster.http(0).get("/api/v1/rooms/never-loaded");
    assertEquals(503, cold.status(), "a cold room cannot be loaded without Redis: " + cold);

    Await.until(() -> cluster.http(0).get("/health/ready").status() == 503, Duration.ofSeconds(5), "not ready");
    JsonObject ready = cluster.http(0).get("/health/ready").json();
    assertEquals("DOWN", ready.getJsonObject("checks").getJsonObject("redis").getString("status"));
    assertTrue(ready.getJsonObject("checks").getJsonObject("redis").getString("reason").contains("store unavailable"));
    assertEquals("UP", ready.getJsonObject("checks").getJsonObject("cluster").getString("status"));
    assertEquals(200, cluster.http(0).get("/health/live").status());

    startRedis();
    Await.until(() -> cluster.http(1).get("/health/ready").status() == 200, Duration.ofSeconds(10), "ready again");
    // writes work again without a restart of the nodes
    Http.Reply created = cluster.http(1).post("/api/v1/rooms",
        new JsonObject().put("id", "after-1").put("title", "after outage").put("ownerId", "host-1"));
    assertEquals(201, created.status(), created.toString());
  }
}
