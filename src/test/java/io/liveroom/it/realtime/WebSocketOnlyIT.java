package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.LogCapture;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code rt.transports: ["websocket"]}: SockJS's HTTP transports are gone, and the edge's HTTP
 * server runs in Vert.x's strict thread mode, where a write from a wrong thread would fail. The
 * REST API, the raw WebSocket with its encode-once fan-out, and SockJS's framed WebSocket work, and
 * nothing is logged as an error.
 */
@RedisAndCluster(nodes = 1)
class WebSocketOnlyIT {
  private static TestCluster cluster;
  private static LogCapture logs;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    cluster.start(0, new JsonObject().put("rt", new JsonObject().put("transports", new JsonArray().add("websocket"))));
    logs = LogCapture.attach();
  }

  @AfterAll
  static void down() throws Exception {
    if (logs != null) {
      logs.close();
    }
  }

  @Test
  void httpTransportsAreGoneAndTheRestAndWebSocketsWork() throws Exception {
    Http http = cluster.http(0);
    assertEquals(404, http.send(HttpMethod.POST, "/rt/000/abcdef/xhr", null, null).status(), "xhr polling");
    assertEquals(404, http.send(HttpMethod.GET, "/rt/000/abcdef/eventsource", null, null).status(), "eventsource");
    Http.Reply info = http.get("/rt/info");
    assertEquals(200, info.status());
    assertTrue(info.json().getBoolean("websocket"), info.body());

    cluster.createRoom("ws-only");
    assertEquals(200, http.get("/api/v1/rooms/ws-only").status());

    try (RtClient a = cluster.member(0, "alice", "ws-only"); RtClient b = cluster.member(0, "bob", "ws-only")) {
      for (int i = 0; i < 8; i++) { // within the send burst (rt.sendBurst 10)
        JsonObject sent = a.send("ws-only", "hello " + i);
        assertTrue(sent.getBoolean("ok"), sent.encode());
      }
      int seen = 0;
      long lastSeq = 0;
      while (seen < 8) {
        JsonObject push = b.awaitPush(p -> "danmaku".equals(p.getString("push")), 5000);
        assertNotNull(push, "bob got " + seen + " of 8 items");
        for (Object o : push.getJsonArray("items")) {
          JsonObject item = (JsonObject) o;
          assertEquals(lastSeq + 1, item.getLong("seq"), "in seq order, no gap");
          lastSeq = item.getLong("seq");
          assertEquals("hello " + seen, item.getString("text"));
          seen++;
        }
      }
    }
    try (RtClient framed = RtClient.connectFramed(cluster.client(), cluster.node(0).httpPort(), 1 << 16)) {
      assertTrue(framed.hello(cluster.token("carol")).getBoolean("ok"), "SockJS's framed WebSocket");
    }
    Await.quietPeriod(Duration.ofMillis(200), "no ERROR in the server log after the sockets closed",
        () -> logs.errors().isEmpty());
    assertEquals("", logs.describeErrors(), "no ERROR in the server log");
  }
}
