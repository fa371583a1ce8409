package io.liveroom.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.http.WebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * A counting receiver's {@code danmaku} pushes read off its channel, in front of Vert.x's WebSocket:
 * each whole text frame's bytes go through {@link FrameScan} straight from Netty's frame, without
 * Vert.x's copy to a heap buffer, its frame object, queue and dispatch. Frames that are not
 * danmaku pushes only (replies, other pushes, fragments) go on to Vert.x and the connection's
 * text handler. Runs on the channel's event loop, the connection's context's.
 */
final class ChannelScan extends ChannelInboundHandlerAdapter {
  /** Frame bytes are copied here (one per event loop); a frame larger than it grows it. */
  private static final ThreadLocal<byte[][]> SCRATCH = ThreadLocal.withInitial(() -> new byte[][] {new byte[16384]});

  private final FrameScan.Items items;

  private ChannelScan(FrameScan.Items items) {
    this.items = items;
  }

  /** In front of the WebSocket's Vert.x handler; false when {@code ws} has no channel to put it on. */
  static boolean install(WebSocket ws, FrameScan.Items items) {
    if (!(ws instanceof WebSocketInternal internal) || internal.channelHandlerContext() == null) {
      return false;
    }
    ChannelHandlerContext vertx = internal.channelHandlerContext();
    vertx.pipeline().addBefore(vertx.name(), "loadgenScan", new ChannelScan(items));
    return true;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof TextWebSocketFrame f && f.isFinalFragment()) {
      ByteBuf c = f.content();
      int n = c.readableBytes();
      byte[][] holder = SCRATCH.get();
      if (holder[0].length < n) {
        holder[0] = new byte[Math.max(n, holder[0].length * 2)];
      }
      byte[] b = holder[0];
      c.getBytes(c.readerIndex(), b, 0, n);
      if (FrameScan.danmaku(b, 0, n, items) >= 0) {
        f.release();
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }
}
