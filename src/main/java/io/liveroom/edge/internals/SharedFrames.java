package io.liveroom.edge.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encode-once fan-out to raw WebSocket sessions ({@code /rt/websocket}). A bundle frame becomes one
 * whole WebSocket text frame once (header and UTF-8 payload in one direct buffer: a server's
 * frames are not masked, so the bytes are the same for every socket), and each socket gets a
 * retained duplicate of it, written on the socket's own channel with a void promise, below the
 * WebSocket encoder: no frame object, no header and no payload copy per socket.
 *
 * <p>Through {@link SockJSSocket#write(String)} each socket and frame cost a UTF-8 encoding into a
 * new {@code byte[]}, a copy of it into a direct buffer, and Vert.x's future, promise and listener.
 * The check of the socket's write queue went through two wrappers and a lock. In
 * {@code fanout-hot} that is 400,000 times a second; JFR put the queue check alone at a fifth of
 * the fan-out's Java time (docs/benchmarks.md).
 *
 * <p>This reaches into internals of vertx-web and Vert.x 5.0.10; what it relies on, and what an
 * upgrade that moves it does, is in this package's description. Without them, sessions use
 * {@link SockJSSocket#write(String)}.
 */
public final class SharedFrames {
  private static final Logger LOG = LoggerFactory.getLogger(SharedFrames.class);
  private static final Field RAW_WS = field(
      "io.vertx.ext.web.handler.sockjs.impl.RawWebSocketTransport$RawWSSockJSSocket", "ws");
  private static final Field WRAPPED = field("io.vertx.ext.web.impl.ServerWebSocketWrapper", "delegate");

  private SharedFrames() {
  }

  /** Whether the internals this needs were found (a test fails when a Vert.x upgrade moves them). */
  static boolean available() {
    return RAW_WS != null && WRAPPED != null;
  }

  /**
   * Where a SockJS raw WebSocket session's encoded frames go: the context of the WebSocket encoder
   * in its channel's pipeline (a write there passes only the handlers in front of the encoder).
   * Null for the other transports, and for a WebSocket with an extension (permessage-deflate),
   * whose encoder must see every frame.
   */
  public static ChannelHandlerContext rawChannel(SockJSSocket socket) {
    ChannelHandlerContext vertx = vertxChannel(socket);
    if (vertx == null) {
      return null;
    }
    ChannelPipeline p = vertx.pipeline();
    if (p.get(WebSocketExtensionEncoder.class) != null) {
      return null;
    }
    return p.context(WebSocketFrameEncoder.class);
  }

  /** The context of Vert.x's handler under a SockJS raw WebSocket session; null for the other transports. */
  static ChannelHandlerContext vertxChannel(SockJSSocket socket) {
    if (RAW_WS == null || !RAW_WS.getDeclaringClass().isInstance(socket)) {
      return null;
    }
    try {
      Object ws = RAW_WS.get(socket);
      if (WRAPPED != null && WRAPPED.getDeclaringClass().isInstance(ws)) {
        ws = WRAPPED.get(ws);
      }
      return ws instanceof WebSocketInternal internal ? internal.channelHandlerContext() : null;
    } catch (IllegalAccessException e) {
      return null;
    }
  }

  /**
   * A whole, unfragmented WebSocket text frame of {@code utf8} (RFC 6455 section 5.2, unmasked),
   * once, in a direct buffer: {@code release()} it after the last write.
   */
  public static ByteBuf shared(Buffer utf8) {
    ByteBuf src = ((BufferInternal) utf8).getByteBuf();
    int n = src.readableBytes();
    int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(header + n);
    direct.writeByte(0x80 | 0x1); // FIN, text
    if (n < 126) {
      direct.writeByte(n);
    } else if (n <= 0xFFFF) {
      direct.writeByte(126).writeShort(n);
    } else {
      direct.writeByte(127).writeLong(n);
    }
    direct.writeBytes(src, src.readerIndex(), n);
    return direct;
  }

  /** Whether the socket's outbound buffer is over its high-water mark ({@code setWriteQueueMaxSize}). */
  public static boolean full(ChannelHandlerContext raw) {
    return !raw.channel().isWritable();
  }

  /**
   * Writes {@code frame} (from {@link #shared}) without copying it, on the socket's event loop,
   * when the socket is open and writable; returns false (nothing written) otherwise, and the caller
   * writes through Vert.x. An unwritable socket may have messages waiting in Vert.x's own queue
   * (its writes wait for writability), which a frame written here would overtake.
   */
  public static boolean writeText(ChannelHandlerContext raw, ByteBuf frame) {
    if (!raw.executor().inEventLoop() || !raw.channel().isWritable()) {
      return false; // isWritable() is false on a closed channel too
    }
    raw.writeAndFlush(frame.retainedDuplicate(), raw.voidPromise());
    return true;
  }

  private static Field field(String className, String name) {
    try {
      Field f = Class.forName(className).getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("raw WebSocket sessions get one UTF-8 copy per socket and frame ({}.{}: {})", className, name,
          e.toString());
      return null;
    }
  }
}
