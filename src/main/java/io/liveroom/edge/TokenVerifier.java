package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.List;

/**
 * The JWT check of a node's config, shared by the socket's {@code hello} and {@code refresh} and
 * by the HTTP API: vertx-auth-jwt checks the signature, {@code exp}, {@code nbf} and {@code iat}
 * (with {@code auth.jwt.leewaySec}) and, when configured, {@code iss} and {@code aud}; this class
 * adds {@code auth.jwt.requireExp}. Every refusal is an {@code UNAUTHORIZED} whose message says
 * what to fix, without echoing what the server expects.
 */
final class TokenVerifier {
  private static final String INVALID = "invalid or expired token";

  private final JWTAuth jwt;
  private final boolean requireExp;
  private final int leewaySec;

  TokenVerifier(Vertx vertx, LiveroomConfig.Auth cfg) {
    PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(cfg.jwtAlgorithm())
        .setBuffer(cfg.jwtAlgorithm().equals("HS256") ? cfg.jwtSecret() : cfg.jwtPublicKey());
    JWTOptions checks = new JWTOptions().setLeeway(cfg.leewaySec());
    if (!cfg.jwtIssuer().isEmpty()) {
      checks.setIssuer(cfg.jwtIssuer());
    }
    if (!cfg.jwtAudience().isEmpty()) {
      checks.setAudience(List.of(cfg.jwtAudience()));
    }
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key).setJWTOptions(checks));
    this.requireExp = cfg.requireExp();
    this.leewaySec = cfg.leewaySec();
  }

  /** The token's claims once it passed every check; else a failed {@code UNAUTHORIZED}. */
  Future<JsonObject> verify(String token) {
    Future<User> auth;
    try {
      auth = jwt.authenticate(new TokenCredentials(token));
    } catch (RuntimeException e) {
      // vertx-auth-jwt throws (rather than failing) on a signed token with a mistyped exp/nbf/iat/iss/aud
      auth = Future.failedFuture(e);
    }
    return auth.transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture(new LiveroomException(ErrorCode.UNAUTHORIZED, reason(ar.cause())));
      }
      // the whole payload: vertx-auth-jwt moves exp, iat and nbf out of the principal into attributes
      JsonObject claims = ar.result().attributes().getJsonObject("accessToken", ar.result().principal());
      if (requireExp && !(claims.getValue("exp") instanceof Number)) {
        return Future.failedFuture(new LiveroomException(ErrorCode.UNAUTHORIZED,
            "the token has no exp claim: this server accepts only tokens that expire"));
      }
      return Future.succeededFuture(claims);
    });
  }

  /**
   * The epoch second from which a connection signed in with {@code claims} counts as expired: the
   * second vertx-auth-jwt would start refusing the token ({@code exp} plus the leeway); 0 for a
   * token without {@code exp} (only when {@code auth.jwt.requireExp} is false).
   */
  long deadline(JsonObject claims) {
    long exp = exp(claims);
    return exp == 0 ? 0 : saturatedAdd(exp, leewaySec);
  }

  /** The token's {@code exp} in epoch milliseconds, as replies carry times; null without one. */
  static Long expMillis(JsonObject claims) {
    long exp = exp(claims);
    return exp == 0 ? null : exp > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : exp * 1000;
  }

  private static long exp(JsonObject claims) {
    return claims.getValue("exp") instanceof Number n ? Math.max(1, n.longValue()) : 0;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < a ? Long.MAX_VALUE : sum;
  }

  /**
   * vertx-auth-jwt names a wrong issuer or audience only in its failure's text: those two get a
   * message of their own (any other text, or a changed one, gets the generic message).
   */
  private static String reason(Throwable cause) {
    String m = String.valueOf(cause.getMessage());
    if (m.startsWith("Invalid JWT issuer")) {
      return "the token's iss is not an issuer this server accepts";
    }
    if (m.startsWith("Invalid JWT audience")) {
      return "the token's aud does not name this server's audience";
    }
    return INVALID;
  }
}
