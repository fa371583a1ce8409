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
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
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
      WebSocketClient client = vertx.createWebSocketClient(); // held: Vert.x closes a client that is garbage
      WebSocket ws = client.connect(server.actualPort(), "127.0.0.1", "/rt/websocket").await(10, TimeUnit.SECONDS);
      Promise<String> received = Promise.promise();
      ws.textMessageHandler(received::tryComplete);
      ChannelHandlerContext raw = channel.future().await(10, TimeUnit.SECONDS);
      assertNotNull(raw, "no channel under vertx-web's raw WebSocket socket: fan-out falls back to a copy per socket");
      String text = "{\"push\":\"danmaku\",\"text\":\"弹幕\"}";
      ByteBuf shared = SharedFrames.shared(Buffer.buffer(text));
      Promise<Boolean> written = Promise.promise();
      raw.executor().execute(() -> {
        written.complete(SharedFrames.writeText(raw, shared));
        shared.release();
      });
      assertTrue(written.future().await(10, TimeUnit.SECONDS), "an open, writable socket takes the frame");
      assertEquals(text, received.future().await(10, TimeUnit.SECONDS), "Vert.x's WebSocket encoder wrote it");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
