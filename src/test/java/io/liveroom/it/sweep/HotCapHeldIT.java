package io.liveroom.it.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.Ledger;
import io.liveroom.testing.LogCapture;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose rooms over {@code sweeper.maxHotRooms} all have members: they stay hot, the node
 * says so (gauge and warning), new rooms still load, and once the members leave the cap demotes
 * the rooms, which come back with every acknowledged item.
 */
@RedisAndCluster(nodes = 1)
class HotCapHeldIT {
  /** Two shard instances: a share of 5 each, low-water 4. */
  private static final int CAP = 10;
  private static final int HELD = 30;

  private static TestCluster cluster;
  private static LogCapture logs;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    logs = LogCapture.attach();
    cluster.start(0, new JsonObject()
        .put("sweeper", new JsonObject().put("maxHotRooms", CAP).put("intervalMs", 200).put("idleAfterMs", 3_600_000))
        .put("rt", new JsonObject().put("sendRatePerSec", 100).put("sendBurst", 100)));
  }

  @AfterAll
  static void down() {
    if (logs != null) {
      logs.close();
    }
  }

  private static long hot() {
    return cluster.node(0).services().metrics().roomsHot();
  }

  private static double overCap() {
    Gauge g = cluster.node(0).services().metrics().registry().find("liveroom.rooms.over.cap").gauge();
    return g == null ? Double.NaN : g.value();
  }

  @Test
  void roomsWithMembersStayOverTheCapAndGoOnceTheirMembersLeave() throws Exception {
    Http api = cluster.http(0);
    Ledger ledger = new Ledger();
    List<RtClient> members = new ArrayList<>();
    for (int i = 0; i < HELD; i++) {
      String room = "full-" + i;
      cluster.createRoom(room);
      RtClient m = cluster.member(0, "viewer-" + i, room);
      members.add(m);
      for (int k = 0; k < 2; k++) {
        String text = room + " item " + k;
        JsonObject sent = m.send(room, text);
        assertTrue(sent.getBoolean("ok"), sent.encode());
        ledger.acked(room, sent.getLong("epoch"), sent.getLong("seq"), text, "viewer-" + i);
      }
    }

    Await.until(() -> overCap() > 0, Duration.ofSeconds(10), () -> "rooms over the cap reported: " + overCap());
    Await.until(() -> logs.atLeast(Level.WARN).stream()
            .anyMatch(e -> e.getFormattedMessage().contains("of sweeper.maxHotRooms") && e.getFormattedMessage()
                .contains("cannot be demoted")),
        Duration.ofSeconds(10), "the shard warns that rooms over its cap cannot be demoted");
    // five sweep cycles: every room with a member stays
    Await.quietPeriod(Duration.ofSeconds(1), "rooms with members stay hot over the cap", () -> hot() >= HELD);

    // new rooms are still created and loaded
    Http.Reply created = api.post("/api/v1/rooms", new JsonObject().put("id", "newcomer").put("title", "late")
        .put("ownerId", "host-1"));
    assertEquals(201, created.status(), created.toString());
    assertEquals(200, api.get("/api/v1/rooms/newcomer").status());

    for (RtClient m : members) {
      m.close();
    }
    // once empty they are only old: the cap takes them down to its low-water mark (4 per instance)
    Await.until(() -> hot() <= CAP && overCap() == 0, Duration.ofSeconds(20),
        () -> "the cap demotes the rooms their members left: " + hot() + " hot, " + overCap() + " over the cap");
    Await.quietPeriod(Duration.ofSeconds(1), "the hot count stays under the cap", () -> hot() <= CAP);

    for (int i = 0; i < HELD; i++) {
      String room = "full-" + i;
      JsonArray items = api.get("/api/v1/rooms/" + room + "/messages?limit=10").json().getJsonArray("items");
      List<Ledger.Ack> acks = ledger.acks(room);
      assertEquals(acks.size(), items.size(), room + ": " + items.encode());
      for (int k = 0; k < acks.size(); k++) {
        assertEquals(acks.get(k).pos(), Ledger.posOf(items.getJsonObject(k), -1), room + " item " + k);
        assertEquals(acks.get(k).text(), items.getJsonObject(k).getString("text"), room + " item " + k);
      }
    }
    assertEquals("", logs.describeErrors());
  }
}
