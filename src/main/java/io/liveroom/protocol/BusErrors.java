package io.liveroom.protocol;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/** How liveroom failures travel over the event bus and come back as {@link LiveroomException}s. */
public final class BusErrors {
  /** Bus code of "that room id exists": BAD_REQUEST answered with HTTP 409. */
  public static final int EXISTS_BUS_CODE = 998;

  private BusErrors() {
  }

  public static void fail(Message<?> msg, Throwable t) {
    if (t instanceof LiveroomException e) {
      int code = e.httpStatus() == 409 && e.code() == ErrorCode.BAD_REQUEST ? EXISTS_BUS_CODE : e.code().busCode();
      msg.fail(code, e.retryAfterMs() >= 0 ? "@" + e.retryAfterMs() + " " + e.getMessage() : e.getMessage());
    } else {
      msg.fail(ErrorCode.INTERNAL.busCode(), "internal error");
    }
  }

  /** The client-facing error of a failed request; null for MOVED and no-handler, which the router retries. */
  public static LiveroomException toClient(ReplyException e) {
    if (e.failureType() == ReplyFailure.TIMEOUT) {
      return new LiveroomException(ErrorCode.UNAVAILABLE, "the room's owner did not answer in time");
    }
    if (e.failureType() == ReplyFailure.NO_HANDLERS || e.failureCode() == ErrorCode.MOVED_BUS_CODE) {
      return null;
    }
    if (e.failureCode() == EXISTS_BUS_CODE) {
      return new LiveroomException(ErrorCode.BAD_REQUEST, 409, e.getMessage());
    }
    ErrorCode code = ErrorCode.fromBusCode(e.failureCode());
    if (code == null) {
      return new LiveroomException(ErrorCode.INTERNAL, "internal error");
    }
    String text = e.getMessage() == null ? "" : e.getMessage();
    int space = text.indexOf(' ');
    if (text.startsWith("@") && space > 1) {
      try {
        return LiveroomException.retryAfter(code, text.substring(space + 1), Long.parseLong(text.substring(1, space)));
      } catch (NumberFormatException ignored) {
        // not our prefix: keep the text as it is
      }
    }
    return new LiveroomException(code, text);
  }
}
