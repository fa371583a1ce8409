package io.liveroom.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.room.RoomState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The key layout is what data already in Redis was written under: these names must not change
 * (docs/operations.md says what to do with data of the layout before slot groups). Every script is
 * given keys of one Redis Cluster hash slot.
 */
class RoomKeysTest {
  @Test
  void keyNamesAndBuckets() {
    // bucket 97, slot group 97
    assertEquals("lr:{97}:r:a", RoomKeys.roomKey("a"));
    assertEquals("lr:{97}:h:a", RoomKeys.historyKey("a"));
    assertEquals("lr:{97}:p:a", RoomKeys.replayKey("a"));
    assertEquals("lr:{97}:m:a", RoomKeys.moderationKey("a"));
    assertEquals("lr:{97}:a:a", RoomKeys.auditKey("a"));
    assertEquals("lr:{97}:k:a", RoomKeys.idempotencyKey("a"));
    assertEquals("lr:{97}:kz:a", RoomKeys.idempotencyTimesKey("a"));
    assertEquals("lr:{97}:count", RoomKeys.countKey(97));
    assertEquals("lr:{97}:claims", RoomKeys.claimsKey(97));
    assertEquals("lr:{7}:ix:live", RoomKeys.bucketSetKey(RoomState.LIVE, 7));
    assertEquals("lr:{42}:ix:ended:42", RoomKeys.bucketKey(RoomState.ENDED, 42));
    assertEquals("lr:{255}:ix:ended:16383", RoomKeys.bucketKey(RoomState.ENDED, 16383));
    assertEquals(16384, RoomKeys.BUCKETS);
    assertEquals(256, RoomKeys.GROUPS);
    // String.hashCode is specified: every node, and every earlier version, puts an id in the same bucket
    assertEquals(896, RoomKeys.bucketOf("room-0001234"));
    assertEquals(128, RoomKeys.groupOf("room-0001234"));
    assertEquals(117, RoomKeys.bucketOf("page-3"));
    assertEquals(117, RoomKeys.groupOf("page-3"));
  }

  @Test
  void slotsAreRedisClusterKeyslots() {
    // CRC16/XMODEM("123456789") = 0x31C3, the check value the Redis Cluster spec gives
    assertEquals(0x31C3, RoomKeys.slotOf("123456789"));
    // CLUSTER KEYSLOT answers from the Redis documentation
    assertEquals(12182, RoomKeys.slotOf("foo"));
    assertEquals(11058, RoomKeys.slotOf("somekey"));
    // a hash tag: only the text between the first '{' and the next '}' counts, when not empty
    assertEquals(RoomKeys.slotOf("user1000"), RoomKeys.slotOf("{user1000}.following"));
    assertEquals(RoomKeys.slotOf("a{b}c"), RoomKeys.slotOf("b"));
  }

  @Test
  void everyScriptIsGivenKeysOfOneSlot() {
    List<String> ids = new ArrayList<>(List.of("a", "page-3", "room-0001234", "", "{", "}", "{x}", "lr:{97}:r:a",
        "ünïcødé", "a b c"));
    for (int i = 0; i < 3000; i++) {
      ids.add("room-" + i);
    }
    Set<Integer> groups = new HashSet<>();
    for (String id : ids) {
      int slot = RoomKeys.slotOf(RoomKeys.roomKey(id));
      groups.add(RoomKeys.groupOf(id));
      for (RoomState s : RoomState.values()) {
        assertOneSlot(slot, "create " + id, RoomStore.createKeys(id, s));
        for (RoomState t : RoomState.values()) {
          assertOneSlot(slot, "write " + id, RoomStore.writeKeys(id, s, t));
        }
      }
      assertOneSlot(slot, "hydrate " + id, RoomStore.hydrateKeys(id));
      assertOneSlot(slot, "append " + id, HistoryStore.appendKeys(id));
      assertOneSlot(slot, "moderate " + id, ModerationStore.moderateKeys(id));
      assertOneSlot(slot, "forget " + id, RoomIndex.forgetKeys(id));
      // the page script names buckets after its bucket sets: the bucket of this id is in its slot too
      for (RoomState s : RoomState.values()) {
        assertEquals(slot, RoomKeys.slotOf(RoomKeys.bucketKey(s, RoomKeys.bucketOf(id))), "bucket of " + id);
      }
    }
    assertEquals(RoomKeys.GROUPS, groups.size(), "the sample covers every group");
    for (int g = 0; g < RoomKeys.GROUPS; g++) {
      int slot = RoomKeys.slotOf(RoomKeys.countKey(g));
      assertOneSlot(slot, "page " + g, RoomIndex.pageKeys(List.of(RoomState.values()), g));
      for (int b = g; b < RoomKeys.BUCKETS; b += RoomKeys.GROUPS) {
        assertEquals(slot, RoomKeys.slotOf(RoomKeys.bucketKey(RoomState.LIVE, b)), "bucket " + b);
      }
    }
  }

  @Test
  void groupsSpreadOverTheSlots() {
    // 256 tags on 16,384 slots: a 3-master cluster gets about a third each, so no master holds them all
    Set<Integer> slots = new HashSet<>();
    int[] thirds = new int[3];
    for (int g = 0; g < RoomKeys.GROUPS; g++) {
      int slot = RoomKeys.slotOf(RoomKeys.countKey(g));
      slots.add(slot);
      thirds[slot * 3 / RoomKeys.SLOTS]++;
    }
    assertTrue(slots.size() > 250, "distinct slots: " + slots.size());
    for (int n : thirds) {
      assertTrue(n > 50, "groups per third of the slots: " + java.util.Arrays.toString(thirds));
    }
  }

  private static void assertOneSlot(int slot, String what, List<String> keys) {
    for (String k : keys) {
      assertEquals(slot, RoomKeys.slotOf(k), what + ": " + k + " of " + keys);
    }
  }

  @Test
  void aScriptCarriesTheSha1OfItsSource() {
    // sha1("return 1"), as Redis's SCRIPT LOAD answers it
    assertEquals("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new LuaScript("one", "return 1").sha());
  }
}
