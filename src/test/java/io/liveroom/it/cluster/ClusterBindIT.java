package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.protocol.Addresses;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node's Hazelcast member and its clustered event bus listen on {@code cluster.host} only, not
 * on every interface, and the event bus on {@code cluster.eventBusPort} when one is set.
 */
@RedisAndCluster(nodes = 2)
class ClusterBindIT {
  private static final int[] EVENT_BUS_PORTS = new int[2];

  @BeforeAll
  static void startTwoNodesWithFixedEventBusPorts(TestCluster cluster) throws Exception {
    for (int i = 0; i < 2; i++) {
      EVENT_BUS_PORTS[i] = RedisServer.freePort();
      cluster.start(i, new JsonObject().put("cluster", new JsonObject().put("eventBusPort", EVENT_BUS_PORTS[i])));
    }
    cluster.awaitClusterSafe();
  }

  @Test
  void hazelcastListensOnClusterHostOnly(TestCluster cluster) {
    Node node = cluster.node(0);
    int port = node.services().hazelcast().getCluster().getLocalMember().getAddress().getPort();
    assertTrue(connects("127.0.0.1", port), "cluster.host (127.0.0.1) accepts connections");
    // every 127/8 address reaches the loopback interface, so only a socket bound to 0.0.0.0 answers here
    assertFalse(connects("127.0.0.2", port), "another local address is refused");
  }

  @Test
  void eventBusListensOnTheFixedPortOfClusterHostOnly() {
    for (int port : EVENT_BUS_PORTS) {
      assertTrue(connects("127.0.0.1", port), "the event bus listens on cluster.eventBusPort " + port);
      assertFalse(connects("127.0.0.2", port), "the event bus is bound to cluster.host only");
    }
  }

  @Test
  void nodesTalkOverTheFixedEventBusPorts(TestCluster cluster) throws Exception {
    // a request from one node to the other crosses the event-bus connection between them
    Node from = cluster.node(0);
    Node to = cluster.node(1);
    JsonObject stats = from.vertx().eventBus()
        .<JsonObject>request(Addresses.nodeStats(to.nodeId()), null, new DeliveryOptions().setSendTimeout(5000))
        .await(10, TimeUnit.SECONDS).body();
    assertEquals(to.nodeId(), stats.getString("nodeId"));
  }

  private static boolean connects(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
