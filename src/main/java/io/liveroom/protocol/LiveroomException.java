package io.liveroom.protocol;

/**
 * A failure with a protocol error code, safe to show to a client: the message is ours, never a
 * stack trace. {@code httpStatus} overrides the code's default where PROTOCOL.md says so (409 for
 * an existing room id).
 */
public final class LiveroomException extends RuntimeException {
  private final ErrorCode code;
  private final int httpStatus;

  public LiveroomException(ErrorCode code, String message) {
    this(code, code.httpStatus(), message);
  }

  public LiveroomException(ErrorCode code, int httpStatus, String message) {
    super(message, null, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
  }

  public ErrorCode code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public static LiveroomException badRequest(String message) {
    return new LiveroomException(ErrorCode.BAD_REQUEST, message);
  }
}
