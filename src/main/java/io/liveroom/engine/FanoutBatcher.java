package io.liveroom.engine;

import io.liveroom.protocol.Pushes;
import io.liveroom.room.Danmaku;
import io.liveroom.room.Room;
import io.liveroom.room.RoomLive;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The owner's fan-out batching: rooms with news are marked dirty as things happen; at each tick a
 * room's items become one {@code danmaku} frame, encoded once, added once for every edge node with
 * members in the room. The verticle publishes what {@link #drain} returns, one bundle per node.
 */
final class FanoutBatcher {
  private final long presenceMinIntervalMs;
  private final ObjectOpenHashSet<Room> dirty = new ObjectOpenHashSet<>();
  private Map<String, List<Push>> outbox = new HashMap<>();

  FanoutBatcher(long presenceMinIntervalMs) {
    this.presenceMinIntervalMs = presenceMinIntervalMs;
  }

  void markDirty(Room room) {
    dirty.add(room);
  }

  void forget(Room room) {
    dirty.remove(room);
  }

  boolean isDirty(Room room) {
    return dirty.contains(room);
  }

  /** Every dirty room's news into the outbox. */
  void tick(long now) {
    if (dirty.isEmpty()) {
      return;
    }
    Room[] rooms = dirty.toArray(new Room[0]);
    dirty.clear();
    for (Room room : rooms) {
      flush(room, now);
    }
  }

  /**
   * A room's items since the last tick, and its online and connection counts when they changed (at most once per
   * {@code presenceMinIntervalMs}: a later change keeps the room dirty), into the outbox now.
   */
  void flush(Room room, long now) {
    RoomLive l = room.live();
    if (l == null) {
      return;
    }
    List<Danmaku> items = l.drainPending();
    List<Push> frames = new ArrayList<>(2);
    if (items != null) {
      int priority = 0;
      for (Danmaku d : items) {
        priority = Math.max(priority, d.priority());
      }
      frames.add(new Push(room.id(), priority, Pushes.danmaku(room.id(), l.epoch(), items).getBytes(), false, null,
          items.get(0).ts()));
    }
    if (l.presenceChanged()) {
      if (l.presenceDue(now, presenceMinIntervalMs)) {
        frames.add(Push.of(room.id(), 0, Pushes.presence(room.id(), l.online(), l.connections()).getBytes()));
        l.presenceSent(now);
      } else {
        dirty.add(room);
      }
    }
    add(l, frames);
  }

  /** Adds frames once for each edge node with members in the room. */
  void add(RoomLive l, List<Push> frames) {
    if (frames.isEmpty()) {
      return;
    }
    Set<String> nodes = new HashSet<>(4);
    for (String edge : l.edges()) {
      nodes.add(nodeOfEdgeKey(edge));
    }
    for (String n : nodes) {
      outbox.computeIfAbsent(n, k -> new ArrayList<>()).addAll(frames);
    }
  }

  /** The frames to publish, per edge node, since the last drain. */
  Map<String, List<Push>> drain() {
    if (outbox.isEmpty()) {
      return Map.of();
    }
    Map<String, List<Push>> out = outbox;
    outbox = new HashMap<>();
    return out;
  }

  /** The node of an edge key {@code <nodeId>/<instance>}. */
  static String nodeOfEdgeKey(String edgeKey) {
    int slash = edgeKey.indexOf('/');
    return slash < 0 ? edgeKey : edgeKey.substring(0, slash);
  }
}
