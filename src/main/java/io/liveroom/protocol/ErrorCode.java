package io.liveroom.protocol;

/**
 * The one error-code table of PROTOCOL.md, shared by the shard, the edge and the REST API, plus
 * the internal {@code MOVED}. Each code has the HTTP status the REST API answers with and the
 * failure code it travels with when a bus message is failed ({@code message.fail(busCode, text)});
 * owners answer refusals as {@link ShardReply.Refused} replies instead.
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

  private static final int BUS_BASE = 1000;
  private static final ErrorCode[] VALUES = values();

  private final int httpStatus;

  ErrorCode(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int busCode() {
    return BUS_BASE + ordinal();
  }

  /** The code a bus failure code stands for, or {@code null} when it is not one of ours. */
  public static ErrorCode fromBusCode(int code) {
    int i = code - BUS_BASE;
    return i >= 0 && i < VALUES.length ? VALUES[i] : null;
  }
}
