package io.liveroom.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liveroom.room.RoomState;
import org.junit.jupiter.api.Test;

/** The key layout is what data already in Redis was written under: these names must not change. */
class RoomKeysTest {
  @Test
  void keyNamesAndBuckets() {
    assertEquals("lr:r:a", RoomKeys.roomKey("a"));
    assertEquals("lr:h:a", RoomKeys.historyKey("a"));
    assertEquals("lr:p:a", RoomKeys.replayKey("a"));
    assertEquals("lr:m:a", RoomKeys.moderationKey("a"));
    assertEquals("lr:a:a", RoomKeys.auditKey("a"));
    assertEquals("lr:count", RoomKeys.COUNT);
    assertEquals("lr:ix:live", RoomKeys.bucketSetKey(RoomState.LIVE));
    assertEquals("lr:ix:ended:42", RoomKeys.bucketKey(RoomState.ENDED, 42));
    assertEquals(16384, RoomKeys.BUCKETS);
    // String.hashCode is specified: every node, and every earlier version, puts an id in the same bucket
    assertEquals(896, RoomKeys.bucketOf("room-0001234"));
    assertEquals(117, RoomKeys.bucketOf("page-3"));
  }

  @Test
  void aScriptCarriesTheSha1OfItsSource() {
    // sha1("return 1"), as Redis's SCRIPT LOAD answers it
    assertEquals("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new LuaScript("one", "return 1").sha());
  }
}
