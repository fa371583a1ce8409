package io.liveroom.it.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Limits of the real-time channel on real nodes: per-connection send rate, per-room message cap
 * (priority-aware) and new connections per address. Slow consumers: {@link SlowConsumerIT}.
 */
@RedisAndCluster(nodes = 2)
class LimitsIT {
  private static TestCluster cluster;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    cluster.start(0, new JsonObject().put("rt", new JsonObject()
        .put("maxConnectionsPerUser", 3)
        .put("sendRatePerSec", 2).put("sendBurst", 3)
        .put("roomMessagesPerSec", 1).put("roomMessagesBurst", 5)));
    cluster.start(1, new JsonObject().put("http", new JsonObject().put("instances", 1)).put("rt", new JsonObject()
        .put("ipConnectRatePerSec", 1).put("ipConnectBurst", 3)));
    cluster.awaitClusterSafe();
  }

  private static RtClient member(int node, String user, String room) {
    return cluster.member(node, user, room);
  }

  private static void createRoom(String id) {
    cluster.createRoom(id);
  }

  @Test
  void aConnectionOverItsSendRateIsRateLimitedWithRetryAfter() {
    createRoom("rate-1");
    RtClient c = member(0, "fast", "rate-1");
    for (int i = 0; i < 3; i++) {
      assertTrue(c.send("rate-1", "burst " + i).getBoolean("ok"));
    }
    JsonObject limited = c.send("rate-1", "one too many");
    assertFalse(limited.getBoolean("ok"));
    assertEquals("RATE_LIMITED", limited.getJsonObject("error").getString("code"));
    long retry = limited.getJsonObject("error").getLong("retryAfterMs");
    assertTrue(retry > 0 && retry <= 500, "retryAfterMs " + retry);
    c.close();
  }

  @Test
  void aRoomOverItsCapShedsNormalItemsButNeverTheHosts() {
    createRoom("cap-1");
    List<RtClient> senders = new ArrayList<>();
    int accepted = 0;
    int limited = 0;
    for (int i = 0; i < 8; i++) {
      RtClient s = member(0, "viewer-" + i, "cap-1");
      senders.add(s);
      JsonObject r = s.send("cap-1", "hello " + i);
      if (r.getBoolean("ok")) {
        accepted++;
      } else {
        assertEquals("RATE_LIMITED", r.getJsonObject("error").getString("code"));
        assertTrue(r.getJsonObject("error").getLong("retryAfterMs") > 0);
        limited++;
      }
    }
    assertTrue(accepted >= 5 && accepted <= 6, "the burst of 5 (plus refill) got through: " + accepted);
    assertEquals(8 - accepted, limited);
    RtClient host = member(0, "host-1", "cap-1");
    for (int i = 0; i < 3; i++) {
      JsonObject r = host.send("cap-1", "announcement " + i);
      assertTrue(r.getBoolean("ok"), "priority-1 items are never shed: " + r.encode());
    }
    host.close();
    senders.forEach(RtClient::close);
  }

  @Test
  void oneAddressOpeningConnectionsTooFastIsTurnedAway() throws Exception {
    List<RtClient> clients = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < 6; i++) {
      RtClient c = RtClient.connect(cluster.client(), cluster.node(1).httpPort());
      clients.add(c);
      JsonObject bye = c.awaitPush(x -> "bye".equals(x.getString("push")), 300);
      if (bye != null) {
        assertEquals("RATE_LIMITED", bye.getString("reason"));
        refused++;
      } else if (c.isClosed()) {
        refused++; // closed before this client saw the bye
      }
    }
    assertTrue(refused >= 2, "the burst is 3 at 1/s, so of 6 quick connections at least 2 are refused: " + refused);
    clients.forEach(RtClient::close);
    // the bucket refills at 1/s: the address may connect again within a few seconds (a refused
    // attempt takes no token)
    Await.until(LimitsIT::aConnectionFromThisAddressIsAccepted, Duration.ofSeconds(5),
        "node 1 accepts a connection from this address again");
  }

  /** Connects to node 1 and says hello; true when that is accepted (no bye, a hello reply). */
  private static boolean aConnectionFromThisAddressIsAccepted() {
    try (RtClient c = RtClient.connect(cluster.client(), cluster.node(1).httpPort())) {
      try {
        if (c.awaitPush(x -> "bye".equals(x.getString("push")), 100) != null || c.isClosed()) {
          return false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      return c.hello(null).getBoolean("ok", false);
    }
  }

  @Test
  void oneUserWithTooManyConnectionsIsRefusedUntilOneCloses() throws Exception {
    // node 0 allows 3 connections per user; they are counted across its edge instances
    List<RtClient> mine = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RtClient c = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
      assertTrue(c.hello(cluster.token("greedy")).getBoolean("ok"), "connection " + (i + 1) + " of 3");
      mine.add(c);
    }
    RtClient fourth = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    JsonObject refused = fourth.hello(cluster.token("greedy"));
    assertFalse(refused.getBoolean("ok"), refused.encode());
    assertEquals("RATE_LIMITED", refused.getJsonObject("error").getString("code"));
    assertTrue(refused.getJsonObject("error").getLong("retryAfterMs") > 0, refused.encode());
    // another user is not affected
    RtClient other = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    assertTrue(other.hello(cluster.token("modest")).getBoolean("ok"));
    // one closes: a new connection of the user gets in
    mine.remove(0).close();
    Await.until(() -> cluster.node(0).services().userConnections().of("greedy") == 2, java.time.Duration.ofSeconds(5),
        "the closed connection is released");
    RtClient again = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    assertTrue(again.hello(cluster.token("greedy")).getBoolean("ok"));
    mine.add(again);
    mine.forEach(RtClient::close);
    List.of(fourth, other).forEach(RtClient::close);
    Await.until(() -> cluster.node(0).services().userConnections().of("greedy") == 0, java.time.Duration.ofSeconds(5),
        "every connection released");
  }
}
