package io.liveroom.edge.internals;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Netty handlers ahead of Vert.x's on every HTTP/1.x connection of the edge, for what Vert.x
 * 5.0.10's server WebSockets get wrong (found by the Autobahn run, {@code -Pautobahn}):
 * <ul>
 *   <li>Netty's {@link Utf8FrameValidator}: Vert.x decodes a text message that is not UTF-8 with
 *   U+FFFD and passes it on, where RFC 6455 section 8.1 asks to fail the connection with 1007. The
 *   validator checks each fragment as it arrives.</li>
 *   <li>Netty's {@link WebSocketFrameAggregator}: Vert.x's own aggregation loses a fragmented
 *   message whose first fragment is empty, and drops a fragmented message over
 *   {@code maxWebSocketMessageSize} silently. Aggregated here, Vert.x only sees whole messages, and
 *   one over the limit fails the connection with 1009.</li>
 *   <li>A protocol violation found by Netty's decoder (1002, 1009 for a frame over the size limit)
 *   or by the validator (1007) fails the connection with that close code; Vert.x would drop the
 *   TCP connection without a close frame.</li>
 * </ul>
 * Plain HTTP messages pass through. On an upgrade the WebSocket codec takes the HTTP codec's place
 * in front of these handlers, so they see every frame and their close frames go out encoded.
 */
public final class WebSocketPipeline {
  private WebSocketPipeline() {
  }

  /** For {@code HttpServer.connectionHandler}: runs on the connection's event loop, once per connection. */
  public static void install(HttpConnection conn, int maxMessageBytes) {
    // Vert.x 5.0's connections are ConnectionBase; the Autobahn run notices if that changes (cases 6.*)
    if (conn instanceof ConnectionBase base) {
      ChannelHandlerContext vertx = base.channelHandlerContext();
      vertx.pipeline()
          .addBefore(vertx.name(), "liveroomWsUtf8", new Utf8FrameValidator(false))
          .addBefore(vertx.name(), "liveroomWsMessages", new Messages(maxMessageBytes));
    }
  }

  /** Aggregates fragments; fails the WebSocket on a violation found here or below. */
  private static final class Messages extends WebSocketFrameAggregator {
    private boolean failed;

    Messages(int maxMessageBytes) {
      super(maxMessageBytes);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (failed) {
        ReferenceCountUtil.release(msg);
      } else {
        super.channelRead(ctx, msg);
      }
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, WebSocketFrame oversized) {
      fail(ctx, WebSocketCloseStatus.MESSAGE_TOO_BIG);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      if (cause instanceof CorruptedWebSocketFrameException e && e.closeStatus() != null) {
        fail(ctx, e.closeStatus());
      } else {
        super.exceptionCaught(ctx, cause);
      }
    }

    /** RFC 6455 section 7.1.7: the close frame, then the TCP connection; Vert.x sees the socket close. */
    private void fail(ChannelHandlerContext ctx, WebSocketCloseStatus status) {
      if (!failed) {
        failed = true;
        // ctx.close(), not channel().close(): that one passes Vert.x's handler, which sends a close (1000) of its own
        ctx.writeAndFlush(new CloseWebSocketFrame(status)).addListener(f -> ctx.close());
      }
    }
  }
}
