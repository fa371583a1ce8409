package io.liveroom.edge.internals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * A client's compressed messages inflated by the shared inflater, with the connection's own window
 * of past bytes as the dictionary: messages compressed with context takeover (each refers back to
 * the last), fragmented ones, plain frames passing through, and the limits.
 */
class ClientInflaterTest {
  private static final int RSV1 = 4;

  /** A client's compressor: one deflater for the connection, a sync flush per message, the tail cut (RFC 7692 7.2.1). */
  private static final class Client {
    private final Deflater deflater;

    Client() {
      this.deflater = new Deflater(6, true); // the JDK's window: 32 KiB, as a client without client_max_window_bits
    }

    byte[] compress(String text) {
      deflater.setInput(text.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[text.length() * 2 + 64];
      int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
      return Arrays.copyOf(out, n - 4);
    }
  }

  private static String text(Object frame) {
    WebSocketFrame f = assertInstanceOf(TextWebSocketFrame.class, frame);
    assertEquals(0, f.rsv(), "RSV1 cleared");
    assertTrue(f.isFinalFragment());
    String s = f.content().toString(StandardCharsets.UTF_8);
    f.release();
    return s;
  }

  @Test
  void messagesThatReferToEarlierOnesInflateWithTheConnectionsOwnHistory() {
    EmbeddedChannel ch = new EmbeddedChannel(new ClientInflater(32768, 65536));
    Client c = new Client();
    String[] sent = {
        "{\"op\":\"send\",\"id\":1,\"room\":\"lobby\",\"text\":\"hello everyone\"}",
        "{\"op\":\"send\",\"id\":2,\"room\":\"lobby\",\"text\":\"hello everyone again\"}",
        "{\"op\":\"send\",\"id\":3,\"room\":\"lobby\",\"text\":\"hello everyone again and again\"}"};
    for (String s : sent) {
      byte[] z = c.compress(s);
      assertTrue(ch.writeInbound(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(z))));
      assertEquals(s, text(ch.readInbound()));
    }
    // a second connection on the same event loop (the same shared inflater) does not see the first's history
    EmbeddedChannel other = new EmbeddedChannel(new ClientInflater(32768, 65536));
    Client c2 = new Client();
    String first = "{\"op\":\"hello\",\"token\":\"abc\"}";
    other.writeInbound(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(c2.compress(first))));
    assertEquals(first, text(other.readInbound()));
    byte[] z = c.compress(sent[2]); // mostly back-references into the first connection's history
    ch.writeInbound(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(z)));
    assertEquals(sent[2], text(ch.readInbound()));
    assertFalse(ch.finish());
    assertFalse(other.finish());
  }

  @Test
  void aFragmentedMessageIsGatheredThenInflatedAndControlFramesPassMeanwhile() {
    EmbeddedChannel ch = new EmbeddedChannel(new ClientInflater(0, 65536));
    String s = "{\"op\":\"send\",\"room\":\"r\",\"text\":\"" + "ha".repeat(500) + "\"}";
    byte[] z = new Client().compress(s);
    int cut = z.length / 2;
    ch.writeInbound(new TextWebSocketFrame(false, RSV1, Unpooled.wrappedBuffer(z, 0, cut)));
    ch.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
    Object ping = ch.readInbound();
    assertInstanceOf(PingWebSocketFrame.class, ping, "a ping between fragments goes on at once");
    ((PingWebSocketFrame) ping).release();
    ch.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(z, cut, z.length - cut)));
    assertEquals(s, text(ch.readInbound()));
    TextWebSocketFrame plain = new TextWebSocketFrame("{\"op\":\"ping\"}");
    ch.writeInbound(plain);
    assertEquals("{\"op\":\"ping\"}", text(ch.readInbound()), "an uncompressed message passes through");
    assertFalse(ch.finish());
  }

  @Test
  void overTheLimitOrNotDeflateFailsWithWhatRawWebSocketCloses() {
    EmbeddedChannel ch = new EmbeddedChannel(new ClientInflater(1024, 4096));
    byte[] bomb = new Client().compress(" ".repeat(100_000));
    DecompressionException big = assertThrows(DecompressionException.class,
        () -> ch.writeInbound(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(bomb))));
    assertTrue(big.getMessage().contains("maximum"), big.getMessage());
    EmbeddedChannel ch2 = new EmbeddedChannel(new ClientInflater(1024, 4096));
    DecompressionException junk = assertThrows(DecompressionException.class,
        () -> ch2.writeInbound(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, 1, 2, 3}))));
    assertFalse(junk.getMessage().contains("maximum"), junk.getMessage());
  }
}
