package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** A node's Hazelcast member listens on {@code cluster.host} only, not on every interface. */
@RedisAndCluster(nodes = 1)
class ClusterBindIT {
  @Test
  void hazelcastListensOnClusterHostOnly(TestCluster cluster) throws Exception {
    Node node = cluster.start(0);
    int port = node.services().hazelcast().getCluster().getLocalMember().getAddress().getPort();
    assertTrue(connects("127.0.0.1", port), "cluster.host (127.0.0.1) accepts connections");
    // every 127/8 address reaches the loopback interface, so only a socket bound to 0.0.0.0 answers here
    assertFalse(connects("127.0.0.2", port), "another local address is refused");
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
