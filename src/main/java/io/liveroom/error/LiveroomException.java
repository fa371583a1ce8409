package io.liveroom.error;

/**
 * A failure with a protocol error code, safe to show to a client: the message is ours, never a
 * stack trace. {@code httpStatus} overrides the code's default where PROTOCOL.md says so (409 for
 * an existing room id).
 */
public final class LiveroomException extends RuntimeException {
  private final ErrorCode code;
  private final int httpStatus;
  private final long retryAfterMs;

  public LiveroomException(ErrorCode code, String message) {
    this(code, code.httpStatus(), message);
  }

  public LiveroomException(ErrorCode code, int httpStatus, String message) {
    this(code, httpStatus, message, -1);
  }

  private LiveroomException(ErrorCode code, int httpStatus, String message, long retryAfterMs) {
    this(code, httpStatus, message, retryAfterMs, null);
  }

  private LiveroomException(ErrorCode code, int httpStatus, String message, long retryAfterMs, Throwable cause) {
    super(message, cause, false, false);
    this.code = code;
    this.httpStatus = httpStatus;
    this.retryAfterMs = retryAfterMs;
  }

  /**
   * A failure of a dependency (Redis): the client sees {@code message}; {@code cause} stays on the
   * server, where it tells e.g. a timeout (the write may have happened) from a refused connection.
   */
  public static LiveroomException unavailable(String message, Throwable cause) {
    return new LiveroomException(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.httpStatus(), message, -1, cause);
  }

  /** A refusal the client may retry after {@code retryAfterMs} (RATE_LIMITED, SLOW_MODE, MUTED). */
  public static LiveroomException retryAfter(ErrorCode code, String message, long retryAfterMs) {
    return new LiveroomException(code, code.httpStatus(), message, retryAfterMs);
  }

  /** A failure with every field given, as a {@link ShardReply.Refused} carries it over the bus. */
  public static LiveroomException of(ErrorCode code, int httpStatus, String message, long retryAfterMs) {
    return new LiveroomException(code, httpStatus, message, retryAfterMs);
  }

  /** Milliseconds after which a retry may succeed, or -1 when not applicable. */
  public long retryAfterMs() {
    return retryAfterMs;
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
