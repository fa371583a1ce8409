package io.liveroom.edge.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * Encode-once fan-out to raw WebSocket sessions ({@code /rt/websocket}). A bundle frame becomes one
 * whole WebSocket text frame once (header and UTF-8 payload in one direct buffer: a server's
 * frames are not masked, so the bytes are the same for every socket), and each socket gets a
 * retained duplicate of it, written on the socket's own channel with a void promise, below the
 * WebSocket encoder: no frame object, no header and no payload copy per socket.
 *
 * <p>Through a socket's {@code write(String)} each socket and frame would cost a UTF-8 encoding
 * into a new {@code byte[]}, a frame object and the encoder's header (and, for short frames, a copy
 * of the payload). In {@code fanout-curve} that is up to 400,000 times a second
 * (docs/benchmarks.md).
 */
public final class SharedFrames {
  private SharedFrames() {
  }

  /**
   * A whole, unfragmented WebSocket text frame of {@code utf8} (RFC 6455 section 5.2, unmasked),
   * once, in a direct buffer: {@code release()} it after the last write.
   */
  public static ByteBuf shared(Buffer utf8) {
    return frame(((BufferInternal) utf8).getByteBuf(), false);
  }

  /** {@code payload}'s readable bytes as a whole text frame in a new direct buffer; RSV1 marks a compressed one. */
  static ByteBuf frame(ByteBuf payload, boolean rsv1) {
    int n = payload.readableBytes();
    ByteBuf direct = ByteBufAllocator.DEFAULT.directBuffer(headerBytes(n) + n);
    header(direct, n, rsv1);
    direct.writeBytes(payload, payload.readerIndex(), n);
    return direct;
  }

  /** The length of an unmasked frame header for a payload of {@code n} bytes. */
  static int headerBytes(int n) {
    return n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
  }

  /** Writes the header of a final, unmasked text frame of {@code n} payload bytes (RSV1 set when compressed). */
  static void header(ByteBuf to, int n, boolean rsv1) {
    to.writeByte(0x80 | (rsv1 ? 0x40 : 0) | 0x1); // FIN, RSV1, text
    if (n < 126) {
      to.writeByte(n);
    } else if (n <= 0xFFFF) {
      to.writeByte(126).writeShort(n);
    } else {
      to.writeByte(127).writeLong(n);
    }
  }

  /**
   * Writes {@code frame} (from {@link #shared}) without copying it, on the socket's event loop,
   * when the socket is open and writable; returns false (nothing written) otherwise, and the caller
   * writes the frame's text through the socket, where it waits its turn with the rest (a full socket
   * may miss low-priority frames: {@code FanoutWriter}).
   */
  public static boolean writeText(ChannelHandlerContext raw, ByteBuf frame) {
    if (!raw.executor().inEventLoop() || !raw.channel().isWritable()) {
      return false; // isWritable() is false on a closed channel too
    }
    raw.writeAndFlush(frame.retainedDuplicate(), raw.voidPromise());
    return true;
  }
}
