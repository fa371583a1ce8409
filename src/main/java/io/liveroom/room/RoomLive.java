package io.liveroom.room;

import it.unimi.dsi.fastutil.objects.Object2LongOpenHashMap;
import it.unimi.dsi.fastutil.objects.ObjectArrayList;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The real-time state of a hot room, allocated on first join or send: the sequence counter of
 * the owner's epoch, the items sequenced whose append to Redis is in flight, a bounded history
 * ring of the stored items, the stored items not yet fanned out, the edges with members (as soft
 * state that expires unless refreshed), and idempotency keys. An item reaches history, members
 * and its sender only once {@link #confirm confirmed} in Redis. Plain Java, touched only on the
 * owner's event loop.
 */
public final class RoomLive {
  /** What a join gets: the items to send and whether they are exactly the missed ones. */
  public record Recovery(List<Danmaku> items, boolean recovered) {
  }

  private final long epoch;
  /** The last seq stored in Redis: joins and history see up to it. */
  private long seq;
  /** The last seq handed out; those after {@link #seq} are in {@link #unconfirmed}. */
  private long allocated;
  /** Sequenced items whose append is in flight, in seq order. */
  private ArrayDeque<Danmaku> unconfirmed;
  private final Danmaku[] ring;
  private int head;
  private int size;
  private ObjectArrayList<Danmaku> pending;
  private final RoomMembers members = new RoomMembers();
  /** Idempotency keys: key -> {epoch, seq, accepted at}, oldest first. */
  private LinkedHashMap<String, long[]> keys;
  private Object2LongOpenHashMap<String> lastSend;
  private RoomModeration moderation = new RoomModeration();
  private boolean broken;
  /** When the room last became empty (its creation when it never had members); 0 while it has members. */
  private long emptySince = System.currentTimeMillis();
  private io.liveroom.limit.TokenBucket accepted;
  private int presenceSentOnline;
  private int presenceSentConnections;
  private long presenceSentAt = Long.MIN_VALUE / 2;

  public RoomLive(long epoch, int historySize) {
    this.epoch = epoch;
    this.ring = new Danmaku[historySize];
  }

  public long epoch() {
    return epoch;
  }

  public long seq() {
    return seq;
  }

  /** Distinct users in the room (see {@link RoomMembers#online}). */
  public int online() {
    return members.online();
  }

  public int connections() {
    return members.connections();
  }

  /** Who is in the room; after changing it, call {@link #membersChanged}. */
  public RoomMembers members() {
    return members;
  }

  /** Items of this room sequenced but not yet stored: the room cannot be demoted. */
  public int unwritten() {
    return unconfirmed == null ? 0 : unconfirmed.size();
  }

  /**
   * Puts items of earlier epochs (loaded from Redis) into history in (epoch, seq) order, once
   * each: history written by earlier versions (a retried write-behind) may hold an item twice or out of order.
   */
  public void preload(List<Danmaku> older) {
    List<Danmaku> sorted = new ArrayList<>(older);
    sorted.sort(java.util.Comparator.comparingLong(Danmaku::epoch).thenComparingLong(Danmaku::seq));
    Danmaku last = null;
    for (Danmaku d : sorted) {
      if (last == null || d.epoch() != last.epoch() || d.seq() != last.seq()) {
        append(d);
      }
      last = d;
    }
  }

  /** Sequences a new item in this epoch; it waits for its append to Redis before anyone sees it. */
  public Danmaku sequence(String userId, String userName, String text, String color, String mode, long progress,
                          long now, int priority) {
    Danmaku d = new Danmaku(epoch, ++allocated, userId, userName, text, color, mode, progress, now, priority);
    if (unconfirmed == null) {
      unconfirmed = new ArrayDeque<>(4);
    }
    unconfirmed.add(d);
    return d;
  }

  /**
   * The oldest unconfirmed item is in Redis: it joins history and the pending fan-out batch.
   * Items are confirmed in seq order; false (nothing changes) when {@code d} is not the oldest.
   */
  public boolean confirm(Danmaku d) {
    if (unconfirmed == null || unconfirmed.peekFirst() != d) {
      return false;
    }
    unconfirmed.poll();
    seq = d.seq();
    append(d);
    if (pending == null) {
      pending = new ObjectArrayList<>(4);
    }
    pending.add(d);
    return true;
  }

  /** The unconfirmed item with this seq, or null (stored already, or never sequenced). */
  public Danmaku unconfirmed(long itemSeq) {
    if (unconfirmed != null) {
      for (Danmaku d : unconfirmed) {
        if (d.seq() == itemSeq) {
          return d;
        }
      }
    }
    return null;
  }

  /**
   * An append failed: the unconfirmed items will never be stored by this owner, and since Redis
   * may hold some of them, this epoch takes no more sends ({@link #broken}); reads go on.
   */
  public void abandon() {
    unconfirmed = null;
    broken = true;
  }

  /** Whether an append of this epoch failed: the next send loads the room again, with a new epoch. */
  public boolean broken() {
    return broken;
  }

  /** The items sequenced since the last call, in seq order; null when there are none. */
  public List<Danmaku> drainPending() {
    List<Danmaku> p = pending;
    pending = null;
    return p;
  }

  public boolean hasPending() {
    return pending != null;
  }

  /**
   * Recovery for a join: with {@code since} in this epoch and its successor still in history,
   * exactly the items after it; otherwise the latest {@code latest} items.
   */
  public Recovery recover(boolean hasSince, long sinceEpoch, long sinceSeq, int latest) {
    if (hasSince && sinceEpoch == epoch && sinceSeq <= seq && sinceSeq >= 0) {
      long oldest = oldestSeqOfEpoch();
      if (sinceSeq == seq || (oldest > 0 && sinceSeq >= oldest - 1)) {
        List<Danmaku> out = new ArrayList<>((int) (seq - sinceSeq));
        forEachNewest(Integer.MAX_VALUE, d -> {
          if (d.epoch() == epoch && d.seq() > sinceSeq) {
            out.add(d);
          }
        });
        return new Recovery(out, true);
      }
    }
    List<Danmaku> out = new ArrayList<>(Math.min(latest, size));
    forEachNewest(latest, out::add);
    return new Recovery(out, false);
  }

  /** The {epoch, seq} a send with this key got, or null; keys live {@code ttlMs}. */
  public long[] keyed(String key, long now, long ttlMs) {
    if (keys == null) {
      return null;
    }
    expireKeys(now, ttlMs);
    long[] v = keys.get(key);
    return v == null ? null : new long[] {v[0], v[1]};
  }

  /**
   * Remembers a send's key (also one loaded from Redis, of an earlier epoch), keeping at most
   * {@code max} keys (the oldest go first).
   */
  public void rememberKey(String key, long keyEpoch, long keySeq, long at, int max) {
    if (keys == null) {
      keys = new LinkedHashMap<>();
    }
    keys.put(key, new long[] {keyEpoch, keySeq, at});
    while (keys.size() > max) {
      Iterator<String> it = keys.keySet().iterator();
      it.next();
      it.remove();
    }
  }

  public RoomModeration moderation() {
    return moderation;
  }

  public void moderation(RoomModeration m) {
    moderation = m;
  }

  /** Removes an item from history (a moderator deleted it); false when it is not there. */
  public boolean delete(long itemEpoch, long itemSeq) {
    for (int i = 0; i < size; i++) {
      int at = (head + i) % ring.length;
      Danmaku d = ring[at];
      if (d.epoch() == itemEpoch && d.seq() == itemSeq) {
        for (int j = i; j < size - 1; j++) {
          ring[(head + j) % ring.length] = ring[(head + j + 1) % ring.length];
        }
        ring[(head + size - 1) % ring.length] = null;
        size--;
        return true;
      }
    }
    return false;
  }

  /** The item {@code (itemEpoch, itemSeq)} in history (of any epoch), or null. */
  public Danmaku find(long itemEpoch, long itemSeq) {
    for (int i = size - 1; i >= 0; i--) {
      Danmaku d = ring[(head + i) % ring.length];
      if (d.epoch() == itemEpoch && d.seq() == itemSeq) {
        return d;
      }
    }
    return null;
  }

  /** Milliseconds until {@code userId} may send again in slow mode, 0 when now. */
  public long slowModeWait(String userId, long intervalMs, long now) {
    if (lastSend == null) {
      return 0;
    }
    long last = lastSend.getLong(userId);
    return last == 0 ? 0 : Math.max(0, last + intervalMs - now);
  }

  /** Records a send for slow mode; entries older than the interval are dropped now and then. */
  public void sentAt(String userId, long now, long intervalMs) {
    if (lastSend == null) {
      lastSend = new Object2LongOpenHashMap<>(4);
    }
    lastSend.put(userId, now);
    if (lastSend.size() > 1024) {
      lastSend.values().removeIf(t -> t < now - intervalMs);
    }
  }

  /** The room ended: no edge has members in it any more. */
  public void clearMembers() {
    members.clear();
    emptySince = System.currentTimeMillis();
  }

  /** After a change of {@link #members}: keeps since when the room has been empty. */
  public void membersChanged(long now) {
    if (members.connections() > 0) {
      emptySince = 0;
    } else if (emptySince == 0) {
      emptySince = now;
    }
  }

  /** Since when the room has had no members, 0 while it has some. */
  public long emptySince() {
    return emptySince;
  }

  /** Forgets edges not heard from since {@code before} (a crashed edge); returns how many. */
  public int expireEdges(long before) {
    int removed = members.expire(before);
    if (removed > 0) {
      membersChanged(before);
    }
    return removed;
  }

  /** The edge instances with members, as {@code <nodeId>/<instance>}. */
  public Iterable<String> edges() {
    return members.edges();
  }

  public boolean hasMembers() {
    return members.connections() > 0;
  }

  /**
   * The room's message cap: 0 when an item may be accepted, else milliseconds to wait. Priority-1
   * items are never refused (they take a token when there is one).
   */
  public long admit(int priority, double ratePerSec, double burst, long now) {
    if (accepted == null) {
      accepted = new io.liveroom.limit.TokenBucket(ratePerSec, burst, now);
    }
    long wait = accepted.tryTake(now);
    return priority > 0 ? 0 : wait;
  }

  /** Whether the online or connection count differs from the last one pushed to members. */
  public boolean presenceChanged() {
    return online() != presenceSentOnline || connections() != presenceSentConnections;
  }

  /** Whether a presence push may go out now (at most one per {@code minIntervalMs}). */
  public boolean presenceDue(long now, long minIntervalMs) {
    return now - presenceSentAt >= minIntervalMs;
  }

  public void presenceSent(long now) {
    presenceSentOnline = online();
    presenceSentConnections = connections();
    presenceSentAt = now;
  }

  public int historySize() {
    return size;
  }

  private long oldestSeqOfEpoch() {
    for (int i = 0; i < size; i++) {
      Danmaku d = ring[(head + i) % ring.length];
      if (d.epoch() == epoch) {
        return d.seq();
      }
    }
    return 0;
  }

  /** Visits up to {@code n} newest items, oldest first. */
  private void forEachNewest(int n, java.util.function.Consumer<Danmaku> visit) {
    int count = Math.min(n, size);
    for (int i = size - count; i < size; i++) {
      visit.accept(ring[(head + i) % ring.length]);
    }
  }

  private void append(Danmaku d) {
    if (ring.length == 0) {
      return;
    }
    if (size < ring.length) {
      ring[(head + size) % ring.length] = d;
      size++;
    } else {
      ring[head] = d;
      head = (head + 1) % ring.length;
    }
  }

  private void expireKeys(long now, long ttlMs) {
    for (Iterator<long[]> it = keys.values().iterator(); it.hasNext(); ) {
      if (it.next()[2] < now - ttlMs) {
        it.remove();
      } else {
        break;
      }
    }
  }
}
