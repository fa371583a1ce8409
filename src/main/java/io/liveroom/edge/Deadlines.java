package io.liveroom.edge;

import it.unimi.dsi.fastutil.objects.ObjectArrayList;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Things ordered by the second they are due, one bucket per second: an edge's connections by the
 * second their token expires. A check that finds nothing due looks at the earliest bucket only,
 * and adding or removing one is a lookup among the buckets, so one periodic check per edge
 * instance serves 100,000 connections without a timer each. The caller remembers each one's
 * second, to remove it. Plain Java, used on one event loop.
 */
final class Deadlines<T> {
  private final TreeMap<Long, ObjectOpenHashSet<T>> bySecond = new TreeMap<>();
  private int size;

  /** Adds {@code t}, due at epoch second {@code second}. */
  void add(T t, long second) {
    if (bySecond.computeIfAbsent(second, k -> new ObjectOpenHashSet<>(4)).add(t)) {
      size++;
    }
  }

  /** Removes {@code t}, added for {@code second}; nothing when it is not there. */
  void remove(T t, long second) {
    ObjectOpenHashSet<T> bucket = bySecond.get(second);
    if (bucket != null && bucket.remove(t)) {
      size--;
      if (bucket.isEmpty()) {
        bySecond.remove(second);
      }
    }
  }

  /** Removes and answers everything due at or before epoch second {@code now}, earliest first. */
  List<T> pollDue(long now) {
    if (bySecond.isEmpty() || bySecond.firstKey() > now) {
      return List.of();
    }
    List<T> due = new ObjectArrayList<>();
    while (!bySecond.isEmpty() && bySecond.firstKey() <= now) {
      Map.Entry<Long, ObjectOpenHashSet<T>> first = bySecond.pollFirstEntry();
      due.addAll(first.getValue());
      size -= first.getValue().size();
    }
    return due;
  }

  int size() {
    return size;
  }
}
