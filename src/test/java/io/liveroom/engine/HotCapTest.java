package io.liveroom.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.filter.WordFilter;
import io.liveroom.room.Member;
import io.liveroom.room.Room;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomModeration;
import io.liveroom.room.RoomState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The cap on an instance's hot rooms in plain Java, no event loop, no Redis: over the cap a sweep
 * cycle demotes the least recently used rooms that nothing but their age keeps hot, down to the
 * low-water mark, and never a room with members, items in flight, an empty-room timeout or an
 * operation running.
 */
class HotCapTest {
  /** Later than Room's time origin, so every tick below is distinct. */
  private static final long T0 = System.currentTimeMillis() + 60_000;
  /** Nothing is idle: only the cap demotes. */
  private static final long NEVER_IDLE = T0 - 1000;
  private static final Member ALICE = new Member("alice", "Alice", "viewer");

  private static RoomEngine engine(int cap) {
    return new RoomEngine(new EngineSettings(10, 5, 60_000, 3, 1000, 1000, 3600, 5000, 1000, 1000, cap), "node-a",
        () -> new WordFilter(List.of()));
  }

  private static RoomData data(String id, RoomState state, int emptyTimeoutSec) {
    return new RoomData(id, "Show " + id, "owner-1", state, T0, T0, 100, true, 0, "{}", "mask", emptyTimeoutSec);
  }

  /** {@code n} rooms r0..r(n-1), r{i} last used at {@code T0 + i * stepMs}, spread over 16 partitions. */
  private static List<Room> rooms(RoomEngine e, int n, long stepMs) {
    List<Room> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Room r = new Room(data("r" + i, RoomState.CREATED, 0), 1, T0 + i * stepMs);
      assertTrue(e.put(i % 16, r));
      out.add(r);
    }
    return out;
  }

  /** A whole sweep cycle at {@code now}, in batches of {@code batch}; returns the rooms demoted by the cap. */
  private static int cycle(RoomEngine e, long now, int batch, Predicate<String> busy) {
    int capped = 0;
    boolean first = true;
    SweepResult r;
    do {
      r = e.sweep(NEVER_IDLE, batch, first, busy, true, now);
      assertEquals(0, r.idle(), "nothing is idle");
      capped += r.capped();
      first = false;
    } while (r.more());
    return capped;
  }

  private static boolean hot(RoomEngine e, int i) {
    return e.find(i % 16, "r" + i) != null;
  }

  @Test
  void bucketsCoverEveryAgeInOrderWithinThreePercent() {
    int last = -1;
    for (long t = 0; t < 1L << 31; t = t < 200 ? t + 1 : t + t / 97) {
      int b = HotCap.bucket(t);
      assertTrue(b >= last && b < HotCap.BUCKETS, "bucket of " + t);
      last = b;
      long lo = HotCap.lowerTicks(b);
      long hi = HotCap.lowerTicks(b + 1);
      assertTrue(lo <= t && t < hi, t + " in [" + lo + ", " + hi + ")");
      assertTrue(hi - lo <= Math.max(1, lo / 32), "bucket width at " + t);
    }
  }

  @Test
  void overTheCapTheLeastRecentlyUsedGoDownToTheLowWaterMarkExactlyWhereTicksDiffer() {
    RoomEngine e = engine(20); // low-water 19
    rooms(e, 60, 100); // one tick apart: inside the exact (linear) buckets
    long now = T0 + 6_000;
    assertEquals(0, cycle(e, now, 1000, id -> false), "the first cycle only counts");
    assertEquals(60, e.hotCount());
    assertEquals(41, cycle(e, now + 1000, 1000, id -> false));
    assertEquals(19, e.hotCount());
    for (int i = 0; i < 60; i++) {
      assertEquals(i >= 41, hot(e, i), "r" + i + " (older rooms go first)");
    }
    assertEquals(0, e.keptOverCap());
    assertEquals(0, cycle(e, now + 2000, 1000, id -> false), "under the cap nothing more goes");
  }

  @Test
  void olderAgesAreCutWithinTheirBucketsResolutionAcrossBatches() {
    RoomEngine e = engine(100); // low-water 95
    rooms(e, 300, 1000); // ages 100 s to 400 s at the second cycle: buckets of 3.2 to 6.4 s
    long now = T0 + 400_000;
    cycle(e, now, 7, id -> false);
    assertEquals(205, cycle(e, now + 1000, 7, id -> false));
    assertEquals(95, e.hotCount());
    for (int i = 0; i < 300; i++) {
      if (i < 205 - 7) {
        assertNull(e.find(i % 16, "r" + i), "old r" + i + " demoted");
      } else if (i >= 205 + 7) {
        assertNotNull(e.find(i % 16, "r" + i), "recent r" + i + " kept");
      }
    }
  }

  @Test
  void atOrUnderTheCapNothingGoesAndJustOverItGoesDownToTheLowWaterMark() {
    RoomEngine e = engine(100);
    rooms(e, 100, 100);
    cycle(e, T0 + 20_000, 1000, id -> false);
    assertEquals(0, cycle(e, T0 + 21_000, 1000, id -> false), "at the cap");
    e.put(3, new Room(data("late", RoomState.CREATED, 0), 1, T0 + 21_000));
    assertEquals(6, cycle(e, T0 + 22_000, 1000, id -> false), "101 rooms over a cap of 100 go down to 95");
    assertEquals(95, e.hotCount());
    assertNotNull(e.find(3, "late"), "the newest stays");
    assertEquals(0, cycle(e, T0 + 23_000, 1000, id -> false), "no thrashing under the cap");
  }

  @Test
  void aRoomUsedSinceItWasCountedStays() {
    RoomEngine e = engine(10); // low-water 9
    List<Room> rs = rooms(e, 20, 100);
    long now = T0 + 3_000;
    cycle(e, now, 1000, id -> false);
    rs.get(0).touch(now + 500); // the oldest is used again between the count and the cut
    assertEquals(10, cycle(e, now + 1000, 1000, id -> false));
    assertTrue(hot(e, 0), "r0 was used after the count: it is the most recent now");
    assertTrue(!hot(e, 10) && hot(e, 11), "r1..r10 went instead");
    assertEquals(10, e.hotCount(), "one fewer demotion: at the cap, not over it");
    assertEquals(0, cycle(e, now + 2000, 1000, id -> false));
  }

  @Test
  void roomsWithMembersItemsInFlightATimeoutOrAnOperationRunningAreNeverDemotedByTheCap() {
    RoomEngine e = engine(10); // low-water 9
    List<Room> rs = rooms(e, 30, 100);
    // the 25 oldest cannot go: 20 have a member, 2 have a send not yet in Redis, 2 are busy, 1 is timed
    for (int i = 0; i < 20; i++) {
      e.makeLive(rs.get(i), new RoomModeration(), List.of(), List.of(), T0);
      e.join(rs.get(i), "node-a/0", ALICE, true, false, 0, 0, T0 + i * 100);
    }
    for (int i = 20; i < 22; i++) {
      e.makeLive(rs.get(i), new RoomModeration(), List.of(), List.of(), T0);
      e.send(rs.get(i), ALICE, "in flight", null, null, -1, null, T0 + i * 100);
    }
    Room timed = new Room(data("timed", RoomState.LIVE, 60), 1, T0);
    e.put(5, timed);
    Predicate<String> busy = id -> id.equals("r22") || id.equals("r23");
    long now = T0 + 4_000;
    cycle(e, now, 1000, busy);
    int capped = cycle(e, now + 1000, 1000, busy);
    assertEquals(6, capped, "r24..r29: the only rooms the cap may take");
    assertEquals(25, e.hotCount());
    for (int i = 0; i < 24; i++) {
      assertTrue(hot(e, i), "r" + i + " stays");
    }
    assertNotNull(e.find(5, "timed"));
    assertEquals(14, e.keptOverCap(), "31 rooms, low-water 9: 22 to go, 8 the cap could take (r22, r23 turned out busy)");
  }

  @Test
  void roomsThatArriveAfterTheCountGoAtTheNextCycleAndAreNotReportedAsKept() {
    RoomEngine e = engine(10); // low-water 9
    rooms(e, 20, 100);
    long now = T0 + 5_000;
    cycle(e, now, 1000, id -> false);
    for (int i = 20; i < 50; i++) {
      e.put(i % 16, new Room(data("r" + i, RoomState.CREATED, 0), 1, now + (i - 19) * 100));
    }
    assertEquals(20, cycle(e, now + 4000, 1000, id -> false), "the 20 counted go: all older than the newcomers");
    assertEquals(0, e.keptOverCap(), "nothing over the cap is held");
    assertEquals(21, cycle(e, now + 5000, 1000, id -> false));
    assertEquals(9, e.hotCount());
    for (int i = 0; i < 50; i++) {
      assertEquals(i >= 41, hot(e, i), "r" + i);
    }
  }

  @Test
  void withoutACapNothingIsDemotedButIdleRooms() {
    RoomEngine e = engine(0);
    rooms(e, 50, 100);
    cycle(e, T0 + 10_000, 1000, id -> false);
    assertEquals(0, cycle(e, T0 + 11_000, 1000, id -> false));
    assertEquals(50, e.hotCount());
    SweepResult idle = e.sweep(T0 + 2_400, 1000, true, id -> false, true, T0 + 12_000);
    assertEquals(25, idle.idle(), "r0..r24, unused since T0 + 2.4 s");
    assertEquals(0, idle.capped());
  }

  @Test
  void idleRoomsCountAsIdleAndTheCapTakesTheRest() {
    RoomEngine e = engine(20); // low-water 19
    rooms(e, 60, 100);
    long now = T0 + 7_000;
    cycle(e, now, 1000, id -> false);
    SweepResult r = e.sweep(T0 + 900, 1000, true, id -> false, true, now + 1000);
    assertEquals(10, r.idle(), "r0..r9 are idle");
    assertEquals(31, r.capped(), "the cap takes the next oldest down to 19");
    assertEquals(19, e.hotCount());
    assertTrue(hot(e, 41) && !hot(e, 40));
  }
}
