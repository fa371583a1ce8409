package io.liveroom.room;

import it.unimi.dsi.fastutil.Hash;
import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.objects.ObjectOpenCustomHashSet;
import java.util.Collection;
import java.util.List;

/**
 * The hot rooms of one shard instance, by partition: an open-addressing set per partition keyed
 * by the id bytes inside each {@link Room} (no key objects), so a partition handed over leaves in
 * one step. Plain Java; one event loop.
 */
public final class RoomTable {
  private static final Hash.Strategy<Room> BY_ID = new Hash.Strategy<>() {
    @Override
    public int hashCode(Room r) {
      return r == null ? 0 : r.idHash();
    }

    @Override
    public boolean equals(Room a, Room b) {
      return a == b || a != null && b != null && a.idEquals(b);
    }
  };

  private final Int2ObjectOpenHashMap<ObjectOpenCustomHashSet<Room>> byPartition = new Int2ObjectOpenHashMap<>();
  private int size;

  public Room find(int pid, String id) {
    ObjectOpenCustomHashSet<Room> part = byPartition.get(pid);
    return part == null ? null : part.get(Room.probe(id));
  }

  /** Adds the room; false when a room with its id was there (it is replaced). */
  public boolean put(int pid, Room room) {
    ObjectOpenCustomHashSet<Room> part = byPartition.get(pid);
    if (part == null) {
      part = new ObjectOpenCustomHashSet<>(4, BY_ID);
      byPartition.put(pid, part);
    }
    boolean replaced = part.remove(room);
    part.add(room);
    if (!replaced) {
      size++;
    }
    return !replaced;
  }

  public Room remove(int pid, String id) {
    ObjectOpenCustomHashSet<Room> part = byPartition.get(pid);
    if (part == null) {
      return null;
    }
    Room r = part.get(Room.probe(id));
    if (r != null) {
      part.remove(r);
      size--;
      if (part.isEmpty()) {
        byPartition.remove(pid);
      }
    }
    return r;
  }

  /** Removes and returns every room of a partition. */
  public Collection<Room> removePartition(int pid) {
    ObjectOpenCustomHashSet<Room> part = byPartition.remove(pid);
    if (part == null) {
      return List.of();
    }
    size -= part.size();
    return part;
  }

  /** The rooms of a partition, for a scan that may remove through the iterator. */
  public ObjectOpenCustomHashSet<Room> partition(int pid) {
    return byPartition.get(pid);
  }

  /** Drops the partition's set once a scan has emptied it. */
  public void removedDuringScan(int pid, int removed) {
    size -= removed;
    ObjectOpenCustomHashSet<Room> part = byPartition.get(pid);
    if (part != null && part.isEmpty()) {
      byPartition.remove(pid);
    }
  }

  public int[] partitions() {
    return byPartition.keySet().toIntArray();
  }

  public int partitionCount() {
    return byPartition.size();
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  public void clear() {
    byPartition.clear();
    size = 0;
  }
}
