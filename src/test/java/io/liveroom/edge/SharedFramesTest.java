package io.liveroom.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SharedFramesTest {
  @Test
  void theVertxInternalsOfTheEncodeOnceFanOutAreThere() {
    assertTrue(SharedFrames.available(),
        "vertx-web's raw WebSocket socket or its WebSocket wrapper changed: fan-out falls back to a copy per socket");
  }

  @Test
  void aSharedFrameHoldsTheBytesOnceAndDuplicatesLeaveItIntact() {
    String text = "{\"push\":\"danmaku\",\"text\":\"弹幕 ok\"}";
    ByteBuf shared = SharedFrames.shared(Buffer.buffer(text));
    try {
      ByteBuf one = shared.retainedDuplicate();
      ByteBuf two = shared.retainedDuplicate();
      assertEquals(text, one.toString(StandardCharsets.UTF_8));
      one.readerIndex(one.writerIndex());
      one.release();
      assertEquals(text, two.toString(StandardCharsets.UTF_8), "each socket reads its own duplicate");
      two.release();
      assertEquals(1, shared.refCnt(), "the duplicates gave their references back");
    } finally {
      shared.release();
    }
  }
}
