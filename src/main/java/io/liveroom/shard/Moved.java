package io.liveroom.shard;

/** This node no longer owns the room; the edge re-resolves and retries. */
final class Moved extends RuntimeException {
  Moved(String message) {
    super(message, null, false, false);
  }
}
