package io.liveroom.edge;

import io.liveroom.edge.internals.RawWebSocket;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/**
 * What a session writes to: a raw WebSocket ({@code /rt/websocket}, {@link RawWebSocket}) or a
 * SockJS socket (every other transport). Writes to a socket that closed under us are missed, not
 * thrown.
 */
interface RtSocket {
  Future<Void> write(String text);

  void close();

  /** Whether what waits to be written is over the session's limit. */
  boolean writeQueueFull();

  /** Where whole encoded frames go without a copy ({@code SharedFrames}); null: {@link #write} only. */
  ChannelHandlerContext frames();

  /** Whether the frames written to {@link #frames} must be permessage-deflate's ({@code PerMessageDeflate}). */
  default boolean deflate() {
    return false;
  }

  static RtSocket of(RawWebSocket ws) {
    return new RtSocket() {
      @Override
      public Future<Void> write(String text) {
        return ws.write(text);
      }

      @Override
      public void close() {
        ws.close();
      }

      @Override
      public boolean writeQueueFull() {
        return ws.writeQueueFull();
      }

      @Override
      public ChannelHandlerContext frames() {
        return ws.frames();
      }

      @Override
      public boolean deflate() {
        return ws.deflate();
      }
    };
  }

  static RtSocket of(SockJSSocket socket) {
    return new RtSocket() {
      @Override
      public Future<Void> write(String text) {
        try {
          return socket.write(text);
        } catch (IllegalStateException closed) {
          return Future.failedFuture(closed);
        }
      }

      @Override
      public void close() {
        try {
          socket.close();
        } catch (IllegalStateException closed) {
          // already gone
        }
      }

      @Override
      public boolean writeQueueFull() {
        try {
          return socket.writeQueueFull();
        } catch (IllegalStateException closed) {
          return false;
        }
      }

      @Override
      public ChannelHandlerContext frames() {
        return null;
      }
    };
  }
}
