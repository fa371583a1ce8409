package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.RawWebSocket;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The raw WebSocket endpoint {@code /rt/websocket} with clients that are not ours: the JDK's
 * {@code java.net.http} client (on JDK 17 its upgrade carries {@code Content-Length: 0}) and,
 * so that the case is covered on any JDK, a hand-written upgrade with that header.
 */
@RedisAndCluster(nodes = 1, started = 1)
class StandardClientsIT {
  private static int port;

  @BeforeAll
  static void up(TestCluster cluster) {
    port = cluster.node(0).httpPort();
  }

  @Test
  void theJdkWebSocketClientConnectsAndTalks() throws Exception {
    Texts texts = new Texts();
    HttpClient http = HttpClient.newHttpClient();
    WebSocket ws = http.newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/rt/websocket"), texts)
        .get(10, TimeUnit.SECONDS);
    try {
      ws.sendText("{\"id\":1,\"op\":\"hello\"}", true).get(5, TimeUnit.SECONDS);
      JsonObject hello = texts.next();
      assertEquals(1, hello.getInteger("id"), hello.encode());
      assertEquals(true, hello.getBoolean("ok"), hello.encode());
      assertNotNull(hello.getJsonObject("user"), hello.encode());

      ws.sendText("{\"id\":2,\"op\":\"ping\"}", true).get(5, TimeUnit.SECONDS);
      JsonObject pong = texts.next();
      assertEquals(2, pong.getInteger("id"), pong.encode());
      assertEquals(true, pong.getBoolean("ok"), pong.encode());
      assertTrue(pong.getLong("ts") > 0, pong.encode());
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUpgradeWithContentLengthZeroIsAccepted() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/websocket", Map.of("Content-Length", "0"))) {
      assertEquals(101, ws.handshake().status(), ws.handshake().head() + ws.handshake().body());
      assertTrue(ws.sendText("{\"id\":7,\"op\":\"hello\"}"));
      RawWebSocket.Message reply = ws.read(10_000);
      assertEquals(RawWebSocket.TEXT, reply.opcode(), reply.toString());
      JsonObject hello = new JsonObject(reply.text());
      assertEquals(7, hello.getInteger("id"), hello.encode());
      assertEquals(true, hello.getBoolean("ok"), hello.encode());
    }
  }

  /** Collects whole text messages; asks for the next frame after each one. */
  private static final class Texts implements WebSocket.Listener {
    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    JsonObject next() throws InterruptedException {
      String m = messages.poll(10, TimeUnit.SECONDS);
      assertNotNull(m, "no message within 10 s");
      return new JsonObject(m);
    }
  }
}
