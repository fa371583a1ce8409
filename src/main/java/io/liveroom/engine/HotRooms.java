package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import io.liveroom.room.Room;
import io.liveroom.room.RoomLive;
import io.liveroom.room.RoomState;
import io.liveroom.room.RoomTable;
import it.unimi.dsi.fastutil.objects.Object2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The hot rooms of one shard instance: the table by partition, the rooms with real-time state
 * (whose edges' presence expires), the live rooms with an empty-room timeout, the pinned items of
 * the rooms that have one, and the sweep's position. Plain Java, one event loop.
 */
final class HotRooms {
  private final RoomTable table = new RoomTable();
  private final HotCap cap;
  /** Rooms with real-time state, for the expiry of edges that stopped refreshing. */
  private final ObjectOpenHashSet<Room> live = new ObjectOpenHashSet<>();
  /** Live rooms with an {@code emptyTimeoutSec}: ended by their owner once empty that long. */
  private final ObjectOpenHashSet<Room> timed = new ObjectOpenHashSet<>();
  /** The pinned item of each room that has one (by identity): few rooms do, so it is kept here, not in every Room. */
  private final Object2ObjectOpenHashMap<Room, Danmaku> pinned = new Object2ObjectOpenHashMap<>();
  private int sweepCursor;
  /** The current sweep cycle: rooms to visit at most (the hot count when it began) and visited so far. */
  private int cycleBudget;
  private int cycleVisited;

  /** {@code cap}: this instance's share of the node's cap on hot rooms, 0 for none. */
  HotRooms(int cap) {
    this.cap = new HotCap(cap);
  }

  Room find(int pid, String id) {
    return table.find(pid, id);
  }

  /** Adds a room; false when one with its id was there already (replaced). */
  boolean put(int pid, Room room) {
    boolean added = table.put(pid, room);
    watchEmpty(room);
    return added;
  }

  Room remove(int pid, String id) {
    Room r = table.remove(pid, id);
    if (r != null) {
      forget(r);
    }
    return r;
  }

  Collection<Room> removePartition(int pid) {
    Collection<Room> part = table.removePartition(pid);
    part.forEach(this::forget);
    return part;
  }

  /** The room's pinned item, or null. */
  Danmaku pinned(Room room) {
    return pinned.get(room);
  }

  /** Sets (or with null clears) the room's pinned item. */
  void pin(Room room, Danmaku item) {
    if (item == null) {
      pinned.remove(room);
    } else {
      pinned.put(room, item);
    }
  }

  void madeLive(Room room) {
    live.add(room);
  }

  Iterable<Room> live() {
    return live;
  }

  /** Tracks or stops tracking the room's empty-room timeout after a change of its state or settings. */
  void watchEmpty(Room room) {
    if (room.state() == RoomState.LIVE && room.emptyTimeoutSec() > 0) {
      timed.add(room);
    } else {
      timed.remove(room);
    }
  }

  /** Live rooms empty for their {@code emptyTimeoutSec}; they stop being watched (watch again on failure). */
  List<Room> emptyTooLong(long now) {
    List<Room> due = new ArrayList<>();
    for (Iterator<Room> it = timed.iterator(); it.hasNext(); ) {
      Room room = it.next();
      RoomLive l = room.live();
      long since = l == null ? room.lastActiveAt() : l.emptySince();
      if (since > 0 && now - since >= room.emptyTimeoutSec() * 1000L) {
        it.remove();
        due.add(room);
      }
    }
    return due;
  }

  int[] partitions() {
    return table.partitions();
  }

  int partitionCount() {
    return table.partitionCount();
  }

  int size() {
    return table.size();
  }

  /** Forgets every room; returns how many there were. */
  int clear() {
    int n = table.size();
    table.clear();
    live.clear();
    timed.clear();
    pinned.clear();
    return n;
  }

  /**
   * Starts a sweep cycle at {@code now}: it visits at most the rooms hot now. When the cycle
   * before visited every room, the cap plans this cycle's demotions from what it counted.
   */
  void beginCycle(long now) {
    cap.beginCycle(table.size(), now, cycleBudget > 0 && cycleVisited >= cycleBudget);
    cycleBudget = table.size();
    cycleVisited = 0;
  }

  /**
   * One batch of a sweep cycle: visits up to {@code max} rooms (whole partitions), continuing where
   * the last batch stopped, and removes those idle since {@code idleBefore}, unless {@code busy}
   * (an operation in flight) or with sends whose append is in flight; while the instance holds more
   * than its cap's low-water mark, also the least recently used rooms that nothing but their age
   * keeps hot ({@link Room#unused}, not busy; see {@link HotCap}). A cycle visits each room at most
   * once. {@code removed} gets the rooms taken out.
   */
  SweepResult sweep(long idleBefore, int max, Predicate<String> busy, List<Room> removed) {
    if (table.isEmpty()) {
      return SweepResult.NONE;
    }
    int limit = Math.min(max, cycleBudget - cycleVisited);
    int[] pids = table.partitions();
    Arrays.sort(pids);
    int deferred = 0;
    int capped = 0;
    int visited = 0;
    int start = sweepCursor;
    boolean capping = cap.enabled();
    for (int i = 0; i < pids.length && visited < limit; i++) {
      int pid = pids[(start + i) % pids.length];
      sweepCursor = (start + i + 1) % pids.length;
      int out = 0;
      // a partition is scanned whole, so rooms behind busy ones in a big partition are reached too
      for (Iterator<Room> it = table.partition(pid).iterator(); it.hasNext(); ) {
        Room r = it.next();
        visited++;
        boolean remove;
        if (r.idleSince(idleBefore)) {
          remove = !busy.test(r.id()) && (r.live() == null || r.live().unwritten() == 0);
          if (!remove) {
            deferred++;
            if (capping) {
              cap.hold();
            }
          }
        } else if (!capping) {
          continue;
        } else if (r.unused()) {
          remove = table.size() - out > cap.lowWater() && cap.selects(r) && !busy.test(r.id());
          if (remove) {
            capped++;
          } else {
            cap.count(r);
          }
        } else {
          cap.hold();
          continue;
        }
        if (remove) {
          it.remove();
          forget(r);
          removed.add(r);
          out++;
        }
      }
      table.removedDuringScan(pid, out);
    }
    cycleVisited += visited;
    return new SweepResult(removed.size() - capped, capped, deferred,
        visited >= limit && cycleVisited < cycleBudget);
  }

  /** Rooms over the cap's low-water mark that the last plan found nothing to demote for. */
  int keptOverCap() {
    return cap.kept();
  }

  private void forget(Room r) {
    live.remove(r);
    timed.remove(r);
    pinned.remove(r);
  }
}
