package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * The load generator's byte scan ({@link FrameScan}) on the frames a real node writes: a burst of
 * sends reaches one receiver over the raw WebSocket transport and one over SockJS's framed
 * WebSocket transport, and for every frame the scan reads exactly the items (and in the same
 * order) that decoding the frame as JSON gives, and leaves every other frame alone.
 */
@RedisAndCluster(nodes = 1)
class FrameScanIT {
  private static final int SENDS = 60;

  /** The text frames one WebSocket received, as bytes. */
  private static final class Capture {
    final boolean framed;
    final WebSocket ws;
    final ConcurrentLinkedQueue<byte[]> frames = new ConcurrentLinkedQueue<>();

    Capture(TestCluster cluster, boolean framed) {
      this.framed = framed;
      WebSocketClient client = cluster.client().createWebSocketClient();
      String uri = framed ? "/rt/000/" + UUID.randomUUID().toString().substring(0, 8) + "/websocket" : "/rt/websocket";
      ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(cluster.node(0).httpPort())
          .setURI(uri)).await();
      ws.frameHandler(f -> {
        if (f.isText() && f.isFinal()) {
          frames.add(f.binaryData().getBytes());
        }
      });
    }

    void command(JsonObject cmd) {
      String json = cmd.encode();
      ws.writeTextMessage(framed ? new JsonArray().add(json).encode() : json);
    }

    /** Every liveroom message of the frames so far, decoded as JSON. */
    List<JsonObject> messages() {
      List<JsonObject> out = new ArrayList<>();
      frames.forEach(f -> out.addAll(decode(f)));
      return out;
    }

    List<JsonObject> decode(byte[] frame) {
      String text = new String(frame, StandardCharsets.UTF_8);
      List<JsonObject> out = new ArrayList<>();
      if (!framed) {
        out.add(new JsonObject(text));
      } else if (text.startsWith("a")) {
        new JsonArray(text.substring(1)).forEach(m -> out.add(new JsonObject((String) m)));
      }
      return out;
    }

    boolean replied(long id) {
      return messages().stream().anyMatch(m -> m.getLong("id", -1L) == id && m.getBoolean("ok", false));
    }
  }

  @Test
  void readsExactlyWhatTheNodeWritesOnBothTransports(TestCluster cluster) throws Exception {
    cluster.start(0, new JsonObject().put("rt", new JsonObject().put("sendRatePerSec", 10_000)
        .put("sendBurst", 10_000)));
    String room = "scan-" + UUID.randomUUID().toString().substring(0, 8);
    cluster.createRoom(room);
    List<Capture> receivers = List.of(new Capture(cluster, false), new Capture(cluster, true));
    int user = 0;
    for (Capture c : receivers) {
      c.command(new JsonObject().put("id", 1).put("op", "hello").put("v", 1).put("token", cluster.token("r" + user++)));
      Await.until(() -> c.replied(1), Duration.ofSeconds(10), "hello");
      c.command(new JsonObject().put("id", 2).put("op", "join").put("room", room));
      Await.until(() -> c.replied(2), Duration.ofSeconds(10), "join");
    }
    try (RtClient publisher = cluster.member(0, "pub", room)) {
      // a burst, so that the node's ticks batch several items into a push (and SockJS several pushes into a frame)
      for (int i = 0; i < SENDS; i++) {
        publisher.fire(new JsonObject().put("op", "send").put("room", room)
            .put("body", new JsonObject().put("text", i % 2 == 0 ? "m" + i : "a \"seq\":" + i + " \\\"seq\\\":1")));
      }
      for (Capture c : receivers) {
        Await.until(() -> seqs(c.messages()).size() >= SENDS, Duration.ofSeconds(20),
            () -> (c.framed ? "SockJS" : "raw") + " receiver has " + seqs(c.messages()).size() + " items");
      }
    }
    for (Capture c : receivers) {
      List<Long> scanned = new ArrayList<>();
      List<Long> decoded = new ArrayList<>();
      int mostItemsInAFrame = 0;
      for (byte[] frame : c.frames) {
        List<JsonObject> messages = c.decode(frame);
        List<Long> seqs = seqs(messages);
        boolean danmakuOnly = !messages.isEmpty() && messages.stream().allMatch(m -> "danmaku".equals(m.getString("push")));
        List<Long> read = new ArrayList<>();
        int n = FrameScan.danmaku(frame, 0, frame.length, new FrameScan.Items() {
          @Override
          public void epoch(long epoch) {
            assertEquals(messages.get(0).getLong("epoch"), epoch);
          }

          @Override
          public void item(long seq) {
            read.add(seq);
          }
        });
        String what = (c.framed ? "SockJS" : "raw") + " frame " + new String(frame, StandardCharsets.UTF_8);
        assertEquals(danmakuOnly ? seqs.size() : -1, n, what);
        assertEquals(danmakuOnly ? seqs : List.of(), read, what);
        scanned.addAll(read);
        if (danmakuOnly) {
          decoded.addAll(seqs);
          mostItemsInAFrame = Math.max(mostItemsInAFrame, seqs.size());
        }
      }
      assertEquals(SENDS, decoded.size());
      assertEquals(decoded, scanned);
      assertTrue(mostItemsInAFrame > 1, "no frame carried a batch of items");
      c.ws.close();
    }
  }

  /** The seqs of the danmaku items of the messages, in order. */
  private static List<Long> seqs(List<JsonObject> messages) {
    List<Long> out = new ArrayList<>();
    for (JsonObject m : messages) {
      if ("danmaku".equals(m.getString("push"))) {
        m.getJsonArray("items").forEach(i -> out.add(((JsonObject) i).getLong("seq")));
      }
    }
    return out;
  }
}
