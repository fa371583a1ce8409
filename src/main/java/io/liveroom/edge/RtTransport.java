package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.edge.internals.RawWebSocket;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.Transport;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SockJS transport at {@code /rt} (PROTOCOL.md section 1): the greeting, the origin check,
 * quiet failures, bodies for the XHR transports, then SockJS with the configured transports. What
 * a socket says is {@link RtCommands}' business.
 */
final class RtTransport {
  private static final Logger LOG = LoggerFactory.getLogger(RtTransport.class);

  private RtTransport() {
  }

  /**
   * Mounts the chain on {@code router} with {@code sockets} getting each new socket. The Autobahn
   * conformance server (src/test, {@code -Pautobahn}) mounts this same chain with an echo.
   */
  static void mount(Vertx vertx, Router router, LiveroomConfig.Rt cfg, Handler<SockJSSocket> sockets) {
    SockJSHandlerOptions options = new SockJSHandlerOptions()
        // the iframe transports' page (/rt/iframe.html) runs this server's sockjs-client, not a CDN's
        .setLibraryURL(EdgeVerticle.SOCKJS_CLIENT_URL)
        .setHeartbeatInterval(cfg.heartbeatMs())
        .setRegisterWriteHandler(false)
        .setInsertJSESSIONID(false);
    for (String t : LiveroomConfig.Rt.TRANSPORTS) {
      if (!cfg.transports().contains(t)) {
        options.addDisabledTransport(sockJsTransport(t).toString());
      }
    }
    router.get("/rt").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=UTF-8")
        .end("Welcome to SockJS!\n"));
    router.route("/rt/*").handler(ctx -> checkOrigin(ctx, cfg));
    // bad upgrades and oversized xhr_send bodies are the client's mistakes: answer, do not log them as errors
    router.route("/rt/*").failureHandler(ctx -> {
      int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      if (status >= 500) {
        LOG.warn("real-time transport request failed: {}", String.valueOf(ctx.failure()));
      }
      if (!ctx.response().ended()) {
        ctx.response().setStatusCode(status).end();
      }
    });
    // only the XHR and JSONP sends have bodies; a WebSocket upgrade must reach SockJS unread, and
    // one that says Content-Length: 0 (JDK 17's java.net.http client) would be read by a BodyHandler
    router.post("/rt/*").handler(BodyHandler.create(false).setBodyLimit(Math.max(65536, cfg.maxFrameBytes() * 4)));
    router.route("/rt/*").subRouter(SockJSHandler.create(vertx, options).socketHandler(sockets));
  }

  /**
   * {@code /rt/websocket} as a plain WebSocket outside the SockJS router ({@link RawWebSocket}), with
   * {@code sockets} getting each new one; null when {@code rt.transports} leaves out
   * {@code websocket}. Its upgrades pass the same origin check as SockJS's.
   */
  static RawWebSocket.Acceptor raw(LiveroomConfig.Rt cfg, Handler<RawWebSocket> sockets) {
    if (!cfg.transports().contains("websocket")) {
      return null;
    }
    return new RawWebSocket.Acceptor() {
      @Override
      public boolean originAllowed(String origin, String host) {
        return RtTransport.originAllowed(cfg, origin, host);
      }

      @Override
      public void accept(RawWebSocket socket) {
        sockets.handle(socket);
      }

      @Override
      public int deflateLevel() {
        return cfg.deflateLevel();
      }

      @Override
      public int deflateMinBytes() {
        return cfg.deflateMinBytes();
      }
    };
  }

  /** The SockJS handshake checks {@code Origin}: same origin, localhost, or {@code rt.allowedOrigins}. */
  private static void checkOrigin(RoutingContext ctx, LiveroomConfig.Rt cfg) {
    if (ctx.request().path().endsWith("/xhr")) {
      // vertx-web closes the connection after each xhr poll: say so, or keep-alive clients reuse a dead socket
      ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null || originAllowed(cfg, origin, ctx.request().getHeader(HttpHeaders.HOST))) {
      ctx.next();
      return;
    }
    ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain").end("origin not allowed");
  }

  private static boolean originAllowed(LiveroomConfig.Rt cfg, String origin, String host) {
    if (cfg.allowedOrigins().contains(origin) || cfg.allowedOrigins().contains("*")) {
      return true;
    }
    try {
      URI u = URI.create(origin);
      String h = u.getHost();
      if (h == null) {
        return false;
      }
      if (h.equals("localhost") || h.equals("127.0.0.1") || h.equals("[::1]")) {
        return true;
      }
      return host != null && host.equalsIgnoreCase(u.getRawAuthority());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Transport sockJsTransport(String name) {
    return switch (name) {
      case "websocket" -> Transport.WEBSOCKET;
      case "xhr" -> Transport.XHR;
      case "eventsource" -> Transport.EVENT_SOURCE;
      case "htmlfile" -> Transport.HTML_FILE;
      case "jsonp" -> Transport.JSON_P;
      default -> throw new IllegalArgumentException("no SockJS transport " + name);
    };
  }
}
