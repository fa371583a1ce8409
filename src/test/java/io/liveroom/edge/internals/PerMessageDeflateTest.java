package io.liveroom.edge.internals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

class PerMessageDeflateTest {
  private static final int LIMIT = 65536;

  private static String agreed(String offer) {
    var ext = PerMessageDeflate.negotiate(offer, 6, 64, LIMIT);
    return ext == null ? null : PerMessageDeflate.responseHeader(ext);
  }

  /** Without server context takeover, and nothing else: the window sizes stay 15 bits. */
  private static void assertAgreed(String answer) {
    assertEquals("permessage-deflate; server_no_context_takeover", answer);
  }

  @Test
  void everyAgreementIsWithoutServerContextTakeover() {
    assertNull(agreed(null));
    assertNull(agreed(""));
    assertAgreed(agreed("permessage-deflate"));
    // Chromium's and Firefox's offer: the client is asked for a 1 KiB window
    assertEquals(java.util.Set.of("permessage-deflate", "server_no_context_takeover", "client_max_window_bits=10"),
        java.util.Set.of(agreed("permessage-deflate; client_max_window_bits").split("; ")));
    assertEquals(java.util.Set.of("permessage-deflate", "server_no_context_takeover", "client_no_context_takeover"),
        java.util.Set.of(agreed("permessage-deflate; server_no_context_takeover; client_no_context_takeover").split("; ")),
        "a client that offers to drop its context does");
  }

  @Test
  void offersTheJdkDeflaterCannotHonourAreDeclined() {
    assertNull(agreed("permessage-deflate; server_max_window_bits=10"), "the JDK deflates with a 32 KiB window only");
    assertNull(agreed("permessage-deflate; no_such_param"));
    assertNull(agreed("x-webkit-deflate-frame"));
    assertAgreed(agreed("permessage-deflate; server_max_window_bits=8, permessage-deflate"));
  }

  @Test
  void aSharedFrameInflatesToTheTextOnItsOwn() throws Exception {
    PerMessageDeflate d = new PerMessageDeflate(6, 64);
    try {
      String text = "{\"push\":\"danmaku\",\"room\":\"r1\",\"items\":[" + "{\"seq\":1,\"text\":\"弹幕 gg gg gg\"},".repeat(30)
          + "{\"seq\":2}]}";
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      for (int round = 0; round < 3; round++) { // no context carried from one frame to the next
        ByteBuf frame = d.shared(Buffer.buffer(text));
        try {
          int b0 = frame.readUnsignedByte();
          assertEquals(0x80 | 0x40 | 0x1, b0, "FIN, RSV1 (compressed) and the text opcode");
          int len = frame.readUnsignedByte();
          if (len == 126) {
            len = frame.readUnsignedShort();
          }
          assertEquals(len, frame.readableBytes());
          assertTrue(len < utf8.length / 4, "repetitive JSON shrinks: " + len + " of " + utf8.length);
          byte[] payload = new byte[len];
          frame.readBytes(payload);
          assertEquals(text, inflate(payload), "round " + round);
        } finally {
          frame.release();
        }
      }
    } finally {
      d.close();
    }
  }

  @Test
  void shortAndIncompressibleMessagesGoPlain() {
    PerMessageDeflate d = new PerMessageDeflate(6, 64);
    try {
      ByteBuf small = d.shared(Buffer.buffer("{\"seq\":1}"));
      assertEquals(0x81, small.getUnsignedByte(0), "under deflateMinBytes: plain (no RSV1)");
      small.release();
      byte[] noise = new byte[3000];
      new Random(7).nextBytes(noise);
      String random = java.util.Base64.getEncoder().encodeToString(noise).substring(0, 300);
      ByteBuf big = d.shared(Buffer.buffer(random));
      assertNotNull(big);
      int b0 = big.getUnsignedByte(0);
      assertTrue(b0 == 0x81 || big.readableBytes() < 2 + 2 + 300, "plain, or compressed only when it is shorter");
      big.release();
    } finally {
      d.close();
    }
  }

  /** What a client does (RFC 7692 section 7.2.2): the tail back on, then inflate. */
  private static String inflate(byte[] payload) throws Exception {
    Inflater inf = new Inflater(true);
    try {
      byte[] in = new byte[payload.length + 4];
      System.arraycopy(payload, 0, in, 0, payload.length);
      in[payload.length + 2] = (byte) 0xff;
      in[payload.length + 3] = (byte) 0xff;
      inf.setInput(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      while (!inf.needsInput()) {
        int n = inf.inflate(buf);
        if (n == 0 && inf.needsInput()) {
          break;
        }
        out.write(buf, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    } finally {
      inf.end();
    }
  }
}
