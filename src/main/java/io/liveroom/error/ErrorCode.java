package io.liveroom.error;

/**
 * The one error-code table of PROTOCOL.md, shared by the shard, the edge and the REST API, plus
 * the internal {@code MOVED}. Each code has the HTTP status the REST API answers with. Over the
 * event bus a code travels inside a {@link ShardReply.Refused} reply, never as a failure number.
 */
public enum ErrorCode {
  BAD_REQUEST(400),
  UNAUTHORIZED(401),
  FORBIDDEN(403),
  NOT_FOUND(404),
  ROOM_CLOSED(409),
  ROOM_FULL(409),
  RATE_LIMITED(429),
  SLOW_MODE(429),
  MUTED(403),
  BANNED(403),
  TOO_LARGE(413),
  UNAVAILABLE(503),
  INTERNAL(500),
  /** The shard no longer owns the room's partition: the edge re-resolves the owner and retries; never reaches a client. */
  MOVED(503);

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
