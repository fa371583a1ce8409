package io.liveroom.edge.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtension;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * permessage-deflate's inbound side on a raw WebSocket: a client's compressed messages inflated
 * with one inflater per event loop, not one per connection. A client that keeps its compression
 * context (browsers do) may refer back into what it sent before, up to its window; the connection
 * keeps only that much of its own inflated output (at most {@code 2^client_max_window_bits}
 * bytes, allocated on its first compressed message) and hands it to the shared inflater as the
 * preset dictionary of the next message. Netty's decoder would keep a zlib inflater per
 * connection for its life (zlib's state and a 32 KiB window, native memory).
 *
 * <p>Whole messages only reach the shared inflater: the compressed fragments of a fragmented
 * message are gathered first (bounded by the message limit), so no inflater state is ever held
 * between two reads. An inflated message over the limit fails with a {@link DecompressionException}
 * saying so ({@code RawWebSocket} closes with 1009), data that is not deflate with another (1007).
 * Frames without RSV1, and control frames, pass through.
 */
final class ClientInflater extends ChannelInboundHandlerAdapter {
  private static final FastThreadLocal<Inflater> INFLATER = new FastThreadLocal<>() {
    @Override
    protected Inflater initialValue() {
      return new Inflater(true);
    }
  };
  private static final FastThreadLocal<byte[]> CHUNK = new FastThreadLocal<>() {
    @Override
    protected byte[] initialValue() {
      return new byte[16384];
    }
  };
  private static final byte[] TAIL = {0, 0, (byte) 0xff, (byte) 0xff};

  /** Bytes of the client's past output its messages may refer to: 0 without client context takeover. */
  private final int window;
  private final int maxMessageBytes;
  private byte[] history;
  private int historyLength;
  /** The compressed fragments of a message in progress, or null. */
  private CompositeByteBuf fragments;
  private boolean fragmentsText;

  /** @param window the client's window in bytes, 0 when it agreed to no context takeover */
  ClientInflater(int window, int maxMessageBytes) {
    this.window = window;
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame f)) {
      ctx.fireChannelRead(msg);
      return;
    }
    boolean data = f instanceof TextWebSocketFrame || f instanceof BinaryWebSocketFrame;
    if (data && (f.rsv() & WebSocketExtension.RSV1) != 0) {
      try {
        if (f.isFinalFragment()) {
          ctx.fireChannelRead(whole(ctx, f instanceof TextWebSocketFrame, f.content(), f.rsv()));
        } else {
          fragments = ctx.alloc().compositeBuffer();
          fragmentsText = f instanceof TextWebSocketFrame;
          gather(f.content());
        }
      } finally {
        f.release();
      }
    } else if (f instanceof ContinuationWebSocketFrame && fragments != null) {
      try {
        gather(f.content());
        if (f.isFinalFragment()) {
          CompositeByteBuf all = fragments;
          fragments = null;
          try {
            ctx.fireChannelRead(whole(ctx, fragmentsText, all, WebSocketExtension.RSV1));
          } finally {
            all.release();
          }
        }
      } finally {
        f.release();
      }
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private void gather(ByteBuf part) {
    fragments.addComponent(true, part.retain());
    if (fragments.readableBytes() > maxMessageBytes) {
      fragments.release();
      fragments = null;
      throw new DecompressionException("a compressed message over the maximum size of " + maxMessageBytes + " bytes");
    }
  }

  /** One whole message inflated, as one final frame without RSV1. */
  private WebSocketFrame whole(ChannelHandlerContext ctx, boolean text, ByteBuf compressed, int rsv) {
    int n = compressed.readableBytes();
    byte[] in = new byte[n + TAIL.length];
    compressed.getBytes(compressed.readerIndex(), in, 0, n);
    System.arraycopy(TAIL, 0, in, n, TAIL.length);
    Inflater inflater = INFLATER.get();
    inflater.reset();
    if (historyLength > 0) {
      inflater.setDictionary(history, 0, historyLength);
    }
    inflater.setInput(in);
    byte[] chunk = CHUNK.get();
    ByteBuf out = ctx.alloc().heapBuffer(Math.min(maxMessageBytes, Math.max(256, n * 4)));
    try {
      while (true) {
        int got = inflater.inflate(chunk);
        if (got == 0) {
          break; // the input is used up: a message ends with a sync flush, not the stream's end
        }
        if (out.readableBytes() + got > maxMessageBytes) {
          throw new DecompressionException("an inflated message over the maximum size of " + maxMessageBytes + " bytes");
        }
        out.writeBytes(chunk, 0, got);
      }
    } catch (DataFormatException e) {
      out.release();
      throw new DecompressionException("not deflate data: " + e.getMessage());
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
    remember(out);
    int plainRsv = rsv & ~WebSocketExtension.RSV1;
    return text ? new TextWebSocketFrame(true, plainRsv, out) : new BinaryWebSocketFrame(true, plainRsv, out);
  }

  /** The last {@link #window} bytes of what the client has sent, for its next message to refer to. */
  private void remember(ByteBuf message) {
    if (window == 0) {
      return;
    }
    if (history == null) {
      history = new byte[window];
    }
    int n = message.readableBytes();
    if (n >= window) {
      message.getBytes(message.writerIndex() - window, history, 0, window);
      historyLength = window;
      return;
    }
    int keep = Math.min(historyLength, window - n);
    System.arraycopy(history, historyLength - keep, history, 0, keep);
    message.getBytes(message.readerIndex(), history, keep, n);
    historyLength = keep + n;
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    ReferenceCountUtil.safeRelease(fragments);
    fragments = null;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    handlerRemoved(ctx);
    ctx.fireChannelInactive();
  }
}
