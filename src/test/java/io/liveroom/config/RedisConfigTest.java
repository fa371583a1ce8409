package io.liveroom.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code redis.mode} and what each mode needs, as a node (and {@code --check-config}) reads them. */
class RedisConfigTest {
  private static JsonObject with(JsonObject redis) {
    return new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", redis);
  }

  private static void rejected(JsonObject redis, String... words) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromJson(with(redis)));
    for (String w : words) {
      assertTrue(e.getMessage().contains(w), () -> "message should name " + w + ": " + e.getMessage());
    }
  }

  @Test
  void standaloneIsTheDefault() {
    LiveroomConfig.Redis r = ConfigLoader.fromJson(with(new JsonObject())).redis();
    assertEquals(RedisMode.STANDALONE, r.mode());
    assertEquals("redis://127.0.0.1:6379", r.url());
    assertEquals(List.of(), r.sentinels());
    assertEquals(List.of(), r.nodes());
    assertEquals("", r.password());
    assertFalse(r.tls());
  }

  @Test
  void sentinelAndClusterModes() {
    LiveroomConfig.Redis s = ConfigLoader.fromJson(with(new JsonObject().put("mode", "sentinel")
        .put("sentinels", new JsonArray().add("10.0.0.1:26379").add("sentinel-2:26379"))
        .put("masterName", "liveroom").put("password", "pw").put("tls", true))).redis();
    assertEquals(RedisMode.SENTINEL, s.mode());
    assertEquals(List.of("10.0.0.1:26379", "sentinel-2:26379"), s.sentinels());
    assertEquals("liveroom", s.masterName());
    assertEquals("pw", s.password());
    assertTrue(s.tls());
    LiveroomConfig.Redis c = ConfigLoader.fromJson(with(new JsonObject().put("mode", "cluster")
        .put("nodes", new JsonArray().add("127.0.0.1:7000")))).redis();
    assertEquals(RedisMode.CLUSTER, c.mode());
    assertEquals(List.of("127.0.0.1:7000"), c.nodes());
  }

  @Test
  void aModeWithoutWhatItNeedsIsRefused() {
    rejected(new JsonObject().put("mode", "replicas"), "redis.mode", "replicas");
    rejected(new JsonObject().put("mode", "sentinel").put("masterName", "liveroom"), "redis.sentinels");
    rejected(new JsonObject().put("mode", "sentinel").put("sentinels", new JsonArray().add("h:26379")),
        "redis.masterName");
    rejected(new JsonObject().put("mode", "cluster"), "redis.nodes");
    rejected(new JsonObject().put("mode", "cluster").put("nodes", new JsonArray().add("redis://h:7000")),
        "redis.nodes", "host:port");
    rejected(new JsonObject().put("mode", "cluster").put("nodes", new JsonArray().add("h:0")), "redis.nodes");
    rejected(new JsonObject().put("mode", "cluster").put("nodes", new JsonArray().add("h")), "redis.nodes");
    rejected(new JsonObject().put("nodes", new JsonArray().add("h:7000")), "redis.nodes", "standalone");
    rejected(new JsonObject().put("mode", "cluster").put("nodes", new JsonArray().add("h:7000"))
        .put("sentinels", new JsonArray().add("h:26379")), "redis.sentinels", "cluster");
    rejected(new JsonObject().put("tls", true), "redis.tls", "rediss://");
    rejected(new JsonObject().put("url", "redis://:pw@h:6379").put("password", "pw2"), "redis.password");
    rejected(new JsonObject().put("url", "http://h:6379"), "redis.url");
  }

  @Test
  void theNewKeysHaveEnvironmentVariablesAndThePasswordIsMasked() {
    JsonObject o = ConfigLoader.overlay(ConfigLoader.defaults(), Map.of(
        "LIVEROOM_REDIS_MODE", "cluster",
        "LIVEROOM_REDIS_NODES", "a:7000, b:7001",
        "LIVEROOM_REDIS_MASTER_NAME", "liveroom",
        "LIVEROOM_REDIS_SENTINELS", "s:26379",
        "LIVEROOM_REDIS_PASSWORD", "s3cret",
        "LIVEROOM_REDIS_TLS", "true"), Map.of());
    JsonObject redis = o.getJsonObject("redis");
    assertEquals("cluster", redis.getString("mode"));
    assertEquals(new JsonArray().add("a:7000").add("b:7001"), redis.getJsonArray("nodes"));
    assertEquals(new JsonArray().add("s:26379"), redis.getJsonArray("sentinels"));
    assertEquals("liveroom", redis.getString("masterName"));
    assertEquals(true, redis.getValue("tls"));
    assertFalse(ConfigLoader.masked(o).encode().contains("s3cret"), "redis.password is masked");
  }

  @Test
  void replicasToAckDefaultsByModeAndIsChecked() {
    assertEquals(0, ConfigLoader.fromJson(with(new JsonObject())).redis().replicasToAck(), "standalone: no WAIT");
    LiveroomConfig.Redis s = ConfigLoader.fromJson(with(new JsonObject().put("mode", "sentinel")
        .put("sentinels", new JsonArray().add("h:26379")).put("masterName", "liveroom"))).redis();
    assertEquals(1, s.replicasToAck(), "sentinel: one replica");
    assertEquals(500, s.replicasAckTimeoutMs());
    LiveroomConfig.Redis c = ConfigLoader.fromJson(with(new JsonObject().put("mode", "cluster")
        .put("nodes", new JsonArray().add("h:7000")))).redis();
    assertEquals(1, c.replicasToAck(), "cluster: one replica");
    LiveroomConfig.Redis none = ConfigLoader.fromJson(with(new JsonObject().put("mode", "cluster")
        .put("nodes", new JsonArray().add("h:7000")).put("replicasToAck", 0))).redis();
    assertEquals(0, none.replicasToAck(), "0 turns WAIT off in any mode");
    assertEquals(2, ConfigLoader.fromJson(with(new JsonObject().put("replicasToAck", 2)
        .put("replicasAckTimeoutMs", 200))).redis().replicasToAck(), "a standalone primary may have replicas too");

    rejected(new JsonObject().put("replicasToAck", -2), "redis.replicasToAck", "-1", "16");
    rejected(new JsonObject().put("replicasToAck", 17), "redis.replicasToAck", "16");
    rejected(new JsonObject().put("replicasToAck", "one"), "redis.replicasToAck", "integer");
    rejected(new JsonObject().put("replicasAckTimeoutMs", 0), "redis.replicasAckTimeoutMs");
    rejected(new JsonObject().put("replicasToAck", 1).put("timeoutMs", 500).put("replicasAckTimeoutMs", 500),
        "redis.replicasAckTimeoutMs", "redis.timeoutMs");
    // without WAIT the ack timeout is not used, so it may be anything in range
    assertEquals(0, ConfigLoader.fromJson(with(new JsonObject().put("timeoutMs", 100)
        .put("replicasAckTimeoutMs", 500))).redis().replicasToAck());
  }
}
