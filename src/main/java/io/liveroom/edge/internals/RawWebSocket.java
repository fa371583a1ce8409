package io.liveroom.edge.internals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.PromiseInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;
import io.vertx.core.net.impl.VertxHandler;
import io.vertx.core.spi.metrics.TCPMetrics;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code /rt/websocket} as a plain WebSocket of Netty's, beside Vert.x's HTTP server and outside
 * vertx-web's SockJS router: a connection that upgrades keeps only its channel, its pipeline and
 * this object; none of Vert.x's {@code ServerWebSocket}, its connection and cross-thread write
 * queue (a 4 KiB first chunk), SockJS's socket, or the upgrade request and its routing context.
 *
 * <p>One instance goes in front of Vert.x's handler on every HTTP/1 connection of the edge
 * ({@link #install}). Until it takes the connection over it only looks at request heads: a
 * well-formed WebSocket upgrade of {@code GET /rt/websocket} is answered here (a 403 for an origin
 * the {@link Acceptor} refuses, else the handshake by Netty's handshaker), and everything else,
 * malformed upgrades included, goes on to Vert.x and the router as before. After the handshake,
 * frames stop here: text and binary messages (whole: {@link WebSocketPipeline}'s aggregator is in
 * front) go to the handlers, pings are answered, a close is answered and ends the connection.
 * Vert.x's handler and HTTP connection (with its cross-thread write queue when the server is not in
 * strict thread mode) leave the pipeline, and so does the HTTP server's idle timer; what Vert.x
 * would do when the channel closes, count the connection out of its metrics, is done here, and
 * the server's shutdown event closes the socket.
 *
 * <p>Everything runs on the channel's event loop, which is the edge instance's; handlers are
 * called on the instance's context. Frames to many sockets at once go below the WebSocket encoder
 * ({@link #frames()}, {@link SharedFrames}).
 */
public final class RawWebSocket extends ChannelInboundHandlerAdapter {
  /** What the edge does with upgrades of the path. */
  public interface Acceptor {
    /** Whether an upgrade with this {@code Origin} (never null) and {@code Host} (may be null) is allowed. */
    boolean originAllowed(String origin, String host);

    /** A new socket, handshake done: set its handlers now. */
    void accept(RawWebSocket socket);

    /** The permessage-deflate level offered to clients that ask for it (1 to 9), 0 for none. */
    default int deflateLevel() {
      return 0;
    }

    /** Messages shorter than this go uncompressed on a compressing socket ({@link PerMessageDeflate}). */
    default int deflateMinBytes() {
      return 0;
    }
  }

  private static final String NAME = "liveroomRawWebSocket";
  private static final int HTTP = 0;
  private static final int HANDSHAKE = 1;
  private static final int OPEN = 2;
  private static final int CLOSED = 3;

  private final ContextInternal context;
  private final String path;
  private final int maxFrameBytes;
  private final Acceptor acceptor;
  private ChannelHandlerContext ctx;
  private ChannelHandlerContext frames;
  private int state = HTTP;
  /** A taken-over request's body parts are dropped until its last one. */
  private boolean skipBody;
  private boolean closeSent;
  private boolean leftVertx;
  /** Whether permessage-deflate was agreed (fan-out frames then come from {@link PerMessageDeflate#shared}). */
  private boolean deflate;
  private Handler<Buffer> dataHandler;
  private Handler<Buffer> binaryHandler;
  private Handler<Void> closeHandler;
  /** What Vert.x's connection would report when the channel closes; null when metrics are off. */
  private TCPMetrics<Object> metrics;
  private Object metric;
  private io.vertx.core.net.SocketAddress metricAddress;

  private RawWebSocket(ContextInternal context, String path, int maxFrameBytes, Acceptor acceptor) {
    this.context = context;
    this.path = path;
    this.maxFrameBytes = maxFrameBytes;
    this.acceptor = acceptor;
  }

  /**
   * For {@code HttpServer.connectionHandler}, on the connection's event loop: upgrades of
   * {@code path} on this connection become raw WebSockets with frames of at most
   * {@code maxFrameBytes} (longer messages go out in fragments).
   */
  public static void install(HttpConnection conn, String path, int maxFrameBytes, Acceptor acceptor) {
    if (conn instanceof ConnectionBase base) {
      ChannelHandlerContext vertx = base.channelHandlerContext();
      vertx.pipeline().addBefore(vertx.name(), NAME, new RawWebSocket(base.context(), path, maxFrameBytes, acceptor));
    }
  }

  // --- the socket -----------------------------------------------------------------------------

  /** Text messages, and binary ones unless {@link #binaryHandler} is set. */
  public RawWebSocket handler(Handler<Buffer> handler) {
    this.dataHandler = handler;
    return this;
  }

  public RawWebSocket binaryHandler(Handler<Buffer> handler) {
    this.binaryHandler = handler;
    return this;
  }

  /** Called once, when the connection has closed (whoever closed it). */
  public RawWebSocket closeHandler(Handler<Void> handler) {
    this.closeHandler = handler;
    return this;
  }

  /** Where whole encoded frames go ({@link SharedFrames#writeText}): the WebSocket encoder's context. */
  public ChannelHandlerContext frames() {
    return frames;
  }

  /** Whether the socket agreed to permessage-deflate: its fan-out frames must be {@link PerMessageDeflate}'s. */
  public boolean deflate() {
    return deflate;
  }

  /** The peer's IP address, or {@code unknown}. */
  public String remoteIp() {
    SocketAddress a = ctx.channel().remoteAddress();
    return a instanceof InetSocketAddress i && i.getAddress() != null ? i.getAddress().getHostAddress() : "unknown";
  }

  /** Whether the channel's outbound buffer is over {@link #setWriteQueueMaxSize} (or the channel is closed). */
  public boolean writeQueueFull() {
    return !ctx.channel().isWritable();
  }

  public void setWriteQueueMaxSize(int bytes) {
    ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(bytes / 2, bytes));
  }

  /** One text message, in fragments of at most the frame limit; completes when written (fails when closed). */
  public Future<Void> write(String text) {
    return write(text.getBytes(StandardCharsets.UTF_8), true);
  }

  /** One binary message (for the conformance echo). */
  public Future<Void> writeBinary(Buffer data) {
    return write(data.getBytes(), false);
  }

  private Future<Void> write(byte[] bytes, boolean text) {
    PromiseInternal<Void> written = context.promise();
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(() -> write(bytes, text).onComplete(written));
      return written.future();
    }
    if (state != OPEN || closeSent) {
      return Future.failedFuture("the WebSocket is closed");
    }
    if (bytes.length <= maxFrameBytes) {
      ByteBuf b = Unpooled.wrappedBuffer(bytes);
      ctx.writeAndFlush(text ? new TextWebSocketFrame(b) : new BinaryWebSocketFrame(b)).addListener(written);
      return written.future();
    }
    for (int at = 0; at < bytes.length; at += maxFrameBytes) {
      int n = Math.min(maxFrameBytes, bytes.length - at);
      boolean last = at + n == bytes.length;
      ByteBuf b = Unpooled.wrappedBuffer(bytes, at, n);
      WebSocketFrame f = at == 0 ? (text ? new TextWebSocketFrame(false, 0, b) : new BinaryWebSocketFrame(false, 0, b))
          : new ContinuationWebSocketFrame(last, 0, b);
      if (last) {
        ctx.writeAndFlush(f).addListener(written);
      } else {
        ctx.write(f, ctx.voidPromise());
      }
    }
    return written.future();
  }

  /** Closes with 1000: the close frame, then the connection once it is written. */
  public void close() {
    if (!ctx.executor().inEventLoop()) {
      ctx.executor().execute(this::close);
      return;
    }
    if (state == OPEN && !closeSent) {
      closeSent = true;
      ctx.writeAndFlush(new CloseWebSocketFrame(1000, null)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  // --- the pipeline ---------------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    switch (state) {
      case HTTP -> {
        if (skipBody && msg instanceof HttpContent c) {
          skipBody = !(c instanceof LastHttpContent);
          c.release();
        } else if (msg instanceof HttpRequest req && ours(req)) {
          skipBody = !(req instanceof LastHttpContent);
          ReferenceCountUtil.release(req);
          upgrade(req);
        } else {
          ctx.fireChannelRead(msg);
        }
      }
      case OPEN -> frame(msg);
      default -> ReferenceCountUtil.release(msg); // a body's rest during the handshake, frames after a close
    }
  }

  private void frame(Object msg) {
    try {
      if (msg instanceof WebSocketFrame f && f.rsv() != 0) {
        // RFC 6455 section 5.2: reserved bits no agreed extension defines fail the connection
        protocolError(1002);
      } else if (msg instanceof TextWebSocketFrame t) {
        deliver(dataHandler, t.content());
      } else if (msg instanceof BinaryWebSocketFrame b) {
        deliver(binaryHandler != null ? binaryHandler : dataHandler, b.content());
      } else if (msg instanceof PingWebSocketFrame p) {
        ctx.writeAndFlush(new PongWebSocketFrame(p.content().retain()));
      } else if (msg instanceof CloseWebSocketFrame c) {
        // RFC 6455 section 5.5.1: answer with a close (the same code), then end the connection
        if (!closeSent) {
          closeSent = true;
          int code = c.statusCode();
          CloseWebSocketFrame answer = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, null);
          ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        } else {
          ctx.close();
        }
      }
      // pongs, and an HTTP request's last (empty) part that followed the upgrade, are dropped
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Fails the connection with {@code code} (RFC 6455 section 7.1.7): the close frame, then the TCP connection. */
  private void protocolError(int code) {
    if (!closeSent) {
      closeSent = true;
      ctx.writeAndFlush(new CloseWebSocketFrame(code, null)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  private void deliver(Handler<Buffer> handler, ByteBuf content) {
    if (handler != null && !closeSent) {
      context.emit(Buffer.buffer(ByteBufUtil.getBytes(content)), handler);
    }
  }

  /** A WebSocket upgrade of the path that Netty's handshaker can answer; the rest is Vert.x's to answer. */
  private boolean ours(HttpRequest req) {
    if (!HttpMethod.GET.equals(req.method()) || !req.decoderResult().isSuccess()) {
      return false;
    }
    String uri = req.uri();
    int q = uri.indexOf('?');
    if (!(q < 0 ? uri : uri.substring(0, q)).equals(path)) {
      return false;
    }
    var h = req.headers();
    return h.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
        && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
        && h.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)
        && "13".equals(h.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
  }

  private void upgrade(HttpRequest req) {
    String origin = req.headers().get(HttpHeaderNames.ORIGIN);
    if (origin != null && !acceptor.originAllowed(origin, req.headers().get(HttpHeaderNames.HOST))) {
      FullHttpResponse refused = new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.FORBIDDEN,
          Unpooled.copiedBuffer("origin not allowed", StandardCharsets.UTF_8));
      refused.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
          .setInt(HttpHeaderNames.CONTENT_LENGTH, refused.content().readableBytes())
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(refused).addListener(ChannelFutureListener.CLOSE);
      state = CLOSED;
      return;
    }
    WebSocketServerExtension agreed = acceptor.deflateLevel() == 0 ? null : PerMessageDeflate.negotiate(
        req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS), acceptor.deflateLevel(),
        acceptor.deflateMinBytes(), maxFrameBytes);
    WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(maxFrameBytes)
        .expectMaskedFrames(true).allowMaskMismatch(false).allowExtensions(agreed != null)
        .closeOnProtocolViolation(false).withUTF8Validator(false).build();
    WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(path, null, decoder).newHandshaker(req);
    state = HANDSHAKE;
    if (handshaker == null) {
      WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
      state = HTTP;
      return;
    }
    var full = new DefaultFullHttpRequest(req.protocolVersion(), req.method(), req.uri(), Unpooled.EMPTY_BUFFER,
        req.headers(), EmptyHttpHeaders.INSTANCE);
    HttpHeaders answer = new DefaultHttpHeaders();
    if (agreed != null) {
      answer.set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, PerMessageDeflate.responseHeader(agreed));
    }
    handshaker.handshake(ctx.channel(), full, answer, ctx.channel().newPromise()).addListener(f -> {
      if (!f.isSuccess() || !ctx.channel().isActive()) {
        state = CLOSED;
        ctx.close();
        return;
      }
      state = OPEN;
      if (agreed != null) {
        // next to the frame decoder: inflated frames go on to the UTF-8 check and the aggregator, and
        // the socket's own messages are deflated before the encoder (fan-out frames come below both)
        String decoderName = ctx.pipeline().context(WebSocketFrameDecoder.class).name();
        ctx.pipeline().addAfter(decoderName, "liveroomInflate", PerMessageDeflate.inflater(agreed, maxFrameBytes))
            .addAfter(decoderName, "liveroomDeflate", agreed.newExtensionEncoder());
        deflate = true;
      }
      frames = ctx.pipeline().context(WebSocketFrameEncoder.class);
      leaveVertx();
      context.emit(this, acceptor::accept);
    });
  }

  /** Vert.x's handler, its HTTP connection and the server's idle timer leave the pipeline. */
  @SuppressWarnings("unchecked")
  private void leaveVertx() {
    leftVertx = true;
    ChannelPipeline p = ctx.pipeline();
    if (p.get(VertxHandler.class) instanceof VertxHandler<?> vertx) {
      ConnectionBase conn = vertx.getConnection();
      if (conn != null && conn.metrics() instanceof TCPMetrics<?> m) {
        metrics = (TCPMetrics<Object>) m;
        metric = conn.metric();
        metricAddress = conn.remoteAddress();
      }
      p.remove(vertx);
    }
    // the HTTP server's idle timeout is not the WebSocket's: the edge closes idle sessions itself
    if (p.get(IdleStateHandler.class) != null) {
      p.remove(IdleStateHandler.class);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!leftVertx) {
      ctx.fireChannelInactive(); // Vert.x's connection is still behind: it closes, and counts itself out
    }
    if (state == HTTP) {
      return;
    }
    boolean wasOpen = state == OPEN;
    state = CLOSED;
    if (metrics != null) {
      metrics.disconnected(metric, metricAddress);
      metrics = null;
    }
    if (wasOpen && closeHandler != null) {
      context.emit(null, closeHandler);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (state == HTTP) {
      ctx.fireUserEventTriggered(evt);
    } else if (evt instanceof ShutdownEvent) {
      close(); // the HTTP server is closing (the edge has said bye to its sessions before)
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (state == HTTP) {
      ctx.fireChannelWritabilityChanged();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (state == HTTP) {
      ctx.fireChannelReadComplete();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (state == HTTP) {
      ctx.fireExceptionCaught(cause);
    } else if (inflating(cause) instanceof DecompressionException e) {
      // a compressed message that inflates past the message limit (1009), or that is not deflate data (1007)
      protocolError(e.getMessage() != null && e.getMessage().contains("maximum") ? 1009 : 1007);
    } else {
      ctx.close();
    }
  }

  private static Throwable inflating(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof DecompressionException) {
        return t;
      }
    }
    return cause;
  }
}
