package io.liveroom.edge;

import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes REST errors as {@code {"error":{"code","message"}}}; never a stack trace. */
final class ApiErrors {
  private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

  private ApiErrors() {
  }

  static void send(RoutingContext ctx, Throwable t) {
    LiveroomException e;
    if (t instanceof LiveroomException le) {
      e = le;
    } else {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), t);
      e = new LiveroomException(ErrorCode.INTERNAL, "internal error");
    }
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    JsonObject error = new JsonObject().put("code", e.code().name()).put("message", e.getMessage());
    if (e.retryAfterMs() >= 0) {
      error.put("retryAfterMs", e.retryAfterMs());
      ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, (e.retryAfterMs() + 999) / 1000)));
    }
    JsonObject body = new JsonObject().put("error", error);
    ctx.response().setStatusCode(e.httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(body.encode());
  }

  /** Failure handler of the API routes: body-size limits and anything a handler threw. */
  static void onFailure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t == null) {
      int status = ctx.statusCode();
      ErrorCode code = switch (status) {
        case 413 -> ErrorCode.TOO_LARGE;
        case 400 -> ErrorCode.BAD_REQUEST;
        case 401 -> ErrorCode.UNAUTHORIZED;
        case 403 -> ErrorCode.FORBIDDEN;
        case 404 -> ErrorCode.NOT_FOUND;
        default -> ErrorCode.INTERNAL;
      };
      String msg = status == 413 ? "request body too large" : "request failed (" + status + ")";
      send(ctx, new LiveroomException(code, status == 413 || code != ErrorCode.INTERNAL ? status : 500, msg));
      return;
    }
    if (t instanceof io.vertx.core.json.DecodeException) {
      send(ctx, LiveroomException.badRequest("body is not valid JSON"));
      return;
    }
    send(ctx, t);
  }
}
