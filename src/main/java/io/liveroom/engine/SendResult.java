package io.liveroom.engine;

import io.liveroom.room.Danmaku;

/**
 * An accepted send: its place {@code (epoch, seq)}; the new item to store, or null when an
 * idempotency key matched an earlier send; and for such a repeat, the earlier send when its
 * append is still in flight (the repeat is acknowledged with it), else null.
 */
public record SendResult(long epoch, long seq, Danmaku item, Danmaku inFlight) {
}
