package io.liveroom.room;

import it.unimi.dsi.fastutil.objects.Object2LongOpenHashMap;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.util.Map;

/**
 * A room's moderation state as its owner holds it: muted users (until when), banned users, mute
 * all, and deleted items. Loaded with the room's real-time state, changed only after the change is
 * written to Redis. Plain Java, one event loop. (The pinned item is kept with the room, not here.)
 *
 * <p>Redis fields ({@code lr:{g}:m:<id>}): {@code mu:<user>} = muted until (ms, 0 = until unmuted),
 * {@code ba:<user>}, {@code ma} (mute all), {@code de:<epoch>:<seq>}. Earlier versions kept a
 * {@code pin} field (a seq) here; it is ignored.
 */
public final class RoomModeration {
  private final Object2LongOpenHashMap<String> mutedUntil = new Object2LongOpenHashMap<>(2);
  private final ObjectOpenHashSet<String> banned = new ObjectOpenHashSet<>(2);
  private final ObjectOpenHashSet<String> deleted = new ObjectOpenHashSet<>(2);
  private boolean muteAll;

  /** From the fields of the room's moderation hash. */
  public static RoomModeration of(Map<String, String> fields) {
    RoomModeration m = new RoomModeration();
    fields.forEach((k, v) -> m.set(k, v));
    return m;
  }

  /** Applies one stored field (as the Redis script wrote it); a null value removes it. */
  public void set(String field, String value) {
    if (field.startsWith("mu:")) {
      if (value == null) {
        mutedUntil.removeLong(field.substring(3));
      } else {
        mutedUntil.put(field.substring(3), Long.parseLong(value));
      }
    } else if (field.startsWith("ba:")) {
      if (value == null) {
        banned.remove(field.substring(3));
      } else {
        banned.add(field.substring(3));
      }
    } else if (field.equals("ma")) {
      muteAll = value != null;
    } else if (field.startsWith("de:")) {
      if (value == null) {
        deleted.remove(field.substring(3));
      } else {
        deleted.add(field.substring(3));
      }
    }
  }

  public boolean banned(String userId) {
    return banned.contains(userId);
  }

  /** Milliseconds the user stays muted (Long.MAX_VALUE: until unmuted), 0 when not muted. */
  public long mutedFor(String userId, long now) {
    long until = mutedUntil.getLong(userId);
    if (mutedUntil.containsKey(userId)) {
      if (until == 0) {
        return Long.MAX_VALUE;
      }
      return Math.max(0, until - now);
    }
    return 0;
  }

  public boolean muteAll() {
    return muteAll;
  }

  public boolean deleted(long epoch, long seq) {
    return !deleted.isEmpty() && deleted.contains(epoch + ":" + seq);
  }
}
