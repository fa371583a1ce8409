package io.liveroom.edge;

import io.liveroom.node.NodeServices;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.edge.internals.RawWebSocket;
import io.liveroom.edge.internals.WebSocketPipeline;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.shard.ShardClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * The HTTP side of a node, one instance per event loop sharing the port: the REST API, health
 * and metrics. Room commands go to their owner shard through {@link ShardClient}.
 */
public final class EdgeVerticle extends VerticleBase {
  /** Inside the org.webjars.npm:sockjs-client jar; the version is pom.xml's sockjs-client.version. */
  private static final String SOCKJS_CLIENT_DIST = "META-INF/resources/webjars/sockjs-client/1.6.1/dist";
  /** Where that copy of sockjs-client is served; SockJS's iframe page loads it from here too. */
  static final String SOCKJS_CLIENT_URL = "/vendor/sockjs/sockjs.min.js";
  /** The raw WebSocket endpoint (PROTOCOL.md section 1), served by {@link RawWebSocket}. */
  static final String RAW_WEBSOCKET_PATH = "/rt/websocket";
  /** The admin page's scripts and styles are its own files; it talks to this node only. */
  private static final String ADMIN_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final NodeServices node;
  private final int instance;
  private HttpServer server;
  private Router router;
  private Realtime realtime;

  public EdgeVerticle(NodeServices node, int instance) {
    this.node = node;
    this.instance = instance;
  }

  @Override
  public Future<?> start() {
    return OpenApiDocument.load(vertx).compose(this::start);
  }

  private Future<HttpServer> start(OpenApiDocument openApi) {
    router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end("{\"status\":\"UP\"}"));
    router.get("/health/ready").handler(ctx -> {
      boolean ready = node.health().ready();
      ctx.response().setStatusCode(ready ? 200 : 503)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(node.health().report().encode());
    });
    if (node.metrics().registry() instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));
    }
    ShardClient shards = new ShardClient(vertx, node);
    OwnerRequests owners = new OwnerRequests(vertx, node, shards, instance);
    realtime = new Realtime(vertx, node, owners, instance);
    Future<Void> rt = realtime.start(router);
    new RoomApi(vertx, node, shards, owners).mount(router, openApi);
    router.route("/vod/*").handler(new VodHandler(vertx, node.config().vod()));
    router.route("/vendor/sockjs/*").handler(StaticHandler.create(SOCKJS_CLIENT_DIST).setMaxAgeSeconds(86_400));
    mountAdminPage(router);
    // the demo page (/), the JS client (/liveroom.js) and the admin page's files (/admin/)
    router.route("/*").handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    router.route().last().handler(ctx -> ApiErrors.send(ctx,
        new LiveroomException(ErrorCode.NOT_FOUND, "not found: " + ctx.request().path())));
    server = createServer(vertx, node.config(), router, RtTransport.raw(node.config().rt(), realtime::onSocket));
    return rt.compose(v -> server.listen());
  }

  /**
   * The admin page (webroot/admin, docs/operations.md "Admin page"): static files that call the
   * REST API with the key the operator types. {@code /admin} redirects to {@code /admin/} so the
   * page's relative URLs resolve; its responses may not be framed, cached or sent as a referrer.
   */
  private static void mountAdminPage(Router router) {
    // vertx-web matches "/admin" for "/admin/" too
    router.get("/admin").handler(ctx -> {
      if (ctx.request().path().equals("/admin")) {
        ctx.response().setStatusCode(301).putHeader(HttpHeaders.LOCATION, "/admin/").end();
      } else {
        ctx.next();
      }
    });
    router.route("/admin/*").handler(ctx -> {
      ctx.response()
          .putHeader("Content-Security-Policy", ADMIN_CSP)
          .putHeader("X-Frame-Options", "DENY")
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
      ctx.next();
    });
  }

  /**
   * The HTTP server of the edge, before it listens: options, WebSocket limits and checks, the raw
   * WebSocket endpoint ({@code raw}, may be null), and a plain 400 for malformed %-escapes ahead of
   * {@code router}. The Autobahn conformance server
   * (src/test, {@code -Pautobahn}) is built by this same method.
   */
  static HttpServer createServer(Vertx vertx, LiveroomConfig config, Router router, RawWebSocket.Acceptor raw) {
    int wsMax = webSocketFrameLimit(config.rt());
    // Vert.x's strict thread mode (every write to an HTTP/1 connection on its own event loop) spares
    // each connection a cross-thread write queue with a 4 KiB first chunk, which an upgraded
    // WebSocket keeps for its life: ~5 KiB per connection (idle-conns in docs/benchmarks.md). Only
    // without SockJS's HTTP transports: vertx-web's heartbeat timer writes to an HTTP transport's
    // response from the session's event loop, which need not be the connection's, and would fail.
    HttpServer server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setIdleTimeout(120)
        .setMaxWebSocketFrameSize(wsMax)
        .setMaxWebSocketMessageSize(wsMax)
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false)
        .setStrictThreadMode(!config.rt().httpTransports()));
    // UTF-8 checks and fragment aggregation that Vert.x 5.0.10's WebSockets lack
    // and /rt/websocket as a plain WebSocket, outside the router, when raw is not null
    server.connectionHandler(conn -> {
      WebSocketPipeline.install(conn, wsMax);
      if (raw != null) {
        RawWebSocket.install(conn, RAW_WEBSOCKET_PATH, wsMax, raw);
      }
    });
    // vertx-web fails on a malformed %-escape while matching routes and logs it as an error:
    // such a request is the client's mistake, so it gets a plain 400 before it reaches the router
    return server.requestHandler(req -> {
      if (validEscapes(req.path())) {
        router.handle(req);
      } else {
        req.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end("{\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"malformed percent-encoding in the path\"}}");
      }
    });
  }

  /** The routes of this edge once started; {@code OpenApiContractIT} holds them to the API's document. */
  Router router() {
    return router;
  }

  /**
   * The largest WebSocket frame the edge reads, and writes: Vert.x splits a longer outgoing
   * message into fragments of this size, which clients with the usual 64 KiB limit expect.
   */
  static int webSocketFrameLimit(LiveroomConfig.Rt rt) {
    return Math.max(65536, rt.maxFrameBytes());
  }

  /** Whether every {@code %} in the path starts a two-hex-digit escape. */
  static boolean validEscapes(String path) {
    if (path == null) {
      return false;
    }
    for (int i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
      if (i + 2 >= path.length() || Character.digit(path.charAt(i + 1), 16) < 0
          || Character.digit(path.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public Future<?> stop() {
    Future<Void> rt = realtime == null ? Future.succeededFuture() : realtime.stop();
    return rt.eventually(() -> server == null ? Future.succeededFuture() : server.close());
  }
}
