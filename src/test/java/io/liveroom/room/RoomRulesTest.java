package io.liveroom.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** The room rules in plain Java: ids, field limits, create, patch, end, states and {@link Room}. */
class RoomRulesTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final RoomRules RULES = new RoomRules(RoomLimits.DEFAULTS);

  private static RoomFields create(String title, String ownerId) {
    return new RoomFields(title, ownerId, null, null, null, null, null);
  }

  private static RoomFields patchState(RoomState state) {
    return new RoomFields(null, null, null, null, null, null, state);
  }

  private static RoomData room(RoomState state) {
    return new RoomData("room-1", "Evening show", "alice", state, T0, T0 + 10, 500, false, 5, "{\"a\":1}");
  }

  /** Asserts that {@code call} throws a LiveroomException of {@code code} whose message names {@code field}. */
  private static LiveroomException assertFails(ErrorCode code, String field, Executable call) {
    LiveroomException e = assertThrows(LiveroomException.class, call);
    assertEquals(code, e.code(), () -> "code of: " + e.getMessage());
    assertEquals(code.httpStatus(), e.httpStatus());
    assertTrue(e.getMessage().contains(field), () -> "message should name " + field + ": " + e.getMessage());
    return e;
  }

  private static String repeat(String s, int n) {
    return s.repeat(n);
  }

  @Nested
  class Ids {
    @ParameterizedTest
    @ValueSource(strings = {
        "a", "Z", "7", "room-1", "r_1", "user.name", "ns:room:42", "a-_.:", "A1b2C3",
        "0123456789012345678901234567890123456789012345678901234567890123"})
    void validIdsAreAccepted(String id) {
      assertTrue(RoomRules.isValidId(id), id);
      assertSame(id, RoomRules.requireId(id, "id"));
    }

    @Test
    void sixtyFourCharactersIsTheLongestValidId() {
      assertTrue(RoomRules.isValidId("a" + repeat("b", 63)));
      assertFalse(RoomRules.isValidId("a" + repeat("b", 64)));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "-room", "_room", ".room", ":room", "room 1", " room", "room ", "room\n", "room\t1",
        "caf\u00e9", "\u623f\u95f4", "\uff11", "room\ud83d\ude00", "room/1", "../etc", "room#1", "room@x",
        "room,1", "a\u0000"})
    void invalidIdsAreRejected(String id) {
      assertFalse(RoomRules.isValidId(id), String.valueOf(id));
      assertFails(ErrorCode.BAD_REQUEST, "ownerId", () -> RoomRules.requireId(id, "ownerId"));
    }

    @Test
    void sixtyFiveCharactersIsTooLong() {
      String id = repeat("a", 65);
      assertFalse(RoomRules.isValidId(id));
      assertFails(ErrorCode.BAD_REQUEST, "id", () -> RoomRules.requireId(id, "id"));
    }

    @Test
    void newRoomIdsAreValidAndUnique() {
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 10_000; i++) {
        String id = RoomRules.newRoomId();
        assertTrue(RoomRules.isValidId(id), id);
        assertTrue(id.startsWith("r-"), id);
        assertEquals(16, id.length(), id);
        assertTrue(seen.add(id), () -> "duplicate id " + id);
      }
    }
  }

  @Nested
  class Create {
    @Test
    void appliesDefaults() {
      RoomData r = RULES.create("room-1", create("Evening show", "alice"), T0);
      assertEquals(new RoomData("room-1", "Evening show", "alice", RoomState.CREATED, T0, T0,
          RoomLimits.DEFAULTS.defaultMaxMembers(), true, 0, "{}"), r);
    }

    @Test
    void defaultMaxMembersComesFromTheLimits() {
      RoomRules rules = new RoomRules(new RoomLimits(10, 100, 7, 50, 60));
      assertEquals(7, rules.create("room-1", create("t", "alice"), T0).maxMembers());
      assertSame(rules.limits(), rules.limits());
      assertEquals(7, rules.limits().defaultMaxMembers());
    }

    @Test
    void keepsEveryGivenField() {
      RoomFields f = new RoomFields("Show", "bob", 42, false, 30, "{\"tags\":[\"x\"]}", null);
      RoomData r = RULES.create("room-2", f, T0);
      assertEquals(new RoomData("room-2", "Show", "bob", RoomState.CREATED, T0, T0, 42, false, 30,
          "{\"tags\":[\"x\"]}"), r);
    }

    @Test
    void guestsCanReadTrueIsKept() {
      RoomFields f = new RoomFields("Show", "bob", null, true, null, null, null);
      assertTrue(RULES.create("room-2", f, T0).guestsCanRead());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "'  Evening show  '|Evening show",
        "'\tshow\n'|show",
        "'a  b'|a  b",
        "'\u3000\u5f39\u5e55\u3000'|\u5f39\u5e55"})
    void trimsTheTitle(String given, String stored) {
      assertEquals(stored, RULES.create("room-1", create(given, "alice"), T0).title());
    }

    @Test
    void titleIsRequired() {
      assertFails(ErrorCode.BAD_REQUEST, "title", () -> RULES.create("room-1", create(null, "alice"), T0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "   ", "\t\n", "\u2003"})
    void blankTitleIsRejected(String title) {
      assertFails(ErrorCode.BAD_REQUEST, "title", () -> RULES.create("room-1", create(title, "alice"), T0));
    }

    @Test
    void titleLengthIsCountedInCodePoints() {
      String emoji = "\ud83c\udf89";
      String hundredEmoji = repeat(emoji, 100);
      assertEquals(200, hundredEmoji.length());
      assertEquals(hundredEmoji, RULES.create("room-1", create(hundredEmoji, "alice"), T0).title());
      assertEquals(100, RULES.create("room-1", create(repeat("x", 100), "alice"), T0).title().length());

      assertFails(ErrorCode.BAD_REQUEST, "title",
          () -> RULES.create("room-1", create(repeat(emoji, 101), "alice"), T0));
      assertFails(ErrorCode.BAD_REQUEST, "title",
          () -> RULES.create("room-1", create(repeat("x", 101), "alice"), T0));
    }

    @Test
    void titleLimitAppliesAfterTrimming() {
      String padded = "  " + repeat("x", 100) + "  ";
      assertEquals(repeat("x", 100), RULES.create("room-1", create(padded, "alice"), T0).title());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "a\nb", "a\rb", "a\tb", "a\u0007b", "a\u007fb", "a\u0085b", "a\u009fb"})
    void controlCharactersInTheTitleAreRejected(String title) {
      assertFails(ErrorCode.BAD_REQUEST, "title", () -> RULES.create("room-1", create(title, "alice"), T0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"evil\u202Egnp.exe", "a\u202Ab", "a\u2066b", "a\u2069b"})
    void bidiOverridesInTheTitleAreRejected(String title) {
      assertFails(ErrorCode.BAD_REQUEST, "title", () -> RULES.create("room-1", create(title, "alice"), T0));
    }

    @Test
    void emojiWithZeroWidthJoinersAreAllowedInTitles() {
      String family = "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67 night";
      assertEquals(family, RULES.create("room-1", create(family, "alice"), T0).title());
    }

    @Test
    void ownerIdIsRequired() {
      assertFails(ErrorCode.BAD_REQUEST, "ownerId", () -> RULES.create("room-1", create("t", null), T0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-alice", "al ice", "al/ice", "\u00e9lise"})
    void ownerIdMustBeAValidId(String ownerId) {
      assertFails(ErrorCode.BAD_REQUEST, "ownerId", () -> RULES.create("room-1", create("t", ownerId), T0));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"-room", "room 1", "room/1"})
    void roomIdMustBeValid(String id) {
      assertFails(ErrorCode.BAD_REQUEST, "id", () -> RULES.create(id, create("t", "alice"), T0));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 100_000, 10_000_000})
    void maxMembersWithinLimitsIsKept(int n) {
      RoomFields f = new RoomFields("t", "alice", n, null, null, null, null);
      assertEquals(n, RULES.create("room-1", f, T0).maxMembers());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE, 10_000_001, Integer.MAX_VALUE})
    void maxMembersOutOfRangeIsRejected(int n) {
      RoomFields f = new RoomFields("t", "alice", n, null, null, null, null);
      assertFails(ErrorCode.BAD_REQUEST, "maxMembers", () -> RULES.create("room-1", f, T0));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3600})
    void slowModeWithinLimitsIsKept(int sec) {
      RoomFields f = new RoomFields("t", "alice", null, null, sec, null, null);
      assertEquals(sec, RULES.create("room-1", f, T0).slowModeSec());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, Integer.MIN_VALUE, 3601, Integer.MAX_VALUE})
    void slowModeOutOfRangeIsRejected(int sec) {
      RoomFields f = new RoomFields("t", "alice", null, null, sec, null, null);
      assertFails(ErrorCode.BAD_REQUEST, "slowModeSec", () -> RULES.create("room-1", f, T0));
    }

    @Test
    void metadataUpToTheLimitInUtf8BytesIsKept() {
      String exact = "{\"k\":\"" + repeat("x", 4096 - 8) + "\"}";
      assertEquals(4096, exact.length());
      RoomFields f = new RoomFields("t", "alice", null, null, null, exact, null);
      assertEquals(exact, RULES.create("room-1", f, T0).metadata());
    }

    @Test
    void metadataOverTheLimitIsTooLarge() {
      String over = "{\"k\":\"" + repeat("x", 4096 - 7) + "\"}";
      RoomFields f = new RoomFields("t", "alice", null, null, null, over, null);
      assertFails(ErrorCode.TOO_LARGE, "metadata", () -> RULES.create("room-1", f, T0));
    }

    @Test
    void metadataIsMeasuredInUtf8BytesNotChars() {
      // 1400 three-byte characters: 1410 chars, but 4210 bytes
      String cjk = "{\"k\":\"" + repeat("\u5f39", 1400) + "\"}";
      assertTrue(cjk.length() < 4096);
      RoomFields f = new RoomFields("t", "alice", null, null, null, cjk, null);
      LiveroomException e = assertFails(ErrorCode.TOO_LARGE, "metadata", () -> RULES.create("room-1", f, T0));
      assertEquals(413, e.httpStatus());
    }

    @ParameterizedTest
    @EnumSource(RoomState.class)
    void stateCannotBeSetOnCreate(RoomState state) {
      RoomFields f = new RoomFields("t", "alice", null, null, null, null, state);
      assertFails(ErrorCode.BAD_REQUEST, "state", () -> RULES.create("room-1", f, T0));
    }
  }

  @Nested
  class Patch {
    static Stream<Arguments> allowedTransitions() {
      return Stream.of(
          Arguments.of(RoomState.CREATED, RoomState.LIVE),
          Arguments.of(RoomState.LIVE, RoomState.PAUSED),
          Arguments.of(RoomState.PAUSED, RoomState.LIVE),
          Arguments.of(RoomState.LIVE, RoomState.LIVE),
          Arguments.of(RoomState.PAUSED, RoomState.PAUSED));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("allowedTransitions")
    void allowedTransitionsChangeOnlyTheState(RoomState from, RoomState to) {
      RoomData before = room(from);
      RoomData after = RULES.patch(before, patchState(to), T0 + 100);
      assertEquals(new RoomData(before.id(), before.title(), before.ownerId(), to, before.createdAt(), T0 + 100,
          before.maxMembers(), before.guestsCanRead(), before.slowModeSec(), before.metadata()), after);
    }

    /** The message names the state field, or both states when the move is one a PATCH may ask for. */
    static Stream<Arguments> forbiddenTransitions() {
      return Stream.of(
          Arguments.of(RoomState.CREATED, RoomState.PAUSED, "a created room cannot become paused"),
          Arguments.of(RoomState.CREATED, RoomState.CREATED, "state may be set to live or paused"),
          Arguments.of(RoomState.LIVE, RoomState.CREATED, "state may be set to live or paused"),
          Arguments.of(RoomState.PAUSED, RoomState.CREATED, "state may be set to live or paused"),
          Arguments.of(RoomState.CREATED, RoomState.ENDED, "state may be set to live or paused"),
          Arguments.of(RoomState.LIVE, RoomState.ENDED, "state may be set to live or paused"),
          Arguments.of(RoomState.PAUSED, RoomState.ENDED, "state may be set to live or paused"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("forbiddenTransitions")
    void forbiddenTransitionsAreBadRequests(RoomState from, RoomState to, String message) {
      RoomData before = room(from);
      assertFails(ErrorCode.BAD_REQUEST, message, () -> RULES.patch(before, patchState(to), T0 + 100));
    }

    @ParameterizedTest
    @EnumSource(value = RoomState.class, names = {"CREATED", "LIVE", "PAUSED"})
    void patchToEndedPointsAtDelete(RoomState from) {
      assertFails(ErrorCode.BAD_REQUEST, "DELETE ends a room",
          () -> RULES.patch(room(from), patchState(RoomState.ENDED), T0));
    }

    static Stream<RoomFields> anyPatch() {
      return Stream.of(
          RoomFields.EMPTY,
          new RoomFields("new title", null, null, null, null, null, null),
          new RoomFields(null, null, 10, null, null, null, null),
          new RoomFields(null, null, null, true, null, null, null),
          new RoomFields(null, null, null, null, 1, null, null),
          new RoomFields(null, null, null, null, null, "{}", null),
          new RoomFields(null, "alice", null, null, null, null, null),
          new RoomFields(null, null, 0, null, null, null, null),
          patchState(RoomState.LIVE),
          patchState(RoomState.PAUSED),
          patchState(RoomState.ENDED),
          patchState(RoomState.CREATED));
    }

    @ParameterizedTest
    @MethodSource("anyPatch")
    void anythingOnAnEndedRoomIsRoomClosed(RoomFields f) {
      RoomData ended = room(RoomState.ENDED);
      LiveroomException e = assertThrows(LiveroomException.class, () -> RULES.patch(ended, f, T0 + 100));
      assertEquals(ErrorCode.ROOM_CLOSED, e.code());
      assertEquals(409, e.httpStatus());
      assertTrue(e.getMessage().contains(ended.id()), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bob", "alice"})
    void ownerIdCannotBeChangedEvenToTheSameValue(String ownerId) {
      RoomFields f = new RoomFields(null, ownerId, null, null, null, null, null);
      assertFails(ErrorCode.BAD_REQUEST, "ownerId", () -> RULES.patch(room(RoomState.LIVE), f, T0));
    }

    @Test
    void emptyPatchPreservesEverythingButUpdatedAt() {
      RoomData before = room(RoomState.LIVE);
      RoomData after = RULES.patch(before, RoomFields.EMPTY, T0 + 500);
      assertEquals(new RoomData(before.id(), before.title(), before.ownerId(), before.state(), before.createdAt(),
          T0 + 500, before.maxMembers(), before.guestsCanRead(), before.slowModeSec(), before.metadata()), after);
    }

    @Test
    void patchChangesOnlyTheGivenFields() {
      RoomData before = room(RoomState.LIVE);
      RoomData title = RULES.patch(before, new RoomFields("  New  ", null, null, null, null, null, null), T0 + 20);
      assertEquals("New", title.title());
      assertEquals(before.maxMembers(), title.maxMembers());
      assertEquals(before.metadata(), title.metadata());

      RoomData all = RULES.patch(before, new RoomFields("Other", null, 9, true, 0, "{\"b\":2}", RoomState.PAUSED),
          T0 + 20);
      assertEquals(new RoomData("room-1", "Other", "alice", RoomState.PAUSED, T0, T0 + 20, 9, true, 0, "{\"b\":2}"),
          all);
    }

    @Test
    void guestsCanReadFalseIsAppliedNotIgnored() {
      RoomData open = RULES.patch(room(RoomState.LIVE), new RoomFields(null, null, null, true, null, null, null), T0);
      assertTrue(open.guestsCanRead());
      RoomData closed = RULES.patch(open, new RoomFields(null, null, null, false, null, null, null), T0);
      assertFalse(closed.guestsCanRead());
    }

    @Test
    void patchValidatesFieldsLikeCreate() {
      RoomData r = room(RoomState.LIVE);
      assertFails(ErrorCode.BAD_REQUEST, "title",
          () -> RULES.patch(r, new RoomFields("  ", null, null, null, null, null, null), T0));
      assertFails(ErrorCode.BAD_REQUEST, "title",
          () -> RULES.patch(r, new RoomFields(repeat("x", 101), null, null, null, null, null, null), T0));
      assertFails(ErrorCode.BAD_REQUEST, "title",
          () -> RULES.patch(r, new RoomFields("a\u0001b", null, null, null, null, null, null), T0));
      assertFails(ErrorCode.BAD_REQUEST, "maxMembers",
          () -> RULES.patch(r, new RoomFields(null, null, 0, null, null, null, null), T0));
      assertFails(ErrorCode.BAD_REQUEST, "maxMembers",
          () -> RULES.patch(r, new RoomFields(null, null, 10_000_001, null, null, null, null), T0));
      assertFails(ErrorCode.BAD_REQUEST, "slowModeSec",
          () -> RULES.patch(r, new RoomFields(null, null, null, null, -1, null, null), T0));
      assertFails(ErrorCode.BAD_REQUEST, "slowModeSec",
          () -> RULES.patch(r, new RoomFields(null, null, null, null, 3601, null, null), T0));
      assertFails(ErrorCode.TOO_LARGE, "metadata",
          () -> RULES.patch(r, new RoomFields(null, null, null, null, null, repeat("x", 4097), null), T0));
    }

    @ParameterizedTest
    @ValueSource(longs = {T0 - 1_000_000, T0, T0 + 9, T0 + 10})
    void updatedAtNeverGoesBackwards(long now) {
      RoomData before = room(RoomState.LIVE);
      RoomData after = RULES.patch(before, RoomFields.EMPTY, now);
      assertEquals(before.updatedAt(), after.updatedAt());
      assertEquals(before.createdAt(), after.createdAt());
    }

    @Test
    void updatedAtMovesForward() {
      assertEquals(T0 + 11, RULES.patch(room(RoomState.LIVE), RoomFields.EMPTY, T0 + 11).updatedAt());
    }
  }

  @Nested
  class End {
    @ParameterizedTest
    @EnumSource(value = RoomState.class, names = {"CREATED", "LIVE", "PAUSED"})
    void endsFromEveryOpenState(RoomState from) {
      RoomData before = room(from);
      RoomData after = RULES.end(before, T0 + 100);
      assertEquals(new RoomData(before.id(), before.title(), before.ownerId(), RoomState.ENDED, before.createdAt(),
          T0 + 100, before.maxMembers(), before.guestsCanRead(), before.slowModeSec(), before.metadata()), after);
    }

    @Test
    void endingKeepsUpdatedAtMonotonic() {
      RoomData before = room(RoomState.LIVE);
      assertEquals(before.updatedAt(), RULES.end(before, T0 - 5).updatedAt());
    }

    @Test
    void endingAnEndedRoomChangesNothing() {
      RoomData ended = room(RoomState.ENDED);
      RoomData again = RULES.end(ended, T0 + 1_000_000);
      assertSame(ended, again);
      assertEquals(ended, again);
    }

    @Test
    void endThenEndIsStable() {
      RoomData once = RULES.end(room(RoomState.LIVE), T0 + 100);
      assertSame(once, RULES.end(once, T0 + 200));
    }
  }

  @Nested
  class States {
    @ParameterizedTest
    @CsvSource({"created,CREATED", "live,LIVE", "paused,PAUSED", "ended,ENDED"})
    void wireNamesRoundTrip(String wire, RoomState state) {
      assertEquals(wire, state.wire());
      assertEquals(state, RoomState.fromWire(wire));
      assertEquals(state, RoomState.fromWire(state.wire()));
      assertEquals(state, RoomState.ofOrdinal(state.ordinal()));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"LIVE", "Live", " live", "live ", "deleted", "open"})
    void unknownWireNamesAreNull(String wire) {
      assertNull(RoomState.fromWire(wire));
    }

    /** Rows: from state; columns: whether it may be patched to created, live, paused, ended. */
    @ParameterizedTest(name = "{0}: {1} {2} {3} {4}")
    @CsvSource({
        "CREATED, true,  true,  false, false",
        "LIVE,    false, true,  true,  false",
        "PAUSED,  false, true,  true,  false",
        "ENDED,   false, false, false, false"})
    void canPatchToTable(RoomState from, boolean created, boolean live, boolean paused, boolean ended) {
      assertEquals(created, from.canPatchTo(RoomState.CREATED), "to created");
      assertEquals(live, from.canPatchTo(RoomState.LIVE), "to live");
      assertEquals(paused, from.canPatchTo(RoomState.PAUSED), "to paused");
      assertEquals(ended, from.canPatchTo(RoomState.ENDED), "to ended");
    }
  }

  @Nested
  class HotRoom {
    /** A clock well after the JVM started, as the shard's clock is. */
    private final long now = System.currentTimeMillis() + 60_000;

    @Test
    void packsAndUnpacksItsData() {
      RoomData d = room(RoomState.LIVE);
      Room r = new Room(d, 7, now);
      assertEquals(d, r.data());
      assertEquals("room-1", r.id());
      assertEquals(7, r.epoch());
      assertEquals(RoomState.LIVE, r.state());
      assertEquals(d.maxMembers(), r.maxMembers());
      assertEquals(d.guestsCanRead(), r.guestsCanRead());
      assertEquals(d.slowModeSec(), r.slowModeSec());
    }

    @Test
    void unicodeTitlesAndMetadataSurvivePacking() {
      RoomData d = new RoomData("r-2", "\u665a\u4e0a\u597d \uD83C\uDF89 night", "host-9", RoomState.CREATED, 1, 2, 10, true, 0,
          "{\"lang\":\"zh\",\"emoji\":\"\uD83D\uDE00\"}");
      assertEquals(d, new Room(d, 1, now).data());
    }

    @Test
    void longTitlesAndBigMetadataSurvivePacking() {
      String title = "\u00e9".repeat(900);
      RoomData d = new RoomData("r-3", title, "host-long-owner-name", RoomState.PAUSED, 1, 2, 10, false, 9,
          "{\"x\":\"" + "y".repeat(4000) + "\"}");
      Room r = new Room(d, 1, now);
      assertEquals(d, r.data());
      assertTrue(r.ownedBy("host-long-owner-name"));
      assertEquals("r-3", r.id());
    }

    @Test
    void knowsItsOwnerWithoutDecoding() {
      Room r = new Room(room(RoomState.LIVE), 1, now);
      assertTrue(r.ownedBy("alice"));
      assertFalse(r.ownedBy("alic"));
      assertFalse(r.ownedBy("alice2"));
      assertFalse(r.ownedBy("bob"));
    }

    @Test
    void settingsAreSharedFlyweights() {
      Room a = new Room(room(RoomState.LIVE), 1, now);
      Room b = new Room(new RoomData("room-2", "other", "bob", RoomState.LIVE, 5, 5, 500, false, 5, "{}"), 1, now);
      assertSame(RoomSettings.of(RoomState.LIVE, 500, false, 5, "mask", 0), RoomSettings.of(RoomState.LIVE, 500, false, 5, "mask", 0));
      assertEquals(a.maxMembers(), b.maxMembers());
    }

    @Test
    void touchRecordsTheLastUseToATenthOfASecond() {
      Room r = new Room(room(RoomState.LIVE), 1, now);
      r.touch(now + 2_000);
      assertTrue(Math.abs(r.lastActiveAt() - (now + 2_000)) < 100, "within one 100 ms tick");
    }

    @Test
    void touchNeverMovesTheLastUseBackwards() {
      Room r = new Room(room(RoomState.LIVE), 1, now + 5_000);
      long before = r.lastActiveAt();
      r.touch(now);
      assertEquals(before, r.lastActiveAt());
    }

    @Test
    void commitReplacesTheDataAndTouches() {
      Room r = new Room(room(RoomState.LIVE), 3, now);
      RoomData next = RULES.patch(r.data(), patchState(RoomState.PAUSED), T0 + 100);
      r.commit(next, now + 3_000);
      assertEquals(next, r.data());
      assertTrue(r.lastActiveAt() > now + 2_800);
      assertEquals(3, r.epoch());
    }

    @Test
    void commitRefusesAnotherRoomsData() {
      RoomData d = room(RoomState.LIVE);
      Room r = new Room(d, 3, now);
      RoomData other = RULES.create("room-2", create("t", "alice"), T0);
      assertThrows(IllegalArgumentException.class, () -> r.commit(other, now + 1000));
      assertEquals(d, r.data());
    }

    @Test
    void idleSinceComparesTheLastUse() {
      Room r = new Room(room(RoomState.LIVE), 1, now);
      assertTrue(r.idleSince(now + 1_000));
      assertFalse(r.idleSince(now - 1_000));
      r.touch(now + 5_000);
      assertFalse(r.idleSince(now + 1_000));
    }

    @Test
    void aRoomWithMembersIsNeverIdle() {
      Room r = new Room(room(RoomState.LIVE), 1, now);
      RoomLive live = new RoomLive(1, 10);
      live.members().join("node/0", new Member("alice", "Alice", "viewer"), now);
      live.membersChanged(now);
      r.live(live);
      assertFalse(r.idleSince(now + 60_000));
    }

    @Test
    void theTableFindsRemovesAndDropsByPartition() {
      RoomTable t = new RoomTable();
      assertTrue(t.put(3, new Room(room(RoomState.LIVE), 1, now)));
      assertTrue(t.put(3, new Room(new RoomData("room-2", "b", "bob", RoomState.LIVE, 1, 1, 5, true, 0, "{}"), 1, now)));
      assertTrue(t.put(9, new Room(new RoomData("room-9", "c", "bob", RoomState.LIVE, 1, 1, 5, true, 0, "{}"), 1, now)));
      assertFalse(t.put(9, new Room(new RoomData("room-9", "c2", "bob", RoomState.LIVE, 1, 1, 5, true, 0, "{}"), 2, now)),
          "a second put of an id replaces the room");
      assertEquals(3, t.size());
      assertEquals("c2", t.find(9, "room-9").data().title());
      assertNull(t.find(3, "room-9"), "a room is found in its own partition only");
      assertEquals("room-2", t.remove(3, "room-2").id());
      assertNull(t.remove(3, "room-2"));
      assertEquals(1, t.removePartition(9).size());
      assertEquals(1, t.size());
      assertEquals(1, t.partitionCount());
      t.clear();
      assertTrue(t.isEmpty());
    }
  }
}
