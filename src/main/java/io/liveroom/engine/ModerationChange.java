package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomFields;
import java.util.Map;

/**
 * A moderation action checked and ready to be written: the field of the room's moderation hash to
 * {@code set} or {@code del} ({@code none} for kick and slowmode, which store no field), the audit
 * entry, the settings patch of a {@code slowmode}, and the history item a {@code delete} removes.
 * The verticle writes it to Redis (fenced by epoch), then hands it back to
 * {@link RoomEngine#moderated}.
 */
public record ModerationChange(
    String action,
    String user,
    long seq,
    long durationSec,
    String op,
    String field,
    String value,
    Map<String, Object> audit,
    RoomFields patch,
    Danmaku removed) {
}
