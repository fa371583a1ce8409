package io.liveroom.engine;

import io.liveroom.room.Danmaku;

/**
 * An accepted send: its place {@code (epoch, seq)}, and the new item, or null when an idempotency
 * key matched an earlier send (nothing new to store or push).
 */
public record SendResult(long epoch, long seq, Danmaku item) {
}
