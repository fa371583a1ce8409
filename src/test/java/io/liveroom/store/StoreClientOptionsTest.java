package io.liveroom.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisReplicas;
import io.vertx.redis.client.RedisRole;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The vertx-redis-client options each {@code redis.mode} turns into. */
class StoreClientOptionsTest {
  private static LiveroomConfig.Redis redis(JsonObject r) {
    return ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard"))).put("redis", r)).redis();
  }

  @Test
  void standalone() {
    RedisOptions o = StoreClient.options(redis(new JsonObject().put("url", "rediss://h:6380").put("password", "pw")));
    assertEquals(RedisClientType.STANDALONE, o.getType());
    assertEquals(List.of("rediss://h:6380"), o.getEndpoints());
    assertEquals("pw", o.getPassword());
  }

  @Test
  void sentinel() {
    RedisOptions o = StoreClient.options(redis(new JsonObject().put("mode", "sentinel")
        .put("sentinels", new JsonArray().add("s1:26379").add("s2:26380")).put("masterName", "liveroom")));
    assertEquals(RedisClientType.SENTINEL, o.getType());
    assertEquals(List.of("redis://s1:26379", "redis://s2:26380"), o.getEndpoints());
    assertEquals("liveroom", o.getMasterName());
    assertEquals(RedisRole.MASTER, o.getRole());
    assertNull(o.getPassword());
  }

  @Test
  void clusterWithTlsAndPassword() {
    RedisOptions o = StoreClient.options(redis(new JsonObject().put("mode", "cluster")
        .put("nodes", new JsonArray().add("n1:7000").add("n2:7001")).put("tls", true).put("password", "pw")));
    assertEquals(RedisClientType.CLUSTER, o.getType());
    assertEquals(List.of("rediss://n1:7000", "rediss://n2:7001"), o.getEndpoints());
    assertEquals(RedisReplicas.NEVER, o.getUseReplicas());
    assertEquals("pw", o.getPassword());
  }
}
