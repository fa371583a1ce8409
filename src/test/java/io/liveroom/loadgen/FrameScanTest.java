package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liveroom.protocol.Pushes;
import io.liveroom.room.Danmaku;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.impl.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The counting receivers' byte scan agrees with the node's encoding: pushes built by the node's
 * own {@link Pushes#danmaku} (the bytes the raw WebSocket transport writes) and the same pushes
 * framed by vertx-web's SockJS codec ({@code "a" + JsonCodec.encode(messages)}, as its WebSocket
 * transport writes a session's pending messages).
 */
class FrameScanTest {
  private static final class Seen implements FrameScan.Items {
    final List<Long> epochs = new ArrayList<>();
    final List<Long> seqs = new ArrayList<>();

    @Override
    public void epoch(long epoch) {
      epochs.add(epoch);
    }

    @Override
    public void item(long seq) {
      seqs.add(seq);
    }
  }

  private static Danmaku item(long epoch, long seq, String user, String text) {
    return new Danmaku(epoch, seq, user, user, text, "#ffffff", "scroll", -1, seq, 0);
  }

  /** A tick's batch of three items, one of them a stranger's whose texts look like keys. */
  private static String push(long epoch, long firstSeq) {
    return Pushes.danmaku("room-1", epoch, List.of(
        item(epoch, firstSeq, "lg-p0", "lg 123456789 lg-p0.1"),
        // quotes are escaped in JSON (and once more in a SockJS string), so these cannot fool the scan
        new Danmaku(epoch, firstSeq + 1, "u\"seq\":1", "name \\\"seq\\\":2", "\"seq\":99 \\\"seq\\\":98 \"epoch\":5",
            "#ffcc00", "top", 5, 2L, 1),
        item(epoch, firstSeq + 2, "lg-p1", "lg 987654321 lg-p1.2"))).toString(StandardCharsets.UTF_8);
  }

  private static Seen scan(String frame, int expected) {
    byte[] b = frame.getBytes(StandardCharsets.UTF_8);
    Seen seen = new Seen();
    assertEquals(expected, FrameScan.danmaku(b, 0, b.length, seen), frame);
    return seen;
  }

  @Test
  void readsTheItemsOfARawWebSocketFrame() {
    Seen seen = scan(push(7, 41), 3);
    assertEquals(List.of(7L), seen.epochs);
    assertEquals(List.of(41L, 42L, 43L), seen.seqs);
  }

  @Test
  void readsEveryMessageOfASockJsFrame() {
    Seen one = scan("a" + JsonCodec.encode(new String[] {push(3, 1_000_000_001L)}), 3);
    assertEquals(List.of(3L), one.epochs);
    assertEquals(List.of(1_000_000_001L, 1_000_000_002L, 1_000_000_003L), one.seqs);

    // a session's pending messages go out together: two pushes, the second of a new epoch
    Seen two = scan("a" + JsonCodec.encode(new String[] {push(3, 10), push(4, 1)}), 6);
    assertEquals(List.of(3L, 4L), two.epochs);
    assertEquals(List.of(10L, 11L, 12L, 1L, 2L, 3L), two.seqs);
  }

  @Test
  void readsAFrameInsideALargerArray() {
    byte[] frame = push(9, 5).getBytes(StandardCharsets.UTF_8);
    byte[] b = new byte[frame.length + 20];
    System.arraycopy(frame, 0, b, 10, frame.length);
    Seen seen = new Seen();
    assertEquals(3, FrameScan.danmaku(b, 10, 10 + frame.length, seen));
    assertEquals(List.of(5L, 6L, 7L), seen.seqs);
  }

  @Test
  void leavesEveryOtherFrameToTheJsonDecoder() {
    String reply = new JsonObject().put("id", 3).put("ok", true).put("epoch", 1).put("seq", 5).encode();
    String presence = Pushes.presence("room-1", 3, 4).toString(StandardCharsets.UTF_8);
    for (String frame : List.of(reply, presence, "o", "h", "a[]", "c[3000,\"Go away!\"]",
        "a" + JsonCodec.encode(new String[] {reply}),
        // one danmaku push beside another message: nothing is counted, the caller decodes the frame
        "a" + JsonCodec.encode(new String[] {push(1, 1), presence}))) {
      Seen seen = scan(frame, -1);
      assertEquals(List.of(), seen.seqs, frame);
    }
  }
}
