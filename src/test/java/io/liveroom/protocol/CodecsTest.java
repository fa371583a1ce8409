package io.liveroom.protocol;

import io.liveroom.error.ErrorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.protocol.ShardControl.Drop;
import io.liveroom.protocol.ShardControl.FullRefresh;
import io.liveroom.protocol.ShardControl.PresenceReport;
import io.liveroom.protocol.ShardControl.Sweep;
import io.liveroom.protocol.ShardControl.Swept;
import io.liveroom.protocol.ShardReply.HistoryReply;
import io.liveroom.protocol.ShardReply.JoinReply;
import io.liveroom.protocol.ShardReply.MembersPage;
import io.liveroom.protocol.ShardReply.Position;
import io.liveroom.protocol.ShardReply.Refused;
import io.liveroom.room.Danmaku;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomState;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Round trips of every event-bus codec: one per command, reply and control record, and the bundle. */
class CodecsTest {
  private static final String UNICODE_METADATA =
      "{\"emoji\":\"\ud83c\udf89\ud83d\ude00\",\"zh\":\"\u5f39\u5e55\",\"de\":\"Gr\u00fc\u00dfe\",\"rtl\":\"\u05e9\u05dc\u05d5\u05dd\"}";
  private static final Map<Class<?>, Codecs.RecordCodec<?>> BY_TYPE = new HashMap<>();

  static {
    Codecs.all().forEach(c -> BY_TYPE.put(c.type(), c));
  }

  private static final Member ALICE = new Member("alice", "Alice \ud83c\udf89", "host");
  private static final Danmaku ITEM = new Danmaku(3, 17, "alice", "Alice", "\u5f39\u5e55 hi", "#ff0000", "scroll",
      12_345, 1_700_000_000_000L, 1);
  private static final Danmaku BARE = new Danmaku(2, 1, "bob", null, "x", null, null, -1, 0, 0);
  private static final RoomFields ALL_FIELDS = new RoomFields("Evening \ud83c\udf89 show", "alice", 1234, true, 30,
      UNICODE_METADATA, RoomState.LIVE, "reject", 600);
  private static final RoomData DATA = new RoomData("room-1", "Evening \ud83c\udf89", "alice", RoomState.PAUSED,
      Long.MIN_VALUE, Long.MAX_VALUE, 100_000, true, 3600, UNICODE_METADATA, "off", 7);

  /** One value of every record type, with every field set, and variants with the nullable fields null. */
  static Stream<Object> values() {
    Map<String, EdgeUsers.Summary> counts = new LinkedHashMap<>();
    counts.put("room-1", new EdgeUsers.Summary(3, 1, Long.MIN_VALUE));
    counts.put("\u623f\u95f4", new EdgeUsers.Summary(0, 0, 0));
    return Stream.of(
        new ShardCommand.Create("room-1", ALL_FIELDS),
        new ShardCommand.Create("room-2", RoomFields.EMPTY),
        new ShardCommand.Get("room-1"),
        new ShardCommand.Peek("room-1"),
        new ShardCommand.Update("room-1", new RoomFields(null, null, null, false, 0, null, null)),
        new ShardCommand.End("room-1"),
        new ShardCommand.Join("room-1", "node-a/1", ALICE, true, new Position(3, 99)),
        new ShardCommand.Join("room-1", "node-a/0", new Member("guest-1", "guest", "guest"), false, null),
        new ShardCommand.Send("room-1", "node-a/1", ALICE, "\u5f39\u5e55", "#fff", "top", 5000, "key-1"),
        new ShardCommand.Send("room-1", null, new Member("api", null, "admin"), "hi", null, null, -1, null),
        new ShardCommand.Leave("room-1", "node-b/0", "alice", false),
        new ShardCommand.Leave("room-1", "node-b/0", "guest-1", true),
        new ShardCommand.Refresh("room-1", "node-b/0", List.of(new EdgeUsers.Entry(ALICE, 2),
            new EdgeUsers.Entry(new Member("\u5f20\u4e09", null, "host"), 1)), Integer.MAX_VALUE),
        new ShardCommand.Refresh("room-1", "node-b/0", List.of(), 0),
        new ShardCommand.Members("room-1", null, 50),
        new ShardCommand.Members("room-1", "alice", 500),
        new ShardCommand.History("room-1", -1, 50),
        new ShardCommand.History("room-1", 42, 1),
        new ShardCommand.Moderate("room-1", ALICE, "mute", "bob", -1, 600, "spam \ud83d\ude00"),
        new ShardCommand.Moderate("room-1", ALICE, "delete", null, 17, -1, null),
        new RoomView(DATA, 42, 17, 23, true, "node-\u00e9"),
        RoomView.cold(null),
        new Position(Long.MAX_VALUE, 0),
        new JoinReply(3, 17, new RoomView(DATA, 3, 1, 2, true, "n"), List.of(ITEM, BARE), true),
        new JoinReply(3, 0, RoomView.cold("n"), List.of(), false),
        new HistoryReply(3, 17, List.of(BARE, ITEM), false),
        new MembersPage(List.of(ALICE, new Member("bob", "Bob", "host")), true, 7),
        new MembersPage(List.of(), false, 0),
        new Refused(ErrorCode.SLOW_MODE, 429, "slow mode: one message every 5 s", 4200),
        new Refused(ErrorCode.BAD_REQUEST, 409, "room r already exists", -1),
        Refused.moved("partition 7 is not owned by node-a"),
        new PresenceReport("node-a/1", counts),
        new PresenceReport("node-a/1", Map.of()),
        new FullRefresh(List.of("room-1", "room-2")),
        new Drop(270),
        new Sweep(1_700_000_000_000L, 500, true),
        new Swept(12, false),
        new Bundle(List.of(
            new Bundle.Frame("room-1", 1, Buffer.buffer("{\"push\":\"danmaku\"}"), false, null, 1_763_900_000_123L),
            new Bundle.Frame("room-2", 0, Buffer.buffer("\u00fc"), true, "user-9"))));
  }

  /** Encodes {@code value} after some unrelated bytes, as in a cluster frame, and decodes it from there. */
  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    MessageCodec<T, T> codec = (MessageCodec<T, T>) BY_TYPE.get(value.getClass());
    assertNotNull(codec, () -> "no codec for " + value.getClass());
    Buffer frame = Buffer.buffer().appendBytes(new byte[] {0x7f, 1, 2, 3, 4, 5, 6}).appendString("header");
    int pos = frame.length();
    codec.encodeToWire(frame, value);
    assertEquals(frame.length() - pos - 4, frame.getInt(pos), "length prefix of the body");
    frame.appendBytes(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 0, 0, 9});
    assertSame(value, codec.transform(value), "a local send passes the same instance");
    return codec.decodeFromWire(pos, frame);
  }

  @ParameterizedTest
  @MethodSource("values")
  void everyRecordRoundTrips(Object value) {
    assertEquals(value, roundTrip(value));
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void aRefusalCarriesEveryCodeAndItsRetryAfter(ErrorCode code) {
    Refused r = new Refused(code, code.httpStatus(), "why " + code, 1234);
    Refused back = roundTrip(r);
    assertEquals(r, back);
    assertEquals(1234, back.toException().retryAfterMs());
    assertEquals(code, back.toException().code());
  }

  @Test
  void everyCommandReplyAndControlRecordHasItsOwnCodec() {
    Set<Class<?>> records = new HashSet<>();
    records.addAll(Arrays.asList(ShardCommand.class.getPermittedSubclasses()));
    records.addAll(Arrays.asList(ShardReply.class.getPermittedSubclasses()));
    records.addAll(Arrays.asList(ShardControl.class.getDeclaredClasses()));
    records.add(Bundle.class);
    assertEquals(12, ShardCommand.class.getPermittedSubclasses().length);
    for (Class<?> type : records) {
      assertNotNull(BY_TYPE.get(type), () -> "no codec for " + type.getName());
    }
    assertEquals(records, BY_TYPE.keySet(), "a codec for nothing else");
    Set<String> names = new HashSet<>();
    for (Codecs.RecordCodec<?> c : Codecs.all()) {
      assertTrue(c.name().startsWith("liveroom."), c.name());
      assertTrue(names.add(c.name()), "duplicate codec name " + c.name());
      assertEquals(-1, c.systemCodecID());
    }
    Set<Class<?>> covered = new HashSet<>();
    values().forEach(v -> covered.add(v.getClass()));
    assertEquals(records, covered, "values() has a sample of every record");
  }

  @Test
  void theCodecsRegisterOnAnEventBus() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Codecs.register(vertx.eventBus());
      vertx.eventBus().<ShardCommand.Get>localConsumer("t", m -> m.reply(new Position(1, 2)));
      Position p = vertx.eventBus().<Position>request("t", new ShardCommand.Get("room-1"))
          .await(10, TimeUnit.SECONDS).body();
      assertEquals(new Position(1, 2), p);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void commandsNameTheirOp() {
    assertEquals("JOIN", new ShardCommand.Join("r", "e", ALICE, true, null).op());
    assertEquals("CREATE", new ShardCommand.Create("r", RoomFields.EMPTY).op());
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void httpStatusesAreThoseOfTheProtocol(ErrorCode c) {
    assertTrue(List.of(400, 401, 403, 404, 409, 413, 429, 500, 503).contains(c.httpStatus()), c + " " + c.httpStatus());
  }
}
