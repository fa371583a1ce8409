package io.liveroom.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-second buckets behind token expiry: due in order, removals, nothing due costs nothing. */
class DeadlinesTest {
  @Test
  void dueThingsComeOutEarliestFirstAndOnlyOnce() {
    Deadlines<String> d = new Deadlines<>();
    d.add("c", 30);
    d.add("a", 10);
    d.add("b", 20);
    d.add("a2", 10);
    assertEquals(4, d.size());
    assertEquals(List.of(), d.pollDue(9), "nothing is due before its second");
    List<String> due = d.pollDue(20);
    assertEquals(Set.of("a", "a2"), new HashSet<>(due.subList(0, 2)));
    assertEquals("b", due.get(2), "a due second includes its own bucket");
    assertEquals(1, d.size());
    assertEquals(List.of(), d.pollDue(20), "polled once");
    assertEquals(List.of("c"), d.pollDue(Long.MAX_VALUE));
    assertEquals(0, d.size());
  }

  @Test
  void aRemovedOrMovedThingIsNotDueAtItsOldSecond() {
    Deadlines<String> d = new Deadlines<>();
    d.add("refreshed", 10);
    d.add("closed", 10);
    d.remove("refreshed", 10);
    d.add("refreshed", 50);
    d.remove("closed", 10);
    d.remove("never-added", 10);
    d.remove("refreshed", 11);
    assertEquals(1, d.size());
    assertEquals(List.of(), d.pollDue(49));
    assertEquals(List.of("refreshed"), d.pollDue(50));
  }

  @Test
  void addingTwiceForOneSecondCountsOnce() {
    Deadlines<String> d = new Deadlines<>();
    d.add("x", 5);
    d.add("x", 5);
    assertEquals(1, d.size());
    assertTrue(d.pollDue(5).contains("x"));
    assertEquals(0, d.size());
  }
}
