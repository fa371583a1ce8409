package io.liveroom.edge.internals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SharedFramesTest {
  @Test
  void aSharedFrameIsOneWholeTextFrameAndDuplicatesLeaveItIntact() {
    String text = "{\"push\":\"danmaku\",\"text\":\"弹幕 ok\"}";
    int n = text.getBytes(StandardCharsets.UTF_8).length;
    ByteBuf shared = SharedFrames.shared(Buffer.buffer(text));
    try {
      ByteBuf one = shared.retainedDuplicate();
      ByteBuf two = shared.retainedDuplicate();
      assertEquals(0x81, one.readUnsignedByte(), "FIN and the text opcode");
      assertEquals(n, one.readUnsignedByte(), "a short length, and no mask bit: a server's frame");
      assertEquals(text, one.toString(StandardCharsets.UTF_8));
      one.readerIndex(one.writerIndex());
      one.release();
      assertEquals(2 + n, two.readableBytes(), "each socket reads its own duplicate");
      two.release();
      assertEquals(1, shared.refCnt(), "the duplicates gave their references back");
    } finally {
      shared.release();
    }
  }

  @Test
  void longerPayloadsGetTheTwoAndEightByteLengths() {
    ByteBuf medium = SharedFrames.shared(Buffer.buffer("x".repeat(300)));
    ByteBuf large = SharedFrames.shared(Buffer.buffer("y".repeat(70_000)));
    try {
      assertEquals(126, medium.getUnsignedByte(1));
      assertEquals(300, medium.getUnsignedShort(2));
      assertEquals(4 + 300, medium.readableBytes());
      assertEquals(127, large.getUnsignedByte(1));
      assertEquals(70_000L, large.getLong(2));
      assertEquals(10 + 70_000, large.readableBytes());
    } finally {
      medium.release();
      large.release();
    }
  }

  @Test
  void aRawWebSocketTakesSharedFramesBelowItsEncoderAndMessagesAsText() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Promise<RawWebSocket> accepted = Promise.promise();
      HttpServer server = vertx.createHttpServer()
          .connectionHandler(conn -> RawWebSocket.install(conn, "/rt/websocket", 65536, new RawWebSocket.Acceptor() {
            @Override
            public boolean originAllowed(String origin, String host) {
              return true;
            }

            @Override
            public void accept(RawWebSocket socket) {
              accepted.tryComplete(socket);
            }
          }))
          .requestHandler(req -> req.response().setStatusCode(404).end())
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 17)
          .setMaxMessageSize(1 << 17)); // held: Vert.x closes a client that is garbage
      WebSocket ws = client.connect(server.actualPort(), "127.0.0.1", "/rt/websocket").await(10, TimeUnit.SECONDS);
      RawWebSocket raw = accepted.future().await(10, TimeUnit.SECONDS);
      assertNotNull(raw.frames(), "the WebSocket encoder's context");
      for (String text : List.of("{\"push\":\"danmaku\",\"text\":\"弹幕\"}", "弹".repeat(100), "z".repeat(70_000))) {
        Promise<String> next = Promise.promise();
        ws.textMessageHandler(next::tryComplete);
        ByteBuf shared = SharedFrames.shared(Buffer.buffer(text));
        Promise<Boolean> written = Promise.promise();
        raw.frames().executor().execute(() -> {
          written.complete(SharedFrames.writeText(raw.frames(), shared));
          shared.release();
        });
        assertTrue(written.future().await(10, TimeUnit.SECONDS), "an open, writable socket takes the frame");
        assertEquals(text, next.future().await(10, TimeUnit.SECONDS), "the client reads the frame written below the encoder");
      }
      // the other way, and a message over the frame limit goes out in fragments
      Promise<String> echoed = Promise.promise();
      raw.handler(b -> raw.write(b.toString(StandardCharsets.UTF_8) + "!".repeat(70_000)));
      ws.textMessageHandler(echoed::tryComplete);
      ws.writeTextMessage("hi");
      assertEquals("hi" + "!".repeat(70_000), echoed.future().await(10, TimeUnit.SECONDS));
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
