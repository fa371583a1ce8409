package io.liveroom.room;

/**
 * One sequenced item of a room: danmaku or chat. {@code progress} is milliseconds into the stream
 * the sender was watching, or -1 when not given. {@code epoch} and {@code seq} identify it.
 */
public record Danmaku(
    long epoch,
    long seq,
    String userId,
    String userName,
    String text,
    String color,
    String mode,
    long progress,
    long ts,
    int priority) {
}
