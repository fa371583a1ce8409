package io.liveroom.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.hazelcast.config.Config;
import io.liveroom.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The Hazelcast member config a node's {@code cluster.*} keys give. */
class ClusterConfigTest {
  private static Config build(JsonObject cluster) {
    return ClusterConfig.build(ConfigLoader.fromJson(new JsonObject()
        .put("auth", new JsonObject().put("apiKeys", new JsonArray().add("abcdef"))
            .put("jwt", new JsonObject().put("secret", "a-test-secret-of-at-least-32-bytes!")))
        .put("cluster", cluster)));
  }

  @Test
  void theBindAddressIsAnnouncedByDefault() {
    Config hz = build(new JsonObject().put("host", "127.0.0.11").put("port", 15701));
    assertNull(hz.getNetworkConfig().getPublicAddress());
    assertEquals("127.0.0.11", hz.getProperty("hazelcast.local.localAddress"));
    assertEquals(15701, hz.getNetworkConfig().getPort());
  }

  @Test
  void aPublicAddressIsAnnouncedInstead() {
    Config hz = build(new JsonObject().put("host", "127.0.0.11").put("port", 15701)
        .put("publicAddress", "127.0.0.11:25701"));
    assertEquals("127.0.0.11:25701", hz.getNetworkConfig().getPublicAddress());
    assertEquals("127.0.0.11", hz.getProperty("hazelcast.local.localAddress"), "it still binds to cluster.host");
  }
}
