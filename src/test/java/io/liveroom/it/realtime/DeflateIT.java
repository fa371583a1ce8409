package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.LogCapture;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * permessage-deflate on {@code /rt/websocket} ({@code rt.deflateLevel} above 0), on a real node: the
 * handshake always agrees to {@code server_no_context_takeover}, offers it cannot honour are
 * declined, compressing and plain sockets of one room get the same items in order (each fan-out
 * frame compressed once: fewer bytes per compressing socket than per plain one, by the node's own
 * count), a client's compressed commands are inflated, and one that inflates past the message
 * limit ends only that connection. Node 1 keeps the default (off) and never agrees.
 */
@RedisAndCluster(nodes = 2)
class DeflateIT {
  private static final String ROOM = "deflate-room";
  private static TestCluster cluster;
  private static LogCapture logs;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    cluster.start(0, new JsonObject().put("rt", new JsonObject().put("deflateLevel", 6).put("deflateMinBytes", 64)
        .put("sendBurst", 100).put("sendRatePerSec", 100)));
    cluster.start(1, new JsonObject());
    cluster.awaitClusterSafe();
    cluster.createRoom(ROOM);
    logs = LogCapture.attach();
  }

  @AfterAll
  static void down() throws Exception {
    if (logs != null) {
      logs.close();
    }
  }

  private static RtClient deflating(int node) {
    return RtClient.connect(cluster.client(), cluster.node(node).httpPort(),
        new WebSocketClientOptions().setTryUsePerMessageCompression(true), new WebSocketConnectOptions());
  }

  private static RtClient offering(int node, String extensions) {
    return RtClient.connect(cluster.client(), cluster.node(node).httpPort(),
        new WebSocketClientOptions().setTryUsePerMessageCompression(false),
        new WebSocketConnectOptions().addHeader("Sec-WebSocket-Extensions", extensions));
  }

  private static void signIn(RtClient c, String user) {
    assertTrue(c.hello(cluster.token(user)).getBoolean("ok"), user + " hello");
    assertTrue(c.join(ROOM).getBoolean("ok"), user + " join");
  }

  @Test
  void theHandshakeAgreesWithoutServerContextTakeoverOrDeclines() {
    try (RtClient c = deflating(0)) {
      String ext = c.extensions();
      assertNotNull(ext, "a compressing client's offer is agreed");
      assertTrue(ext.startsWith("permessage-deflate"), ext);
      assertTrue(ext.contains("server_no_context_takeover"), "always without server context takeover: " + ext);
      assertTrue(c.hello(cluster.token("ann")).getBoolean("ok"), "and the socket works");
    }
    // a browser's offer (client_max_window_bits without a value), then one the JDK's deflater cannot
    // honour (a smaller server window) before one it can: the second is agreed
    try (RtClient c = offering(0, "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits")) {
      assertEquals("permessage-deflate; server_no_context_takeover; client_max_window_bits=10", c.extensions(),
          "and a browser is asked to keep a 1 KiB window, all the node keeps of its past messages");
    }
    try (RtClient c = offering(0, "permessage-deflate; server_max_window_bits=9")) {
      assertNull(c.extensions(), "declined, not failed");
      assertTrue(c.hello(cluster.token("bea")).getBoolean("ok"), "the socket goes on uncompressed");
    }
    try (RtClient c = offering(0, "x-webkit-deflate-frame, permessage-deflate; unknown_param=1")) {
      assertNull(c.extensions(), "unknown extensions and parameters are declined");
      assertTrue(c.hello(cluster.token("cal")).getBoolean("ok"));
    }
    try (RtClient c = deflating(1)) {
      assertNull(c.extensions(), "rt.deflateLevel 0 (the default) agrees to nothing");
      assertTrue(c.hello(cluster.token("dan")).getBoolean("ok"));
    }
  }

  @Test
  void compressingAndPlainSocketsGetTheSameItemsAndCompressedOnesFewerBytes() throws Exception {
    double plainBefore = rawBytes("plain");
    double deflateBefore = rawBytes("deflate");
    try (RtClient publisher = deflating(0); RtClient zipped = deflating(0); RtClient plain = RtClient.connect(
        cluster.client(), cluster.node(0).httpPort())) {
      assertNull(plain.extensions());
      signIn(publisher, "pub");
      signIn(zipped, "zed");
      signIn(plain, "pat");
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        // long enough to be compressed (rt.deflateMinBytes 64), and alike, as chat is
        String text = ("item " + i + ": what a play, what a play, what a play! " + "gg ".repeat(i % 20)).strip();
        texts.add(text);
        JsonObject sent = publisher.send(ROOM, text); // the publisher's own commands go compressed
        assertTrue(sent.getBoolean("ok"), sent.encode());
      }
      assertEquals(texts, receive(zipped, texts.size()), "the compressing socket, in order");
      assertEquals(texts, receive(plain, texts.size()), "the plain socket, in order");
    }
    double plainBytes = rawBytes("plain") - plainBefore;
    double deflateBytes = rawBytes("deflate") - deflateBefore;
    // the same frames went to one plain socket, and to two compressing ones (publisher and zipped)
    assertTrue(plainBytes > 0 && deflateBytes > 0, "plain " + plainBytes + ", deflate " + deflateBytes);
    assertTrue(deflateBytes / 2 < plainBytes * 0.9,
        "compressed frames are smaller: " + deflateBytes / 2 + " bytes per compressing socket, " + plainBytes + " plain");
  }

  @Test
  void aMessageThatInflatesPastTheLimitEndsOnlyItsConnection() throws Exception {
    // one frame of 1 MiB of spaces compresses to about 1 KiB, under the frame limit; inflated it is
    // 16 times the 64 KiB message limit
    RtClient bomb = RtClient.connect(cluster.client(), cluster.node(0).httpPort(),
        new WebSocketClientOptions().setTryUsePerMessageCompression(true).setMaxFrameSize(2 << 20),
        new WebSocketConnectOptions());
    assertNotNull(bomb.extensions());
    bomb.writeText(" ".repeat(1 << 20));
    Await.until(bomb::isClosed, Duration.ofSeconds(10), "the connection is closed");
    assertEquals((short) 1009, bomb.closeStatus(), "closed as too big (RFC 6455 section 7.4.1)");
    bomb.close();
    try (RtClient after = deflating(0)) {
      signIn(after, "eve");
      assertTrue(after.send(ROOM, "still here, and compressed: " + "la ".repeat(30)).getBoolean("ok"));
    }
    Await.quietPeriod(Duration.ofMillis(200), "no ERROR in the server log", () -> logs.errors().isEmpty());
    assertEquals("", logs.describeErrors(), "no ERROR in the server log");
  }

  private static List<String> receive(RtClient c, int n) throws InterruptedException {
    List<String> got = new ArrayList<>();
    long lastSeq = 0;
    while (got.size() < n) {
      JsonObject push = c.awaitPush(p -> "danmaku".equals(p.getString("push")), 10_000);
      assertNotNull(push, "got " + got.size() + " of " + n + " items");
      for (Object o : push.getJsonArray("items")) {
        JsonObject item = (JsonObject) o;
        assertTrue(lastSeq == 0 || item.getLong("seq") == lastSeq + 1, "no gap: " + item.encode());
        lastSeq = item.getLong("seq");
        got.add(item.getString("text"));
      }
    }
    return got;
  }

  private static double rawBytes(String encoding) {
    String metrics = cluster.http(0).withToken(null).get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^liveroom_fanout_raw_bytes_total\\{encoding=\"" + encoding + "\"[^}]*} (\\S+)$")
        .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
