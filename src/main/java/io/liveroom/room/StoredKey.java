package io.liveroom.room;

/** An idempotency key as stored with its send in Redis: the user's key, its place, when it was accepted. */
public record StoredKey(String key, long epoch, long seq, long at) {
}
