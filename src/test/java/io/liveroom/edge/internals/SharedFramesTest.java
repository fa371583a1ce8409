package io.liveroom.edge.internals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SharedFramesTest {
  @Test
  void theVertxInternalsOfTheEncodeOnceFanOutAreThere() {
    assertTrue(SharedFrames.available(),
        "vertx-web's raw WebSocket socket or its WebSocket wrapper changed: fan-out falls back to a copy per socket");
  }

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
  void aRawWebSocketSessionGetsItsChannelAndAFrameWrittenThereArrivesAsText() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Promise<ChannelHandlerContext> channel = Promise.promise();
      Router router = Router.router(vertx);
      router.route("/rt/*").subRouter(SockJSHandler.create(vertx, new SockJSHandlerOptions())
          .socketHandler(socket -> channel.tryComplete(SharedFrames.rawChannel(socket))));
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 17)
          .setMaxMessageSize(1 << 17)); // held: Vert.x closes a client that is garbage
      WebSocket ws = client.connect(server.actualPort(), "127.0.0.1", "/rt/websocket").await(10, TimeUnit.SECONDS);
      ChannelHandlerContext raw = channel.future().await(10, TimeUnit.SECONDS);
      assertNotNull(raw, "no channel under vertx-web's raw WebSocket socket: fan-out falls back to a copy per socket");
      for (String text : List.of("{\"push\":\"danmaku\",\"text\":\"弹幕\"}", "弹".repeat(100), "z".repeat(70_000))) {
        Promise<String> next = Promise.promise();
        ws.textMessageHandler(next::tryComplete);
        ByteBuf shared = SharedFrames.shared(Buffer.buffer(text));
        Promise<Boolean> written = Promise.promise();
        raw.executor().execute(() -> {
          written.complete(SharedFrames.writeText(raw, shared));
          shared.release();
        });
        assertTrue(written.future().await(10, TimeUnit.SECONDS), "an open, writable socket takes the frame");
        assertEquals(text, next.future().await(10, TimeUnit.SECONDS), "the client reads the frame written below the encoder");
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
