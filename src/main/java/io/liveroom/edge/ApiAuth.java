package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Bearer authentication of the HTTP API: a configured API key, or a JWT whose {@code rooms}
 * claim gives {@code admin} for {@code *}. Keys are compared in constant time.
 */
public final class ApiAuth implements Handler<RoutingContext> {
  private final List<byte[]> keys;
  private final TokenVerifier tokens;

  public ApiAuth(Vertx vertx, LiveroomConfig.Auth cfg) {
    this.keys = cfg.apiKeys().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    this.tokens = new TokenVerifier(vertx, cfg);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ApiErrors.send(ctx, new LiveroomException(ErrorCode.UNAUTHORIZED,
          "send Authorization: Bearer <API key or admin JWT>"));
      return;
    }
    String token = header.substring(7).strip();
    if (isApiKey(token)) {
      ctx.next();
      return;
    }
    if (token.chars().filter(c -> c == '.').count() != 2) {
      ApiErrors.send(ctx, new LiveroomException(ErrorCode.UNAUTHORIZED, "unknown API key"));
      return;
    }
    tokens.verify(token).onComplete(ar -> {
      if (ar.failed()) {
        ApiErrors.send(ctx, ar.cause());
        return;
      }
      Object rooms = ar.result().getValue("rooms");
      if (rooms instanceof JsonObject r && "admin".equals(r.getValue("*"))) {
        ctx.next();
      } else {
        ApiErrors.send(ctx, new LiveroomException(ErrorCode.FORBIDDEN, "the HTTP API needs an API key or the admin role"));
      }
    });
  }

  private boolean isApiKey(String token) {
    byte[] t = token.getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (byte[] k : keys) {
      match |= MessageDigest.isEqual(k, t);
    }
    return match;
  }
}
