package io.liveroom.edge;

import io.liveroom.NodeServices;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.shard.ShardClient;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
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

  private final NodeServices node;
  private final int instance;
  private HttpServer server;
  private Realtime realtime;

  public EdgeVerticle(NodeServices node, int instance) {
    this.node = node;
    this.instance = instance;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
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
    realtime = new Realtime(vertx, node, shards, instance);
    Future<Void> rt = realtime.start(router);
    new RoomApi(vertx, node, shards).mount(router);
    router.route("/vendor/sockjs/*").handler(StaticHandler.create(SOCKJS_CLIENT_DIST).setMaxAgeSeconds(86_400));
    // the demo page (/) and the JS client (/liveroom.js)
    router.route("/*").handler(StaticHandler.create("webroot").setIndexPage("index.html"));
    router.route().last().handler(ctx -> ApiErrors.send(ctx,
        new LiveroomException(ErrorCode.NOT_FOUND, "not found: " + ctx.request().path())));
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(node.config().http().host())
        .setPort(node.config().http().port())
        .setIdleTimeout(120)
        .setMaxWebSocketFrameSize(Math.max(65536, node.config().rt().maxFrameBytes()))
        .setMaxWebSocketMessageSize(Math.max(65536, node.config().rt().maxFrameBytes()))
        .setPerMessageWebSocketCompressionSupported(false)
        .setPerFrameWebSocketCompressionSupported(false));
    return rt.compose(v -> server.requestHandler(router).listen());
  }

  @Override
  public Future<?> stop() {
    Future<Void> rt = realtime == null ? Future.succeededFuture() : realtime.stop();
    return rt.eventually(() -> server == null ? Future.succeededFuture() : server.close());
  }
}
