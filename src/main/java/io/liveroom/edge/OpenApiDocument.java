package io.liveroom.edge;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The OpenAPI document of {@code /api/v1} ({@value #RESOURCE} on the classpath), served at
 * {@code GET /api/v1/openapi.json} without authentication, with an ETag that revalidates.
 */
final class OpenApiDocument implements Handler<RoutingContext> {
  static final String RESOURCE = "openapi/liveroom-api.json";
  /** The document changes only with a new build: caches may keep it a while, then revalidate. */
  private static final String CACHE_CONTROL = "public, max-age=3600";

  private final Buffer json;
  private final String etag;

  private OpenApiDocument(Buffer json) {
    this.json = json;
    this.etag = "\"" + sha256(json).substring(0, 32) + "\"";
  }

  /** Reads the document once, off the event loop (Vert.x's file system resolves classpath resources). */
  static Future<OpenApiDocument> load(Vertx vertx) {
    return vertx.fileSystem().readFile(RESOURCE).map(OpenApiDocument::new);
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.response()
        .putHeader(HttpHeaders.ETAG, etag)
        .putHeader(HttpHeaders.CACHE_CONTROL, CACHE_CONTROL);
    String ifNoneMatch = ctx.request().getHeader(HttpHeaders.IF_NONE_MATCH);
    if (ifNoneMatch != null && (ifNoneMatch.contains(etag) || ifNoneMatch.strip().equals("*"))) {
      ctx.response().setStatusCode(304).end();
      return;
    }
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(json);
  }

  private static String sha256(Buffer b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.getBytes()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
