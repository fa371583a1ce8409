package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node that starts before its Redis (a pod scheduled before the Redis pod, a Redis restarting):
 * the key-layout step at start-up retries for up to 30 s ({@code Node.STARTUP_REDIS_WAIT_MS},
 * docs/operations.md), so the node comes up once Redis answers, and serves rooms, instead of
 * exiting.
 */
class RedisLateIT {
  private static final long REDIS_LATE_MS = 4000;

  @Test
  void aNodeStartedBeforeRedisComesUpOnceRedisAnswers() throws Exception {
    RedisServer redis = new RedisServer(); // its port is chosen, nothing listens on it yet
    try (TestCluster cluster = new TestCluster(redis, 1)) {
      long t0 = System.nanoTime();
      CompletableFuture<Void> late = CompletableFuture.runAsync(() -> {
        Await.quietPeriod(Duration.ofMillis(REDIS_LATE_MS), "Redis starts late");
        try {
          redis.start();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      cluster.start(0);
      long upMs = (System.nanoTime() - t0) / 1_000_000;
      late.get(30, TimeUnit.SECONDS);
      assertTrue(upMs >= REDIS_LATE_MS, "the node waited for Redis: up after " + upMs + " ms");
      Http http = cluster.http(0);
      Http.Reply created = http.post("/api/v1/rooms", new JsonObject().put("id", "late-redis").put("title", "t")
          .put("ownerId", "host-1"));
      assertEquals(201, created.status(), created.toString());
      assertEquals(200, http.get("/api/v1/rooms/late-redis").status());
      assertEquals(200, http.withToken(null).get("/health/ready").status(), "ready once Redis answers");
    } finally {
      redis.close();
    }
  }
}
