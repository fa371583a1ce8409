package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomFields;
import java.util.Map;

/**
 * A moderation action checked and ready to be written: the field of the room's moderation hash to
 * {@code set} or {@code del} ({@code none} for kick, slowmode, pin and unpin, which store no
 * field there), the audit entry, the settings patch of a {@code slowmode}, the item a
 * {@code delete} or {@code pin} is about ({@code item}, with its epoch and seq), and what happens to
 * the room's pinned item: {@code pin} sets it to {@code item}; {@code unpin} clears it (an unpin,
 * or a delete of the pinned item). The verticle writes it to Redis (fenced by epoch), then hands
 * it back to {@link RoomEngine#moderated}.
 */
public record ModerationChange(
    String action,
    String user,
    long durationSec,
    String op,
    String field,
    String value,
    Map<String, Object> audit,
    RoomFields patch,
    Danmaku item,
    boolean pin,
    boolean unpin) {

  /** The item a delete removes from history and the replay archive, or null. */
  public Danmaku removed() {
    return action.equals("delete") ? item : null;
  }

  /** Whether the room's pinned item changes, so that the room object does. */
  public boolean pinChanges() {
    return pin || unpin;
  }
}
