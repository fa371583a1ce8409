package io.liveroom.engine;

import io.liveroom.room.Room;
import java.util.Arrays;

/**
 * The ceiling on one shard instance's hot rooms, as an approximate LRU that costs no memory per
 * room and no sort. While a sweep cycle visits every hot room (in batches), each room the cap may
 * demote is counted in a histogram of its age ({@link Room#lastActiveAt}, log-linear buckets of
 * about 3%). When the next cycle begins with more hot rooms than {@code cap}, the histogram gives
 * the age above which the oldest {@code hot - lowWater} such rooms lie; that cycle demotes the
 * rooms older than it, and as many of the boundary bucket as are still needed, so the least
 * recently used rooms go first and the count comes down to the low-water mark (5% below the cap,
 * so that a node at its cap does not demote at every cycle). A room used since it was counted is
 * younger than the cut and stays. Plain Java, one event loop.
 */
final class HotCap {
  /** Ages up to 64 ticks (6.4 s) have a bucket each; above, 32 buckets per doubling. */
  private static final int LINEAR = 64;
  private static final int SUB = 32;
  static final int BUCKETS = LINEAR + (31 - 6 + 1) * SUB;
  private static final long TICK_MS = 100;

  private final int cap;
  private final int lowWater;
  private final int[] ages = new int[BUCKETS];
  /** The histogram's reference time: the start of the cycle that counts. */
  private long countFrom;
  /** Demote every demotable room used at or before this. */
  private long allBefore = Long.MIN_VALUE;
  /** ... and up to {@link #some} more used at or before this (the boundary bucket). */
  private long someBefore = Long.MIN_VALUE;
  private int some;
  /** Rooms the counting cycle found held by something else than their age. */
  private int held;
  /** Rooms over the low-water mark that the last plan found held (members, work in flight). */
  private int kept;

  /** {@code cap}: this instance's share of {@code sweeper.maxHotRooms}, 0 for none. */
  HotCap(int cap) {
    this.cap = cap;
    this.lowWater = cap - Math.max(1, cap / 20);
  }

  boolean enabled() {
    return cap > 0;
  }

  int lowWater() {
    return lowWater;
  }

  /**
   * A cycle begins with {@code hot} rooms at {@code now}. With the histogram of a whole previous
   * cycle ({@code counted}) and more than {@code cap} rooms, plans this cycle's demotions; then
   * starts counting afresh.
   */
  void beginCycle(int hot, long now, boolean counted) {
    allBefore = Long.MIN_VALUE;
    someBefore = Long.MIN_VALUE;
    some = 0;
    if (counted) {
      kept = 0;
      if (hot > cap) {
        plan(hot - lowWater);
      }
    }
    Arrays.fill(ages, 0);
    held = 0;
    countFrom = now;
  }

  private void plan(int excess) {
    int older = 0;
    for (int i = BUCKETS - 1; i >= 0; i--) {
      if (older + ages[i] >= excess) {
        allBefore = i == BUCKETS - 1 ? Long.MIN_VALUE : countFrom - lowerTicks(i + 1) * TICK_MS;
        someBefore = countFrom - lowerTicks(i) * TICK_MS;
        some = excess - older;
        return;
      }
      older += ages[i];
    }
    // fewer demotable rooms than the excess: all of them go; of the rest, the held ones stay and
    // those that arrived after the count are for the next plan
    allBefore = countFrom;
    kept = Math.min(held, excess - older);
  }

  /** Whether this cycle's plan demotes a room that nothing but its age keeps hot. */
  boolean selects(Room r) {
    long at = r.lastActiveAt();
    if (at <= allBefore) {
      return true;
    }
    if (at <= someBefore && some > 0) {
      some--;
      return true;
    }
    return false;
  }

  /** A room that nothing but its age keeps hot stays: it counts for the next plan. */
  void count(Room r) {
    ages[bucket(Math.max(0, (countFrom - r.lastActiveAt()) / TICK_MS))]++;
  }

  /** A room kept hot by more than its age (members, work in flight, an empty-room timeout): for {@link #kept}. */
  void hold() {
    held++;
  }

  /** Rooms over the low-water mark that the last plan could not demote: they had members or were in use. */
  int kept() {
    return kept;
  }

  static int bucket(long ticks) {
    if (ticks < LINEAR) {
      return (int) ticks;
    }
    int e = 63 - Long.numberOfLeadingZeros(Math.min(ticks, Integer.MAX_VALUE));
    return LINEAR + (e - 6) * SUB + (int) ((ticks >>> (e - 5)) & (SUB - 1));
  }

  /** The smallest age, in ticks, of bucket {@code i}. */
  static long lowerTicks(int i) {
    if (i < LINEAR) {
      return i;
    }
    int e = (i - LINEAR) / SUB + 6;
    return (long) (SUB + (i - LINEAR) % SUB) << (e - 5);
  }
}
