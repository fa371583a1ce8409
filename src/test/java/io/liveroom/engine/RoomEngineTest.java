package io.liveroom.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.filter.WordFilter;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardReply.JoinReply;
import io.liveroom.protocol.ShardReply.MembersPage;
import io.liveroom.room.Danmaku;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.liveroom.room.Room;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomModeration;
import io.liveroom.room.RoomState;
import io.liveroom.room.StoredKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The owner-side room rules in plain Java, no event loop, no Redis: join, send admission,
 * idempotency, recovery, moderation, the per-tick fan-out batching, room changes, sweeps and
 * empty-room timers. Each test drives a {@link RoomEngine} and reads its outcomes.
 */
class RoomEngineTest {
  private static final long NOW = System.currentTimeMillis();
  private static final int PID = 7;
  private static final String EDGE_A1 = "node-a/0";
  private static final String EDGE_A2 = "node-a/1";
  private static final String EDGE_B1 = "node-b/0";
  private static final Member ALICE = new Member("alice", "Alice", "viewer");
  private static final Member BOB = new Member("bob", "Bob", "viewer");
  private static final Member HOST = new Member("hana", "Hana", "host");
  private static final Member OWNER = new Member("owner-1", "Owner", "viewer");
  private static final Member GUEST = new Member("guest-x", "guest", "guest");

  /** historySize 10, joinHistory 5, keys live 60 s (at most 3 per room), cap 5/s with a burst of 5. */
  private static EngineSettings settings(int writeBehindMax) {
    return new EngineSettings(10, 5, 60_000, 3, 5, 5, 3600, 5000, 1000, writeBehindMax, 0);
  }

  private final RoomEngine engine = new RoomEngine(settings(1000), "node-a", () -> new WordFilter(List.of("badword")));

  private static RoomData data(String id, RoomState state, int maxMembers, boolean guests, int slowModeSec,
                               String filter, int emptyTimeoutSec) {
    return new RoomData(id, "Show " + id, "owner-1", state, NOW, NOW, maxMembers, guests, slowModeSec, "{}", filter,
        emptyTimeoutSec);
  }

  private Room hot(RoomData d) {
    Room r = new Room(d, 3, NOW);
    assertTrue(engine.put(PID, r));
    engine.makeLive(r, new RoomModeration(), List.of(), List.of(), NOW);
    return r;
  }

  private Room liveRoom() {
    return hot(data("room-1", RoomState.LIVE, 100, true, 0, "mask", 0));
  }

  private static LiveroomException refused(ErrorCode code, Executable call) {
    LiveroomException e = assertThrows(LiveroomException.class, call);
    assertEquals(code, e.code(), () -> "code of: " + e.getMessage());
    return e;
  }

  /** A send whose append Redis then stores at once. */
  private SendResult send(Room r, Member m, String text) {
    SendResult s = engine.send(r, m, text, "#ffffff", "scroll", -1, null, NOW);
    storeAll(engine);
    return s;
  }

  /** Redis stores every queued append (the rooms of these tests are in partition {@link #PID}). */
  private static void storeAll(RoomEngine e) {
    e.appends().take(Integer.MAX_VALUE).forEach((room, appends) ->
        assertTrue(e.stored(PID, room, appends.stream().map(Appends.Append::item).toList())));
  }

  private static JsonObject json(Push p) {
    return new JsonObject(new String(p.bytes(), StandardCharsets.UTF_8));
  }

  private List<Push> framesFor(String node) {
    Map<String, List<Push>> out = engine.drainFanout();
    return out.getOrDefault(node, List.of());
  }

  /** A moderation action as the edge sends it (epoch and seq -1 when absent), with nothing looked up in Redis. */
  private ModerationChange moderation(Room r, Member actor, String action, String user, long epoch, long seq,
                                      long durationSec, String reason) {
    return engine.moderation(r, new ShardCommand.Moderate(r.id(), actor, action, user, epoch, seq, durationSec,
        reason), null, NOW);
  }

  /** A delete or pin of {@code (epoch, seq)} by the host. */
  private static ShardCommand.Moderate item(Room r, String action, long epoch, long seq) {
    return new ShardCommand.Moderate(r.id(), HOST, action, null, epoch, seq, -1, null);
  }

  @Nested
  class Join {
    @Test
    void aNewMemberIsCountedAndGetsTheLatestHistory() {
      Room r = liveRoom();
      for (int i = 0; i < 7; i++) {
        send(r, HOST, "m" + i);
      }
      JoinReply j = engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      assertEquals(3, j.epoch());
      assertEquals(7, j.seq());
      assertEquals(List.of(3L, 4L, 5L, 6L, 7L), j.items().stream().map(Danmaku::seq).toList(), "joinHistory 5 newest");
      assertFalse(j.recovered());
      assertEquals(1, r.live().online());
    }

    @Test
    void recoveryInsideTheWindowGivesExactlyTheMissedItems() {
      Room r = liveRoom();
      for (int i = 0; i < 8; i++) {
        send(r, HOST, "m" + i);
      }
      JoinReply j = engine.join(r, EDGE_A1, ALICE, true, true, 3, 2, NOW);
      assertTrue(j.recovered());
      assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L), j.items().stream().map(Danmaku::seq).toList());
      JoinReply upToDate = engine.join(r, EDGE_A1, BOB, true, true, 3, 8, NOW);
      assertTrue(upToDate.recovered());
      assertTrue(upToDate.items().isEmpty());
    }

    @Test
    void recoveryBeyondTheWindowOrFromAnotherEpochGivesTheLatest() {
      Room r = liveRoom();
      for (int i = 0; i < 14; i++) {
        send(r, HOST, "m" + i); // history keeps 10: seq 5..14
      }
      JoinReply tooOld = engine.join(r, EDGE_A1, ALICE, true, true, 3, 2, NOW);
      assertFalse(tooOld.recovered());
      assertEquals(List.of(10L, 11L, 12L, 13L, 14L), tooOld.items().stream().map(Danmaku::seq).toList());
      JoinReply otherEpoch = engine.join(r, EDGE_A1, BOB, true, true, 2, 12, NOW);
      assertFalse(otherEpoch.recovered());
      JoinReply ahead = engine.join(r, EDGE_A1, OWNER, true, true, 3, 99, NOW);
      assertFalse(ahead.recovered(), "a since past the room's seq is not a recovery");
    }

    @Test
    void refusals() {
      Room ended = hot(data("ended", RoomState.ENDED, 100, true, 0, "mask", 0));
      refused(ErrorCode.ROOM_CLOSED, () -> engine.join(ended, EDGE_A1, ALICE, true, false, 0, 0, NOW));
      Room members = hot(data("members-only", RoomState.LIVE, 100, false, 0, "mask", 0));
      refused(ErrorCode.FORBIDDEN, () -> engine.join(members, EDGE_A1, GUEST, true, false, 0, 0, NOW));
      engine.join(members, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      Room full = hot(data("full", RoomState.LIVE, 2, true, 0, "mask", 0));
      engine.join(full, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.join(full, EDGE_B1, BOB, true, false, 0, 0, NOW);
      refused(ErrorCode.ROOM_FULL, () -> engine.join(full, EDGE_A1, HOST, true, false, 0, 0, NOW));
      JoinReply again = engine.join(full, EDGE_A1, ALICE, false, false, 0, 0, NOW);
      assertEquals(2, full.live().online(), "a re-join is not a new member");
      assertNotNull(again);
    }

    @Test
    void aBannedUserCannotJoin() {
      Room r = liveRoom();
      ModerationChange ban = moderation(r, HOST, "ban", "alice", -1, -1, -1, "spam");
      engine.moderated(r, ban, NOW);
      refused(ErrorCode.BANNED, () -> engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW));
    }

    @Test
    void leaveAndEdgeExpiryCountMembersOut() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.join(r, EDGE_B1, BOB, true, false, 0, 0, NOW);
      engine.leave(r, EDGE_A1, "alice", false, NOW);
      assertEquals(1, r.live().online());
      engine.refresh(r, EDGE_A1, List.of(new EdgeUsers.Entry(ALICE, 2), new EdgeUsers.Entry(HOST, 1)), 2, NOW);
      assertEquals(5, r.live().online(), "a refresh sets the edge's full list: bob, alice, hana and 2 guests");
      assertEquals(6, r.live().connections());
      engine.refresh(r, EDGE_B1, List.of(new EdgeUsers.Entry(BOB, 1)), 0, NOW + 20_000);
      engine.expireEdges(NOW + 20_000); // EDGE_A1 last heard at NOW, 3 refresh periods (15 s) ago
      assertEquals(1, r.live().online());
      assertEquals(1, r.live().connections());
    }
  }

  @Nested
  class Presence {
    @Test
    void aUserOnTwoEdgesIsOneMemberWithTwoConnections() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.join(r, EDGE_B1, ALICE, true, false, 0, 0, NOW);
      engine.join(r, EDGE_B1, GUEST, true, false, 0, 0, NOW);
      assertEquals(2, r.live().online(), "alice once, and the guest");
      assertEquals(3, r.live().connections());
      engine.tick(NOW);
      engine.drainFanout(); // the first join's presence went out as the second joined
      engine.tick(NOW + 1000);
      Map<String, List<Push>> out = engine.drainFanout();
      JsonObject push = json(out.get("node-b").get(0));
      assertEquals("presence", push.getString("push"));
      assertEquals(2, push.getInteger("online"));
      assertEquals(3, push.getInteger("connections"));
      assertEquals(1, out.get("node-a").size(), "each edge node with members gets the push");
      engine.leave(r, EDGE_A1, "alice", false, NOW + 1010);
      assertEquals(2, r.live().online(), "alice is still in on node-b");
      assertEquals(2, r.live().connections());
      engine.tick(NOW + 2000);
      JsonObject after = json(framesFor("node-b").get(0));
      assertEquals(2, after.getInteger("online"));
      assertEquals(2, after.getInteger("connections"), "a change of connections alone is pushed too");
      engine.leave(r, EDGE_B1, "alice", false, NOW + 2000);
      assertEquals(1, r.live().online());
    }

    @Test
    void aFullRoomLetsAMembersSecondConnectionIn() {
      Room full = hot(data("full", RoomState.LIVE, 2, true, 0, "mask", 0));
      engine.join(full, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.join(full, EDGE_A1, BOB, true, false, 0, 0, NOW);
      engine.join(full, EDGE_B1, ALICE, true, false, 0, 0, NOW);
      refused(ErrorCode.ROOM_FULL, () -> engine.join(full, EDGE_B1, HOST, true, false, 0, 0, NOW));
      refused(ErrorCode.ROOM_FULL, () -> engine.join(full, EDGE_B1, GUEST, true, false, 0, 0, NOW));
      assertEquals(2, full.live().online());
      assertEquals(3, full.live().connections());
    }

    @Test
    void theMemberListPagesByUserIdWithRolesAndCountsGuestsApart() {
      Room r = liveRoom(); // owned by owner-1
      engine.join(r, EDGE_B1, BOB, true, false, 0, 0, NOW);
      engine.join(r, EDGE_A1, OWNER, true, false, 0, 0, NOW);
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.join(r, EDGE_A2, ALICE, true, false, 0, 0, NOW);
      engine.join(r, EDGE_A1, HOST, true, false, 0, 0, NOW);
      engine.join(r, EDGE_A1, GUEST, true, false, 0, 0, NOW);
      MembersPage first = engine.members(r, null, 2);
      assertEquals(List.of("alice", "bob"), first.members().stream().map(Member::userId).toList());
      assertTrue(first.more());
      assertEquals(1, first.guests());
      MembersPage second = engine.members(r, "bob", 2);
      assertEquals(List.of(HOST, new Member("owner-1", "Owner", "host")), second.members(),
          "the room's owner is host in it");
      assertFalse(second.more());
      assertTrue(engine.members(r, "owner-1", 2).members().isEmpty());
    }

    @Test
    void aSummaryThatDiffersAsksForTheFullList() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      EdgeUsers edge = new EdgeUsers();
      edge.add(ALICE);
      assertTrue(engine.presence(r, EDGE_A1, edge.summary(), NOW));
      edge.add(BOB); // a join the owner never got
      assertFalse(engine.presence(r, EDGE_A1, edge.summary(), NOW));
      engine.refresh(r, EDGE_A1, edge.entries(), edge.guests(), NOW);
      assertTrue(engine.presence(r, EDGE_A1, edge.summary(), NOW));
      assertEquals(2, r.live().online());
      assertTrue(engine.presence(r, EDGE_B1, new EdgeUsers().summary(), NOW), "nothing from an edge it does not know");
      assertFalse(engine.presence(r, EDGE_B1, edge.summary(), NOW), "a new owner asks for the list");
    }
  }

  @Nested
  class Send {
    @Test
    void aSendIsSeenOnlyOnceStored() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, BOB, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      SendResult a = engine.send(r, ALICE, "hello", null, null, -1, null, NOW);
      SendResult b = engine.send(r, BOB, "world", null, null, -1, null, NOW);
      assertEquals(1, a.seq());
      assertEquals(2, b.seq());
      assertEquals(3, a.epoch());
      assertEquals("hello", a.item().text());
      assertEquals(0, a.item().priority());
      assertEquals(2, r.live().unwritten());
      assertEquals(0, r.live().seq(), "joins see only what is stored");
      assertTrue(engine.history(r, false, 0, 10).items().isEmpty());
      engine.tick(NOW + 25);
      assertTrue(engine.drainFanout().isEmpty(), "nothing is pushed before it is stored");
      Map<Room, List<Appends.Append>> batch = engine.appends().take(100);
      assertEquals(List.of(1L, 2L), batch.get(r).stream().map(x -> x.item().seq()).toList(), "in seq order");
      assertTrue(engine.stored(PID, r, batch.get(r).stream().map(Appends.Append::item).toList()));
      assertEquals(2, r.live().seq());
      assertEquals(0, r.live().unwritten());
      engine.tick(NOW + 50);
      assertEquals(2, json(framesFor("node-a").get(0)).getJsonArray("items").size());
      assertEquals(1, send(r, HOST, "from the host").item().priority(), "hosts' items are priority 1");
    }

    @Test
    void aFailedAppendBreaksTheEpochAndARefusedOneDropsTheRoom() {
      Room r = liveRoom();
      send(r, ALICE, "stored");
      SendResult lost = engine.send(r, ALICE, "maybe in Redis", null, null, -1, null, NOW);
      engine.appends().take(100);
      assertFalse(engine.notStored(PID, r, false), "an uncertain append keeps the room for reads");
      assertSame(r, engine.find(PID, "room-1"));
      assertTrue(r.live().broken(), "its next send needs a new epoch");
      assertEquals(0, r.live().unwritten());
      assertEquals(1, r.live().seq());
      assertFalse(engine.stored(PID, r, List.of(lost.item())), "an abandoned item is not stored here");
      assertTrue(engine.notStored(PID, r, true), "a refused append drops the room");
      assertNull(engine.find(PID, "room-1"));
      assertFalse(engine.notStored(PID, r, true), "dropped once");
    }

    @Test
    void anEndedRoomRefusesSends() {
      Room r = hot(data("ended", RoomState.ENDED, 100, true, 0, "mask", 0));
      refused(ErrorCode.ROOM_CLOSED, () -> send(r, ALICE, "hi"));
    }

    @Test
    void mutedUntilUnmutedHasNoRetryAfterAndATimedMuteHasOne() {
      Room r = liveRoom();
      engine.moderated(r, moderation(r, HOST, "mute", "alice", -1, -1, 0, null), NOW);
      LiveroomException forever = refused(ErrorCode.MUTED, () -> send(r, ALICE, "hi"));
      assertEquals(-1, forever.retryAfterMs());
      engine.moderated(r, moderation(r, HOST, "mute", "bob", -1, -1, 30, null), NOW);
      LiveroomException timed = refused(ErrorCode.MUTED, () -> engine.send(r, BOB, "hi", null, null, -1, null,
          NOW + 10_000));
      assertEquals(20_000, timed.retryAfterMs());
      assertNotNull(engine.send(r, BOB, "hi", null, null, -1, null, NOW + 30_000).item(), "the mute ran out");
      engine.moderated(r, moderation(r, HOST, "unmute", "alice", -1, -1, -1, null), NOW);
      assertNotNull(send(r, ALICE, "back").item());
    }

    @Test
    void muteAllSilencesMembersButNotHostsOrTheOwner() {
      Room r = liveRoom();
      engine.moderated(r, moderation(r, HOST, "muteall", null, -1, -1, -1, null), NOW);
      refused(ErrorCode.MUTED, () -> send(r, ALICE, "hi"));
      assertNotNull(send(r, HOST, "hosts still talk").item());
      assertNotNull(send(r, OWNER, "so does the owner").item());
      engine.moderated(r, moderation(r, HOST, "unmuteall", null, -1, -1, -1, null), NOW);
      assertNotNull(send(r, ALICE, "hi").item());
    }

    @Test
    void slowModeRefusesWithTheTimeLeftAndSparesHosts() {
      Room r = hot(data("slow", RoomState.LIVE, 100, true, 10, "mask", 0));
      assertNotNull(engine.send(r, ALICE, "one", null, null, -1, null, NOW).item());
      LiveroomException e = refused(ErrorCode.SLOW_MODE, () -> engine.send(r, ALICE, "two", null, null, -1, null,
          NOW + 4_000));
      assertEquals(6_000, e.retryAfterMs());
      assertNotNull(engine.send(r, BOB, "other users are not slowed by alice", null, null, -1, null, NOW + 4_000)
          .item());
      assertNotNull(engine.send(r, ALICE, "three", null, null, -1, null, NOW + 10_000).item());
      assertNotNull(engine.send(r, HOST, "h1", null, null, -1, null, NOW).item());
      assertNotNull(engine.send(r, HOST, "h2", null, null, -1, null, NOW).item());
    }

    @Test
    void theRoomCapRefusesMembersWithRetryAfterButNeverHosts() {
      Room r = liveRoom();
      for (int i = 0; i < 5; i++) {
        assertNotNull(send(r, i % 2 == 0 ? ALICE : BOB, "m" + i).item());
      }
      LiveroomException e = refused(ErrorCode.RATE_LIMITED, () -> send(r, ALICE, "over the cap"));
      assertTrue(e.retryAfterMs() > 0 && e.retryAfterMs() <= 200, () -> "retry after " + e.retryAfterMs());
      assertNotNull(send(r, HOST, "announcement").item(), "priority items are never refused");
      assertNotNull(engine.send(r, ALICE, "later", null, null, -1, null, NOW + 1000).item(), "tokens came back");
    }

    @Test
    void theContentFilterMasksOrRejects() {
      Room masked = liveRoom();
      assertEquals("a ******* b", send(masked, ALICE, "a badword b").item().text());
      Room strict = hot(data("strict", RoomState.LIVE, 100, true, 0, "reject", 0));
      refused(ErrorCode.FORBIDDEN, () -> send(strict, ALICE, "a BadWord b"));
      Room open = hot(data("open", RoomState.LIVE, 100, true, 0, "off", 0));
      assertEquals("a badword b", send(open, ALICE, "a badword b").item().text());
    }

    @Test
    void aRetriedKeyReturnsTheFirstPlaceAndStoresNothing() {
      Room r = liveRoom();
      SendResult first = engine.send(r, ALICE, "once", null, null, -1, "k1", NOW);
      SendResult retry = engine.send(r, ALICE, "once", null, null, -1, "k1", NOW + 1000);
      assertEquals(first.seq(), retry.seq());
      assertEquals(first.epoch(), retry.epoch());
      assertNull(retry.item());
      assertSame(first.item(), retry.inFlight(), "acknowledged with the first send, once that is stored");
      assertEquals(1, engine.appends().queued(), "one append for the two attempts");
      storeAll(engine);
      assertNull(engine.send(r, ALICE, "once", null, null, -1, "k1", NOW + 2000).inFlight(), "stored: at once");
      assertEquals(1, r.live().seq());
      SendResult otherUser = engine.send(r, BOB, "same key, other user", null, null, -1, "k1", NOW + 1000);
      assertEquals(2, otherUser.seq(), "keys are per user");
      SendResult expired = engine.send(r, ALICE, "once", null, null, -1, "k1", NOW + 61_000);
      assertNotNull(expired.item(), "a key lives idempotencyTtlMs");
    }

    @Test
    void aRoomKeepsAtMostMaxKeysPerRoom() {
      Room r = hot(data("keys", RoomState.LIVE, 100, true, 0, "mask", 0));
      for (int i = 0; i < 4; i++) {
        engine.send(r, HOST, "m" + i, null, null, -1, "k" + i, NOW);
      }
      assertNull(engine.send(r, HOST, "m3", null, null, -1, "k3", NOW).item());
      assertNotNull(engine.send(r, HOST, "m0", null, null, -1, "k0", NOW).item(), "the oldest key went first");
    }

    @Test
    void aFullAppendQueueRefusesWithUnavailable() {
      RoomEngine small = new RoomEngine(settings(2), "node-a", () -> WordFilter.EMPTY);
      Room r = new Room(data("room-1", RoomState.LIVE, 100, true, 0, "mask", 0), 1, NOW);
      small.put(PID, r);
      small.makeLive(r, new RoomModeration(), List.of(), List.of(), NOW);
      small.send(r, HOST, "a", null, null, -1, null, NOW);
      small.send(r, HOST, "b", null, null, -1, null, NOW);
      refused(ErrorCode.UNAVAILABLE, () -> small.send(r, HOST, "c", null, null, -1, null, NOW));
      storeAll(small);
      assertNotNull(small.send(r, HOST, "c", null, null, -1, null, NOW).item(), "room again once stored");
    }

    @Test
    void aKeyStoredByAnEarlierOwnerGivesItsPlace() {
      Room r = new Room(data("room-9", RoomState.LIVE, 100, true, 0, "mask", 0), 5, NOW);
      engine.put(PID, r);
      engine.makeLive(r, new RoomModeration(), List.of(), List.of(
          new StoredKey("alice\u0000k-7", 4, 12, NOW - 1000),
          new StoredKey("alice\u0000k-old", 4, 3, NOW - 200_000)), NOW);
      SendResult retry = engine.send(r, ALICE, "again", null, null, -1, "k-7", NOW);
      assertEquals(4, retry.epoch());
      assertEquals(12, retry.seq());
      assertNull(retry.item());
      assertNull(retry.inFlight());
      assertNotNull(engine.send(r, ALICE, "new", null, null, -1, "k-old", NOW).item(), "expired keys are not loaded");
    }
  }

  @Nested
  class Moderation {
    @Test
    void onlyTheOwnerHostsModeratorsAndAdminsModerate() {
      Room r = liveRoom();
      refused(ErrorCode.FORBIDDEN, () -> moderation(r, ALICE, "kick", "bob", -1, -1, -1, null));
      for (Member m : List.of(OWNER, HOST, new Member("m", "M", "moderator"), new Member("a", "A", "admin"))) {
        assertEquals("kick", moderation(r, m, "kick", "bob", -1, -1, -1, null).action());
      }
    }

    @Test
    void eachActionSaysWhatToStore() {
      Room r = liveRoom();
      send(r, ALICE, "item one");
      record Case(String action, String user, long epoch, long seq, long duration, String op, String field,
                  String value) {
      }
      List<Case> cases = List.of(
          new Case("mute", "bob", -1, -1, 60, "set", "mu:bob", Long.toString(NOW + 60_000)),
          new Case("mute", "bob", -1, -1, 0, "set", "mu:bob", "0"),
          new Case("unmute", "bob", -1, -1, -1, "del", "mu:bob", "1"),
          new Case("ban", "bob", -1, -1, -1, "set", "ba:bob", "1"),
          new Case("unban", "bob", -1, -1, -1, "del", "ba:bob", "1"),
          new Case("kick", "bob", -1, -1, -1, "none", null, "1"),
          new Case("muteall", null, -1, -1, -1, "set", "ma", "1"),
          new Case("unmuteall", null, -1, -1, -1, "del", "ma", "1"),
          new Case("delete", null, 3, 1, -1, "set", "de:3:1", "1"),
          new Case("pin", null, 3, 1, -1, "none", null, "1"),
          new Case("unpin", null, -1, -1, -1, "none", null, "1"),
          new Case("slowmode", null, -1, -1, 30, "none", null, "1"));
      for (Case c : cases) {
        ModerationChange m = moderation(r, HOST, c.action(), c.user(), c.epoch(), c.seq(), c.duration(), "why");
        assertEquals(c.op(), m.op(), c.action());
        assertEquals(c.field(), m.field(), c.action());
        assertEquals(c.value(), m.value(), c.action());
        assertEquals(c.action(), m.audit().get("action"));
        assertEquals("hana", m.audit().get("by"));
        assertEquals("why", m.audit().get("reason"));
      }
      assertEquals(30, moderation(r, HOST, "slowmode", null, -1, -1, 30, null).patch().slowModeSec());
      assertEquals(1, moderation(r, HOST, "delete", null, 3, 1, -1, null).removed().seq());
    }

    @Test
    void badActionsAreRefusedWithTheReason() {
      Room r = liveRoom();
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "mute", null, -1, -1, -1, null));
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "ban", "not a valid id!", -1, -1, -1, null));
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "delete", null, -1, 1, -1, null));
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "delete", null, 3, -1, -1, null));
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "pin", null, -1, -1, -1, null));
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "slowmode", null, -1, -1, 3601, null));
      refused(ErrorCode.BAD_REQUEST, () -> moderation(r, HOST, "explode", null, -1, -1, -1, null));
    }

    @Test
    void aDeleteLeavesHistoryAndMembersGetThePushAfterTheItemsBeforeIt() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      send(r, ALICE, "keep");
      send(r, ALICE, "remove me");
      engine.moderated(r, moderation(r, HOST, "delete", null, 3, 2, -1, null), NOW);
      List<Push> frames = framesFor("node-a");
      assertEquals(List.of("danmaku", "moderation"), frames.stream().map(p -> json(p).getString("push")).toList());
      assertEquals(2, json(frames.get(1)).getLong("seq"));
      assertEquals(3, json(frames.get(1)).getLong("epoch"));
      assertEquals(1, frames.get(1).priority());
      assertEquals(List.of(1L), engine.history(r, false, 0, 10).items().stream().map(Danmaku::seq).toList());
    }

    /** Room {@code room-e} in epoch 3, whose history holds items 1..3 of epoch 2 (loaded from Redis) and 1..2 of its own. */
    private Room roomAfterAnEpochChange() {
      Room r = new Room(data("room-e", RoomState.LIVE, 100, true, 0, "mask", 0), 3, NOW);
      assertTrue(engine.put(PID, r));
      List<Danmaku> older = new ArrayList<>();
      for (long seq = 1; seq <= 3; seq++) {
        older.add(new Danmaku(2, seq, "alice", "Alice", "old " + seq, "#ffffff", "scroll", -1, NOW - 1000, 0));
      }
      engine.makeLive(r, new RoomModeration(), older, List.of(), NOW);
      send(r, ALICE, "new 1");
      send(r, ALICE, "new 2");
      return r;
    }

    private List<String> historyTexts(Room r) {
      return engine.history(r, false, 0, 10).items().stream().map(Danmaku::text).toList();
    }

    @Test
    void aDeleteAddressesItsItemByEpochAndSeqNotBySeqAlone() {
      Room r = roomAfterAnEpochChange();
      engine.join(r, EDGE_A1, BOB, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      ModerationChange old = engine.moderation(r, item(r, "delete", 2, 1), null, NOW);
      assertEquals("de:2:1", old.field());
      assertEquals(new Danmaku(2, 1, "alice", "Alice", "old 1", "#ffffff", "scroll", -1, NOW - 1000, 0), old.removed());
      assertEquals(2L, old.audit().get("epoch"));
      engine.moderated(r, old, NOW);
      assertEquals(List.of("old 2", "old 3", "new 1", "new 2"), historyTexts(r), "seq 1 of epoch 3 is not hit");
      JsonObject push = json(framesFor("node-a").get(0));
      assertEquals("delete", push.getString("action"));
      assertEquals(2, push.getLong("epoch"));
      assertEquals(1, push.getLong("seq"));
      assertFalse(push.containsKey("item"));

      engine.moderated(r, engine.moderation(r, item(r, "delete", 3, 1), null, NOW), NOW);
      assertEquals(List.of("old 2", "old 3", "new 2"), historyTexts(r));
      assertTrue(engine.join(r, EDGE_A1, BOB, false, true, 3, 0, NOW).items().stream()
          .noneMatch(d -> d.text().equals("new 1")), "recovery leaves it out too");
    }

    @Test
    void anItemThatIsNotThereIsNotFound() {
      Room r = roomAfterAnEpochChange();
      refused(ErrorCode.NOT_FOUND, () -> engine.moderation(r, item(r, "delete", 3, 3), null, NOW));
      refused(ErrorCode.NOT_FOUND, () -> engine.moderation(r, item(r, "delete", 4, 1), null, NOW));
      refused(ErrorCode.NOT_FOUND, () -> engine.moderation(r, item(r, "pin", 1, 7), null, NOW));
      engine.moderated(r, engine.moderation(r, item(r, "delete", 2, 3), null, NOW), NOW);
      refused(ErrorCode.NOT_FOUND, () -> engine.moderation(r, item(r, "delete", 2, 3), null, NOW));
      Danmaku stillInRedis = new Danmaku(2, 3, "alice", "Alice", "old 3", "#ffffff", "scroll", -1, NOW - 1000, 0);
      // a deleted item is not found, even where Redis history still holds it
      refused(ErrorCode.NOT_FOUND, () -> engine.moderation(r, item(r, "pin", 2, 3), stillInRedis, NOW));
    }

    @Test
    void onlyAnItemNotInMemoryThatCouldBeStoredIsLookedUp() {
      Room r = roomAfterAnEpochChange();
      assertFalse(engine.needsLookup(r, item(r, "delete", 2, 1)), "in memory");
      assertFalse(engine.needsLookup(r, item(r, "delete", 3, 2)), "in memory");
      assertTrue(engine.needsLookup(r, item(r, "delete", 1, 40)), "an earlier epoch, gone from memory");
      assertTrue(engine.needsLookup(r, item(r, "pin", 2, 9)));
      assertFalse(engine.needsLookup(r, item(r, "delete", 3, 3)), "not stored yet");
      assertFalse(engine.needsLookup(r, item(r, "delete", 4, 1)), "a later epoch");
      assertFalse(engine.needsLookup(r, item(r, "delete", -1, 1)));
      assertFalse(engine.needsLookup(r, new ShardCommand.Moderate(r.id(), ALICE, "delete", null, 1, 40, -1, null)),
          "a viewer gets FORBIDDEN without a lookup");
      assertFalse(engine.needsLookup(r, new ShardCommand.Moderate(r.id(), HOST, "kick", "bob", 1, 40, -1, null)));

      Danmaku found = new Danmaku(1, 40, "carol", "Carol", "from the archive", "#ffffff", "scroll", 5000, NOW, 0);
      ModerationChange c = engine.moderation(r, item(r, "delete", 1, 40), found, NOW);
      assertEquals(found, c.removed());
      assertEquals("de:1:40", c.field());
      // an item found under another address is not taken
      refused(ErrorCode.NOT_FOUND, () -> engine.moderation(r, item(r, "delete", 1, 41), found, NOW));
    }

    @Test
    void aPinIsKeptWithTheRoomAndShownInItsViewUntilUnpinned() {
      Room r = roomAfterAnEpochChange();
      engine.join(r, EDGE_A1, BOB, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      ModerationChange pin = engine.moderation(r, item(r, "pin", 2, 2), null, NOW);
      assertTrue(pin.pin());
      assertEquals("none", pin.op());
      assertEquals("old 2", pin.item().text());
      engine.moderated(r, pin, NOW);
      assertEquals(pin.item(), engine.view(r).pinned());
      List<Push> frames = framesFor("node-a");
      assertEquals(List.of("moderation", "room"), frames.stream().map(p -> json(p).getString("push")).toList());
      JsonObject announced = json(frames.get(0));
      assertEquals(2, announced.getLong("epoch"));
      assertEquals(2, announced.getLong("seq"));
      assertEquals("old 2", announced.getJsonObject("item").getString("text"));
      assertEquals(2, announced.getJsonObject("item").getLong("epoch"));
      JsonObject pinned = json(frames.get(1)).getJsonObject("room").getJsonObject("pinned");
      assertEquals(2, pinned.getLong("epoch"));
      assertEquals(2, pinned.getLong("seq"));
      assertEquals("old 2", pinned.getString("text"));
      assertEquals(pin.item(), engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW).room().pinned(),
          "a joiner sees the pin");

      engine.moderated(r, engine.moderation(r, item(r, "unpin", -1, -1), null, NOW), NOW);
      assertNull(engine.view(r).pinned());
      frames = framesFor("node-a");
      JsonObject unpinned = json(frames.get(frames.size() - 2));
      assertEquals("unpin", unpinned.getString("action"));
      assertFalse(unpinned.containsKey("epoch") || unpinned.containsKey("seq") || unpinned.containsKey("item"));
      assertTrue(json(frames.get(frames.size() - 1)).getJsonObject("room").containsKey("pinned"));
      assertNull(json(frames.get(frames.size() - 1)).getJsonObject("room").getValue("pinned"));
    }

    @Test
    void deletingThePinnedItemUnpinsIt() {
      Room r = roomAfterAnEpochChange();
      engine.moderated(r, engine.moderation(r, item(r, "pin", 3, 1), null, NOW), NOW);
      ModerationChange other = engine.moderation(r, item(r, "delete", 2, 1), null, NOW);
      assertFalse(other.unpin(), "same seq, another epoch: the pin stays");
      engine.moderated(r, other, NOW);
      assertEquals(1, engine.view(r).pinned().seq());
      ModerationChange delete = engine.moderation(r, item(r, "delete", 3, 1), null, NOW);
      assertTrue(delete.unpin());
      engine.moderated(r, delete, NOW);
      assertNull(engine.view(r).pinned());
    }

    @Test
    void aPinComesBackWithTheRoomAndLeavesWithIt() {
      Room r = new Room(data("room-p", RoomState.LIVE, 100, true, 0, "mask", 0), 4, NOW);
      Danmaku stored = new Danmaku(3, 9, "alice", "Alice", "pinned earlier", "#ffffff", "top", -1, NOW, 1);
      assertTrue(engine.put(PID, r, stored));
      assertEquals(stored, engine.view(r).pinned(), "a loaded room has its pin before it is live");
      engine.remove(PID, r.id());
      assertNull(engine.pinned(r), "forgotten with the room");
      Room again = new Room(data("room-p", RoomState.LIVE, 100, true, 0, "mask", 0), 5, NOW);
      assertTrue(engine.put(PID, again, null));
      assertNull(engine.view(again).pinned());
    }

    @Test
    void kickAndBanPushToTheTargetUser() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, BOB, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      engine.moderated(r, moderation(r, HOST, "kick", "bob", -1, -1, -1, null), NOW);
      List<Push> frames = framesFor("node-a");
      assertEquals(2, frames.size());
      assertEquals("bob", frames.get(1).targetUser());
      assertEquals("kicked", json(frames.get(1)).getString("reason"));
      engine.moderated(r, moderation(r, HOST, "ban", "bob", -1, -1, -1, null), NOW);
      assertEquals("banned", json(framesFor("node-a").get(1)).getString("reason"));
    }
  }

  @Nested
  class Batching {
    @Test
    void severalSendsInOneTickBecomeOneFramePerEdgeNode() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.join(r, EDGE_A2, BOB, true, false, 0, 0, NOW);
      engine.join(r, EDGE_B1, OWNER, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      send(r, ALICE, "one");
      send(r, BOB, "two");
      send(r, HOST, "three");
      assertTrue(engine.drainFanout().isEmpty(), "nothing goes out before the tick");
      engine.tick(NOW + 25);
      Map<String, List<Push>> out = engine.drainFanout();
      assertEquals(Set.of("node-a", "node-b"), out.keySet(), "one entry per edge node, not per edge instance");
      List<Push> a = out.get("node-a");
      assertEquals(1, a.size(), "one frame for the tick's three items");
      assertSame(a.get(0), out.get("node-b").get(0), "encoded once, shared by every node");
      JsonObject push = json(a.get(0));
      assertEquals("danmaku", push.getString("push"));
      assertEquals(3, push.getLong("epoch"));
      JsonArray items = push.getJsonArray("items");
      assertEquals(List.of("one", "two", "three"), items.stream().map(o -> ((JsonObject) o).getString("text")).toList());
      assertEquals(1, a.get(0).priority(), "the frame's priority is its highest item's");
      assertEquals(NOW, a.get(0).acceptedAt());
      engine.tick(NOW + 50);
      assertTrue(engine.drainFanout().isEmpty(), "a quiet tick publishes nothing");
    }

    @Test
    void presenceIsPushedAtMostOncePerInterval() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.tick(NOW);
      List<Push> first = framesFor("node-a");
      assertEquals(1, first.size());
      assertEquals(1, json(first.get(0)).getInteger("online"));
      engine.join(r, EDGE_A1, BOB, true, false, 0, 0, NOW + 100);
      engine.tick(NOW + 100);
      assertTrue(engine.drainFanout().isEmpty(), "within 1 s of the last presence push");
      engine.tick(NOW + 1000);
      assertEquals(2, json(framesFor("node-a").get(0)).getInteger("online"), "the change waited, it was not lost");
    }

    @Test
    void aNewMembersJoinFlushesTheItemsBeforeIt() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      send(r, ALICE, "before bob");
      engine.join(r, EDGE_B1, BOB, true, false, 0, 0, NOW);
      Map<String, List<Push>> out = engine.drainFanout();
      assertEquals(Set.of("node-a"), out.keySet(), "the item went to the edges that had members then");
      send(r, ALICE, "after bob");
      engine.tick(NOW + 2000);
      out = engine.drainFanout();
      assertEquals(Set.of("node-a", "node-b"), out.keySet());
    }

    @Test
    void aRoomChangeIsPushedAndAnEndClosesTheRoom() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      RoomData renamed = new RoomData("room-1", "Renamed", "owner-1", RoomState.LIVE, NOW, NOW + 1, 100, true, 0, "{}");
      engine.committed(r, renamed, NOW + 1);
      Push room = framesFor("node-a").get(0);
      assertEquals("Renamed", json(room).getJsonObject("room").getString("title"));
      RoomData ended = new RoomData("room-1", "Renamed", "owner-1", RoomState.ENDED, NOW, NOW + 2, 100, true, 0, "{}");
      engine.committed(r, ended, NOW + 2);
      Push closed = framesFor("node-a").get(0);
      assertEquals("closed", json(closed).getString("push"));
      assertTrue(closed.closesRoom());
      assertEquals(0, r.live().online(), "members are out of an ended room");
      assertEquals(RoomState.ENDED, r.state());
    }
  }

  @Nested
  class HotTable {
    @Test
    void sweepDemotesIdleRoomsAndKeepsBusyUnwrittenAndOccupiedOnes() {
      long idleBefore = NOW + 10_000;
      List<Room> rooms = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Room r = new Room(data("r" + i, RoomState.CREATED, 100, true, 0, "mask", 0), 1, NOW);
        engine.put(i, r);
        rooms.add(r);
      }
      engine.makeLive(rooms.get(1), new RoomModeration(), List.of(), List.of(), NOW);
      engine.send(rooms.get(1), HOST, "not in Redis yet", null, null, -1, null, NOW);
      engine.makeLive(rooms.get(2), new RoomModeration(), List.of(), List.of(), NOW);
      engine.join(rooms.get(2), EDGE_A1, ALICE, true, false, 0, 0, NOW); // has a member
      rooms.get(4).touch(idleBefore + 1000); // used since (lastActive has 100 ms ticks)
      SweepResult none = engine.sweep(idleBefore, 100, true, id -> false, false, NOW);
      assertEquals(0, none.demoted(), "never while the store is away");
      SweepResult r = engine.sweep(idleBefore, 100, true, id -> id.equals("r3"), true, NOW);
      assertEquals(1, r.demoted(), "only r0 is idle and free");
      assertEquals(2, r.deferred(), "r1 (unwritten) and r3 (busy)");
      assertFalse(r.more());
      assertEquals(4, engine.hotCount());
      assertNull(engine.find(0, "r0"));
      assertNotNull(engine.find(2, "r2"));
    }

    @Test
    void aCycleVisitsEachRoomOnceInBatches() {
      for (int i = 0; i < 10; i++) {
        engine.put(i, new Room(data("r" + i, RoomState.CREATED, 100, true, 0, "mask", 0), 1, NOW));
      }
      long idleBefore = NOW + 10_000;
      SweepResult first = engine.sweep(idleBefore, 4, true, id -> false, true, NOW);
      assertEquals(4, first.demoted());
      assertTrue(first.more());
      SweepResult second = engine.sweep(idleBefore, 4, false, id -> false, true, NOW);
      assertEquals(4, second.demoted());
      SweepResult third = engine.sweep(idleBefore, 4, false, id -> false, true, NOW);
      assertEquals(2, third.demoted());
      assertFalse(third.more());
      assertEquals(0, engine.hotCount());
    }

    @Test
    void aDroppedPartitionLeavesAtOnceAndItsPendingItemsStillGoOut() {
      Room r = liveRoom();
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.tick(NOW);
      engine.drainFanout();
      send(r, ALICE, "last words");
      engine.put(PID, new Room(data("room-2", RoomState.LIVE, 100, true, 0, "mask", 0), 1, NOW));
      assertEquals(2, engine.dropPartition(PID));
      assertEquals(0, engine.hotCount());
      assertEquals("last words", json(framesFor("node-a").get(0)).getJsonArray("items").getJsonObject(0)
          .getString("text"));
      assertArrayEquals(new int[0], engine.partitions());
    }

    @Test
    void liveRoomsWithAnEmptyTimeoutAreEndedOnceEmptyThatLong() {
      Room r = hot(data("timed", RoomState.LIVE, 100, true, 0, "mask", 60));
      hot(data("untimed", RoomState.LIVE, 100, true, 0, "mask", 0));
      engine.join(r, EDGE_A1, ALICE, true, false, 0, 0, NOW);
      engine.leave(r, EDGE_A1, "alice", false, NOW + 1000);
      assertTrue(engine.emptyTooLong(NOW + 30_000).isEmpty());
      assertEquals(List.of(r), engine.emptyTooLong(NOW + 61_000));
      assertTrue(engine.emptyTooLong(NOW + 62_000).isEmpty(), "handed out once");
      engine.watchEmpty(r);
      assertEquals(List.of(r), engine.emptyTooLong(NOW + 62_000), "watched again after a failed end");
    }
  }
}
