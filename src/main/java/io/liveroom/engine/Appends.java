package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import io.liveroom.room.Room;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequenced items waiting for their append to Redis, which must succeed before they are
 * acknowledged or fanned out. Bounded ({@code max}: past it sends are refused); taken out in
 * batches, grouped by room in seq order, so that one round trip stores the sends of many rooms.
 * Plain Java: the verticle does the I/O.
 */
public final class Appends {
  /** One item to store, with the sender's idempotency key (user and key) or null. */
  public record Append(Room room, Danmaku item, String key) {
  }

  private final int max;
  private final ArrayDeque<Append> queue = new ArrayDeque<>();

  Appends(int max) {
    this.max = max;
  }

  boolean full() {
    return queue.size() >= max;
  }

  void add(Room room, Danmaku item, String key) {
    queue.add(new Append(room, item, key));
  }

  /** Up to {@code limit} queued appends, per room in seq order (rooms in the order they first came). */
  public Map<Room, List<Append>> take(int limit) {
    Map<Room, List<Append>> out = new LinkedHashMap<>();
    for (int i = 0; i < limit && !queue.isEmpty(); i++) {
      Append a = queue.poll();
      out.computeIfAbsent(a.room(), r -> new ArrayList<>(4)).add(a);
    }
    return out;
  }

  public boolean isEmpty() {
    return queue.isEmpty();
  }

  public int queued() {
    return queue.size();
  }
}
