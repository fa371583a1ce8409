package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A client that stops reading misses priority-0 items, then is cut off; the others keep receiving. */
@RedisAndCluster(nodes = 1)
class SlowConsumerIT {
  private static TestCluster cluster;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    cluster.start(0, new JsonObject().put("rt", new JsonObject()
        .put("sendRatePerSec", 100_000).put("sendBurst", 100_000)
        .put("roomMessagesPerSec", 1_000_000).put("roomMessagesBurst", 1_000_000)
        .put("writeQueueMaxBytes", 1024).put("slowConsumerMs", 300)));
  }

  private static RtClient member(int node, String user, String room) {
    return cluster.member(node, user, room);
  }

  private static void createRoom(String id) {
    cluster.createRoom(id);
  }

  @Test
  void aClientThatStopsReadingIsCutOffWhileOthersKeepReceiving() throws Exception {
    createRoom("slow-1");
    RtClient healthy = member(0, "healthy", "slow-1");
    RtClient slow = RtClient.connect(cluster.client(), cluster.node(0).httpPort(), null, 4096);
    assertTrue(slow.hello(cluster.token("slow"))
        .getBoolean("ok"));
    assertTrue(slow.join("slow-1").getBoolean("ok"));
    RtClient sender = member(0, "flooder", "slow-1");
    slow.stopReading();
    String text = "x".repeat(190);
    int n = 60_000;
    JsonObject cmd = new JsonObject().put("op", "send").put("room", "slow-1").put("body", new JsonObject().put("text", text));
    Counter cut = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
      sender.fire(cmd);
      if (i % 500 == 499) {
        Await.pace(Duration.ofMillis(20)); // bursts of 500 sends, then a look at the cut counter
        cut = cluster.node(0).services().metrics().registry().find("liveroom.connections.rejected")
            .tag("reason", "slow_consumer").counter();
        if (cut != null && cut.count() >= 1) {
          break;
        }
      }
    }
    Await.until(() -> {
      Counter c = cluster.node(0).services().metrics().registry().find("liveroom.connections.rejected")
          .tag("reason", "slow_consumer").counter();
      return c != null && c.count() >= 1;
    }, Duration.ofSeconds(20), "the slow consumer is cut off");
    // the healthy client is still connected and still receives
    assertFalse(healthy.isClosed());
    healthy.drainPushes();
    JsonObject after = new JsonObject().put("op", "send").put("room", "slow-1").put("body", new JsonObject().put("text", "still here?"));
    Await.until(() -> {
      sender.fire(after);
      try {
        JsonObject p = healthy.awaitPush(x -> "danmaku".equals(x.getString("push"))
            && x.getJsonArray("items").stream().anyMatch(o -> "still here?".equals(((JsonObject) o).getString("text"))), 500);
        return p != null;
      } catch (InterruptedException e) {
        return false;
      }
    }, Duration.ofSeconds(30), "the healthy client receives after the cut");
    Counter drops = cluster.node(0).services().metrics().registry().find("liveroom.messages.dropped")
        .tag("reason", "slow_consumer").counter();
    assertNotNull(drops, "priority-0 items for the full socket were counted as dropped");
    sender.close();
    healthy.close();
    slow.close();
  }

  @Test
  void aStuckClientOnTheFramedSockJsTransportIsCutOffToo() throws Exception {
    createRoom("slow-2");
    RtClient healthy = member(0, "healthy-2", "slow-2");
    RtClient slow = RtClient.connectFramed(cluster.client(), cluster.node(0).httpPort(), 4096);
    assertTrue(slow.hello(cluster.token("slow-2"))
        .getBoolean("ok"));
    assertTrue(slow.join("slow-2").getBoolean("ok"));
    RtClient sender = member(0, "flooder-2", "slow-2");
    double before = cuts();
    slow.stopReading();
    JsonObject cmd = new JsonObject().put("op", "send").put("room", "slow-2")
        .put("body", new JsonObject().put("text", "y".repeat(190)));
    for (int i = 0; i < 60_000 && cuts() == before; i++) {
      sender.fire(cmd);
      if (i % 500 == 499) {
        Await.pace(Duration.ofMillis(20)); // bursts of 500 sends
      }
    }
    Await.until(() -> cuts() > before, Duration.ofSeconds(20), "the framed slow consumer is cut off");
    assertEquals(before + 1, cuts(), 0.0, "one cut per connection, however many frames it missed");
    assertFalse(healthy.isClosed());
    sender.close();
    healthy.close();
    slow.close();
  }

  private static double cuts() {
    Counter c = cluster.node(0).services().metrics().registry().find("liveroom.connections.rejected")
        .tag("reason", "slow_consumer").counter();
    return c == null ? 0 : c.count();
  }
}
