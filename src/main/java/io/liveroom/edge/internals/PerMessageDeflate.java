package io.liveroom.edge.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionFilter;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionFilterProvider;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionUtil;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.Deflater;

/**
 * permessage-deflate (RFC 7692) on {@code /rt/websocket}, compressed once per fan-out frame.
 *
 * <p>The handshake always answers with {@code server_no_context_takeover} (section 7.1.1.1 lets a
 * server add it to an offer without it, and browsers never ask for it): each message the server
 * sends is compressed on its own, so one compressed frame is right for every socket that
 * negotiated the extension, and {@link #shared} makes it once, as {@link SharedFrames#shared} does
 * for plain frames. Offers the JDK's deflater cannot honour ({@code server_max_window_bits} under
 * 15) or with unknown parameters are declined, and the socket goes on uncompressed. A client that
 * offers {@code client_no_context_takeover} gets it; one that offers {@code client_max_window_bits}
 * (browsers do) is asked for a 1 KiB window; the others keep their 32 KiB. The client's messages
 * are inflated by {@link ClientInflater}, one inflater per event loop, with the connection's last
 * window of bytes as a preset dictionary. (Adding {@code client_no_context_takeover} unasked would
 * be allowed by the RFC, but Netty's and Vert.x's clients with their default options fail such a
 * handshake.) Every inflated message is bounded by the WebSocket message limit.
 *
 * <p>Messages shorter than {@code minBytes} go uncompressed (RSV1 clear, which the extension
 * allows per message): a few dozen bytes of JSON hardly shrink and would cost both ends a
 * deflate and an inflate. The socket's own messages (replies) go through Netty's encoder with the
 * same rules.
 */
public final class PerMessageDeflate {
  private static final String NAME = "permessage-deflate";
  private static final String SERVER_NO_CONTEXT = "server_no_context_takeover";
  private static final String CLIENT_NO_CONTEXT = "client_no_context_takeover";
  private static final String CLIENT_MAX_WINDOW = "client_max_window_bits";
  /**
   * The window a client that offers {@code client_max_window_bits} is asked to keep to: 1 KiB,
   * which is all {@link ClientInflater} keeps of a connection's past messages. Commands are short.
   */
  static final int CLIENT_WINDOW_BITS = 10;
  /** What every message ends with after a sync flush, and what RFC 7692 section 7.2.1 removes. */
  private static final int TAIL = 4;

  private final int level;
  private final int minBytes;
  private final Deflater deflater;
  private byte[] out = new byte[8192];

  /** One per event loop (a deflater is not thread-safe); {@link #close} frees its native memory. */
  public PerMessageDeflate(int level, int minBytes) {
    this.level = level;
    this.minBytes = minBytes;
    this.deflater = new Deflater(level, true);
  }

  /**
   * The extension agreed for the {@code Sec-WebSocket-Extensions} offers of an upgrade, or null
   * when none is permessage-deflate that this server can honour (or {@code header} is null).
   * {@code maxMessageBytes} bounds what one inflated message may grow to.
   */
  public static WebSocketServerExtension negotiate(String header, int level, int minBytes, int maxMessageBytes) {
    if (header == null || header.isBlank()) {
      return null;
    }
    PerMessageDeflateServerExtensionHandshaker handshaker = new PerMessageDeflateServerExtensionHandshaker(
        level, false, CLIENT_WINDOW_BITS, true, true,
        new SkipShort(minBytes), maxMessageBytes);
    for (WebSocketExtensionData offer : WebSocketExtensionUtil.extractExtensions(header)) {
      if (!NAME.equals(offer.name())) {
        continue;
      }
      Map<String, String> params = new LinkedHashMap<>(offer.parameters());
      params.put(SERVER_NO_CONTEXT, null);
      WebSocketServerExtension agreed = handshaker.handshakeExtension(new WebSocketExtensionData(NAME, params));
      if (agreed != null) {
        return agreed;
      }
    }
    return null;
  }

  /**
   * The inbound side of an agreed extension: {@link ClientInflater}, keeping as much of the
   * client's past messages as its agreed window (nothing with {@code client_no_context_takeover},
   * 2^{@code client_max_window_bits} bytes, else 32 KiB), instead of Netty's inflater per connection.
   */
  public static ChannelInboundHandler inflater(WebSocketServerExtension agreed, int maxMessageBytes) {
    Map<String, String> p = agreed.newReponseData().parameters();
    int window;
    if (p.containsKey(CLIENT_NO_CONTEXT)) {
      window = 0;
    } else if (p.get(CLIENT_MAX_WINDOW) != null) {
      window = 1 << Integer.parseInt(p.get(CLIENT_MAX_WINDOW));
    } else {
      window = 1 << PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE;
    }
    return new ClientInflater(window, maxMessageBytes);
  }

  /** The {@code Sec-WebSocket-Extensions} answer for an agreed extension. */
  public static String responseHeader(WebSocketServerExtension agreed) {
    WebSocketExtensionData d = agreed.newReponseData();
    StringBuilder sb = new StringBuilder(d.name());
    d.parameters().forEach((k, v) -> {
      sb.append("; ").append(k);
      if (v != null) {
        sb.append('=').append(v);
      }
    });
    return sb.toString();
  }

  /**
   * A whole WebSocket text frame of {@code text}'s bytes, compressed (RSV1 set) when that makes it shorter and it is at least {@code minBytes} long,
   * else plain: once, in a direct buffer, to {@code release()} after the last write.
   */
  public ByteBuf shared(Buffer text) {
    ByteBuf utf8 = ((BufferInternal) text).getByteBuf();
    int n = utf8.readableBytes();
    if (n < minBytes) {
      return SharedFrames.frame(utf8, false);
    }
    deflater.reset();
    deflater.setInput(utf8.nioBuffer());
    int len = 0;
    while (true) {
      len += deflater.deflate(out, len, out.length - len, Deflater.SYNC_FLUSH);
      if (len < out.length) {
        break; // all input consumed and flushed: the output did not fill the array
      }
      out = Arrays.copyOf(out, out.length * 2);
    }
    int compressed = len - TAIL;
    if (compressed >= n) {
      return SharedFrames.frame(utf8, false);
    }
    ByteBuf frame = ByteBufAllocator.DEFAULT.directBuffer(SharedFrames.headerBytes(compressed) + compressed);
    SharedFrames.header(frame, compressed, true);
    frame.writeBytes(out, 0, compressed);
    return frame;
  }

  public int level() {
    return level;
  }

  public void close() {
    deflater.end();
  }

  /** Netty's encoder (the socket's replies) skips messages under {@code minBytes}, as {@link #shared} does. */
  private record SkipShort(int minBytes) implements WebSocketExtensionFilterProvider {
    @Override
    public WebSocketExtensionFilter encoderFilter() {
      return new WebSocketExtensionFilter() {
        @Override
        public boolean mustSkip(WebSocketFrame frame) {
          // a fragmented message's continuations follow its first frame: only whole messages are skipped
          return (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame)
              && frame.isFinalFragment() && frame.content().readableBytes() < minBytes;
        }
      };
    }

    @Override
    public WebSocketExtensionFilter decoderFilter() {
      return WebSocketExtensionFilter.NEVER_SKIP;
    }
  }
}
