package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
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
  private final JWTAuth jwt;

  public ApiAuth(Vertx vertx, LiveroomConfig.Auth cfg) {
    this.keys = cfg.apiKeys().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    this.jwt = createJwt(vertx, cfg);
  }

  /** The JWT verifier of a node's config: HS256 with the secret, or RS256/ES256 with the public key. */
  public static JWTAuth createJwt(Vertx vertx, LiveroomConfig.Auth cfg) {
    PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(cfg.jwtAlgorithm())
        .setBuffer(cfg.jwtAlgorithm().equals("HS256") ? cfg.jwtSecret() : cfg.jwtPublicKey());
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key));
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
    io.vertx.core.Future<io.vertx.ext.auth.User> auth;
    try {
      auth = jwt.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // vertx-auth-jwt throws (rather than failing) on a signed token with a mistyped exp/nbf/iat
      auth = io.vertx.core.Future.failedFuture(e);
    }
    auth.onComplete(ar -> {
      if (ar.failed()) {
        ApiErrors.send(ctx, new LiveroomException(ErrorCode.UNAUTHORIZED, "invalid or expired token"));
        return;
      }
      Object rooms = ar.result().principal().getValue("rooms");
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
