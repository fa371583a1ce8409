package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The counting receivers' scan in front of Vert.x's WebSocket: danmaku pushes are read off the
 * channel, item by item and in order, and never reach the text handler; every other message does.
 */
class ChannelScanTest {
  @Test
  void danmakuPushesAreCountedOffTheChannelAndEverythingElseReachesTheTextHandler() throws Exception {
    scan(false);
  }

  /**
   * permessage-deflate without server context takeover: the scan sits in front of the inflater and
   * inflates danmaku itself (the same bytes twice: the second comes from its memory); the rest
   * goes on compressed, through Netty's inflater, to the text handler.
   */
  @Test
  void compressedDanmakuIsInflatedByTheScanAndTheRestByNetty() throws Exception {
    scan(true);
  }

  private static void scan(boolean deflate) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      List<String> toSend = List.of(
          "{\"id\":1,\"ok\":true,\"seq\":0}",
          "{\"push\":\"danmaku\",\"room\":\"r\",\"epoch\":3,\"items\":[{\"seq\":1,\"user\":{\"id\":\"a\",\"name\":\"{\\\"seq\\\":9\"},\"text\":\"x\"},{\"seq\":2,\"text\":\"y\"}]}",
          "{\"push\":\"presence\",\"room\":\"r\",\"online\":2}",
          "{\"push\":\"danmaku\",\"room\":\"r\",\"epoch\":3,\"items\":[{\"seq\":3,\"text\":\"z\"}]}",
          "{\"push\":\"danmaku\",\"room\":\"r\",\"epoch\":3,\"items\":[{\"seq\":3,\"text\":\"z\"}]}",
          "{\"id\":2,\"ok\":true}");
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setPerMessageWebSocketCompressionSupported(deflate)
              .setWebSocketAllowServerNoContext(true))
          .webSocketHandler(ws -> toSend.forEach(ws::writeTextMessage))
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
          .setTryUsePerMessageCompression(deflate).setCompressionRequestServerNoContext(deflate));
      List<String> events = new CopyOnWriteArrayList<>();
      Promise<Void> last = Promise.promise();
      FrameScan.Items items = new FrameScan.Items() {
        @Override
        public void epoch(long epoch) {
          events.add("epoch " + epoch);
        }

        @Override
        public void item(long seq) {
          events.add("item " + seq);
        }
      };
      // installed on the connection's event loop, before any frame is read, as the load generator does
      Promise<Boolean> installed = Promise.promise();
      client.connect(server.actualPort(), "127.0.0.1", "/").onSuccess(ws -> {
        String ext = ws.headers().get("Sec-WebSocket-Extensions");
        events.add("extensions " + (ext != null && ext.contains("server_no_context_takeover")));
        installed.complete(ChannelScan.install(ws, items));
        // compressed: in front of the inflater, which it must bypass for danmaku
        List<String> names = ((io.vertx.core.internal.http.WebSocketInternal) ws).channelHandlerContext().pipeline().names();
        var inflater = ((io.vertx.core.internal.http.WebSocketInternal) ws).channelHandlerContext().pipeline()
            .context(io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder.class);
        events.add("before the inflater " + (inflater != null && names.indexOf("loadgenScan") < names.indexOf(inflater.name())));
        ws.textMessageHandler(text -> {
          events.add("text " + text);
          if (text.contains("\"id\":2")) {
            last.complete();
          }
        });
      });
      assertTrue(installed.future().await(10, TimeUnit.SECONDS), "the scan found the channel");
      last.future().await(10, TimeUnit.SECONDS);
      assertEquals(List.of(
          "extensions " + deflate,
          "before the inflater " + deflate,
          "text " + toSend.get(0),
          "epoch 3", "item 1", "item 2",
          "text " + toSend.get(2),
          "epoch 3", "item 3",
          "epoch 3", "item 3",
          "text " + toSend.get(5)), events);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
