package io.liveroom.loadgen;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.vertx.core.http.WebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A counting receiver's {@code danmaku} pushes read off its channel, in front of Vert.x's WebSocket:
 * each whole text frame's bytes go through {@link FrameScan} straight from Netty's frame, without
 * Vert.x's copy to a heap buffer, its frame object, queue and dispatch. Frames that are not
 * danmaku pushes only (replies, other pushes, fragments) go on to Vert.x and the connection's
 * text handler. Runs on the channel's event loop, the connection's context's.
 *
 * <p>With permessage-deflate agreed without server context takeover (what liveroom's edge
 * answers), the scan sits in front of the inflater and inflates a compressed frame itself, on its
 * own: each message is then a deflate stream of its own, and the node sends the same compressed
 * bytes to every socket of a room, so an event loop keeps the last few frames it inflated and
 * reads the next socket's identical bytes from there ({@link Inflated}; the bytes are compared
 * whole, so the items each receiver checks are those of its own frame). A browser inflates once
 * per socket on its own machine; here the 10,000 receivers share two cores with the node.
 */
final class ChannelScan extends ChannelInboundHandlerAdapter {
  /** Frame bytes are copied here (one per event loop); a frame larger than it grows it. */
  private static final ThreadLocal<byte[][]> SCRATCH = ThreadLocal.withInitial(() -> new byte[][] {new byte[16384]});
  private static final ThreadLocal<Inflated> INFLATED = ThreadLocal.withInitial(Inflated::new);

  private final FrameScan.Items items;
  private final boolean inflates;

  private ChannelScan(FrameScan.Items items, boolean inflates) {
    this.items = items;
    this.inflates = inflates;
  }

  /** In front of the WebSocket's Vert.x handler; false when {@code ws} has no channel to put it on. */
  static boolean install(WebSocket ws, FrameScan.Items items) {
    if (!(ws instanceof WebSocketInternal internal) || internal.channelHandlerContext() == null) {
      return false;
    }
    ChannelHandlerContext vertx = internal.channelHandlerContext();
    ChannelPipeline p = vertx.pipeline();
    ChannelHandlerContext inflater = p.context(WebSocketExtensionDecoder.class);
    String extensions = ws.headers() == null ? null : ws.headers().get("Sec-WebSocket-Extensions");
    boolean ownMessages = inflater != null && extensions != null && extensions.contains("permessage-deflate")
        && extensions.contains("server_no_context_takeover");
    p.addBefore(ownMessages ? inflater.name() : vertx.name(), "loadgenScan", new ChannelScan(items, ownMessages));
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
      boolean read;
      if (inflates && (f.rsv() & WebSocketExtension.RSV1) != 0) {
        Entry plain = INFLATED.get().of(b, n);
        read = plain != null && FrameScan.danmaku(plain.bytes, 0, plain.length, items) >= 0;
      } else {
        read = FrameScan.danmaku(b, 0, n, items) >= 0;
      }
      if (read) {
        f.release();
        return;
      }
    }
    ctx.fireChannelRead(msg); // the inflater, if any, then Vert.x
  }

  /** The last few compressed messages an event loop inflated, and an inflater (RFC 7692 section 7.2.2). */
  private static final class Inflated {
    private static final int KEPT = 8;
    private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};
    private final byte[][] keys = new byte[KEPT][];
    private final Entry[] values = new Entry[KEPT];
    private final Inflater inflater = new Inflater(true);
    private int next;

    /** {@code compressed[0..n)} inflated, or null when it is not deflate data (Netty's inflater then says so). */
    Entry of(byte[] compressed, int n) {
      for (int i = 0; i < KEPT; i++) {
        byte[] k = keys[i];
        if (k != null && k.length == n && Arrays.equals(k, 0, n, compressed, 0, n)) {
          return values[i];
        }
      }
      Entry e = inflate(compressed, n);
      if (e != null) {
        keys[next] = Arrays.copyOf(compressed, n);
        values[next] = e;
        next = (next + 1) % KEPT;
      }
      return e;
    }

    private Entry inflate(byte[] compressed, int n) {
      inflater.reset();
      byte[] in = Arrays.copyOf(compressed, n + TAIL.length);
      System.arraycopy(TAIL, 0, in, n, TAIL.length);
      inflater.setInput(in);
      byte[] out = new byte[Math.max(256, n * 8)];
      int len = 0;
      try {
        while (true) {
          if (len == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
          }
          int got = inflater.inflate(out, len, out.length - len);
          len += got;
          if (got == 0) {
            break; // the input is used up (a message ends with a sync flush, not the stream's end)
          }
        }
      } catch (DataFormatException e) {
        return null;
      }
      return new Entry(out, len);
    }
  }

  /** An inflated message: {@code bytes[0..length)}. */
  private record Entry(byte[] bytes, int length) {
  }
}
