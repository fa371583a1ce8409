package io.liveroom.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomState;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Round trips of every event-bus codec, and the error-code table as it travels on the bus. */
class CodecsTest {
  private static final Codecs.RoomCommandCodec COMMANDS = new Codecs.RoomCommandCodec();
  private static final Codecs.RoomViewCodec VIEWS = new Codecs.RoomViewCodec();
  private static final String UNICODE_METADATA =
      "{\"emoji\":\"\ud83c\udf89\ud83d\ude00\",\"zh\":\"\u5f39\u5e55\",\"de\":\"Gr\u00fc\u00dfe\",\"rtl\":\"\u05e9\u05dc\u05d5\u05dd\"}";

  /** Encodes {@code value} after some unrelated bytes, as in a cluster frame, and decodes it from there. */
  private static <T> T roundTrip(MessageCodec<T, T> codec, T value) {
    Buffer frame = Buffer.buffer().appendBytes(new byte[] {0x7f, 1, 2, 3, 4, 5, 6}).appendString("header");
    int pos = frame.length();
    codec.encodeToWire(frame, value);
    int encodedLength = frame.length() - pos;
    assertEquals(encodedLength - 4, frame.getInt(pos), "length prefix of the body");
    frame.appendBytes(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 0, 0, 9});
    return codec.decodeFromWire(pos, frame);
  }

  /** The same, at offset 0 of a buffer holding only the encoded value. */
  private static <T> T roundTripAtZero(MessageCodec<T, T> codec, T value) {
    Buffer b = Buffer.buffer();
    codec.encodeToWire(b, value);
    return codec.decodeFromWire(0, b);
  }

  private static RoomFields allFields(RoomState state) {
    return new RoomFields("Evening \ud83c\udf89 show", "alice", 1234, true, 30, UNICODE_METADATA, state);
  }

  private static RoomData fullData(RoomState state) {
    return new RoomData("room-1", "Evening \ud83c\udf89 \u5f39\u5e55", "alice", state, 1_700_000_000_000L,
        1_700_000_123_456L, 100_000, true, 3600, UNICODE_METADATA);
  }

  @Nested
  class RoomCommands {
    @ParameterizedTest
    @EnumSource(RoomCommand.Op.class)
    void everyOpRoundTripsWithEmptyFields(RoomCommand.Op op) {
      RoomCommand c = RoomCommand.of(op, "room-1");
      assertEquals(c, roundTrip(COMMANDS, c));
      assertEquals(c, roundTripAtZero(COMMANDS, c));
      assertEquals(RoomFields.EMPTY, roundTrip(COMMANDS, c).fields());
    }

    @ParameterizedTest
    @EnumSource(RoomState.class)
    void allFieldsSetRoundTripWithEveryState(RoomState state) {
      RoomCommand c = new RoomCommand(RoomCommand.Op.UPDATE, "room-1", allFields(state));
      RoomCommand back = roundTrip(COMMANDS, c);
      assertEquals(c, back);
      assertEquals(state, back.fields().state());
    }

    @ParameterizedTest
    @EnumSource(RoomCommand.Op.class)
    void everyOpRoundTripsWithAllFields(RoomCommand.Op op) {
      RoomCommand c = new RoomCommand(op, "ns:room_1.x-2", allFields(RoomState.PAUSED));
      assertEquals(c, roundTrip(COMMANDS, c));
    }

    static Stream<RoomFields> partialFields() {
      return Stream.of(
          new RoomFields(null, null, null, false, null, null, null),
          new RoomFields(null, null, null, true, null, null, null),
          new RoomFields(null, null, 0, null, 0, null, null),
          new RoomFields(null, null, Integer.MAX_VALUE, null, Integer.MIN_VALUE, null, null),
          new RoomFields(null, null, -1, null, -1, null, RoomState.CREATED),
          new RoomFields("", "", null, null, null, "", null),
          new RoomFields("t", null, null, null, null, null, null),
          new RoomFields(null, "bob", null, null, null, null, null),
          new RoomFields(null, null, null, null, null, UNICODE_METADATA, null),
          new RoomFields(null, null, null, null, null, null, RoomState.ENDED));
    }

    @ParameterizedTest
    @MethodSource("partialFields")
    void nullsStayNullAndValuesStayValues(RoomFields f) {
      RoomCommand c = new RoomCommand(RoomCommand.Op.CREATE, "room-1", f);
      assertEquals(c, roundTrip(COMMANDS, c));
    }

    @Test
    void guestsCanReadFalseIsNotNull() {
      RoomFields f = new RoomFields(null, null, null, false, null, null, null);
      RoomFields back = roundTrip(COMMANDS, new RoomCommand(RoomCommand.Op.UPDATE, "r", f)).fields();
      assertEquals(Boolean.FALSE, back.guestsCanRead());
      assertNull(back.maxMembers());
      assertNull(back.slowModeSec());
      assertNull(back.state());
    }

    @Test
    void emptyStringsAreNotNull() {
      RoomFields f = new RoomFields("", "", null, null, null, "", null);
      RoomFields back = roundTrip(COMMANDS, new RoomCommand(RoomCommand.Op.CREATE, "r", f)).fields();
      assertEquals("", back.title());
      assertEquals("", back.ownerId());
      assertEquals("", back.metadata());
    }

    @Test
    void nonAsciiTextSurvivesByteForByte() {
      RoomCommand c = new RoomCommand(RoomCommand.Op.UPDATE, "room-1", allFields(RoomState.LIVE));
      RoomCommand back = roundTrip(COMMANDS, c);
      assertEquals(UNICODE_METADATA, back.fields().metadata());
      assertEquals("Evening \ud83c\udf89 show", back.fields().title());
    }

    @Test
    void backToBackCommandsDecodeFromTheirOwnOffsets() {
      RoomCommand first = new RoomCommand(RoomCommand.Op.CREATE, "room-1", allFields(RoomState.LIVE));
      RoomCommand second = RoomCommand.of(RoomCommand.Op.END, "room-2");
      Buffer b = Buffer.buffer();
      COMMANDS.encodeToWire(b, first);
      int at = b.length();
      COMMANDS.encodeToWire(b, second);
      assertEquals(first, COMMANDS.decodeFromWire(0, b));
      assertEquals(second, COMMANDS.decodeFromWire(at, b));
      assertEquals(at, 4 + b.getInt(0), "the first length prefix spans exactly the first body");
    }

    @Test
    void commandRequiresOpRoomIdAndFields() {
      assertThrows(IllegalArgumentException.class, () -> new RoomCommand(null, "r", RoomFields.EMPTY));
      assertThrows(IllegalArgumentException.class, () -> new RoomCommand(RoomCommand.Op.GET, null, RoomFields.EMPTY));
      assertThrows(IllegalArgumentException.class, () -> new RoomCommand(RoomCommand.Op.GET, "r", null));
    }

    @Test
    void opOrdinalsRoundTrip() {
      for (RoomCommand.Op op : RoomCommand.Op.values()) {
        assertSame(op, RoomCommand.Op.ofOrdinal(op.ordinal()));
      }
    }
  }

  @Nested
  class RoomViews {
    @Test
    void coldViewWithoutDataRoundTrips() {
      RoomView v = RoomView.cold("node-a");
      RoomView back = roundTrip(VIEWS, v);
      assertEquals(v, back);
      assertNull(back.data());
      assertFalse(back.hot());
      assertEquals("node-a", back.ownerNode());
      assertEquals(v, roundTripAtZero(VIEWS, v));
    }

    @Test
    void coldViewWithNullOwnerRoundTrips() {
      RoomView v = RoomView.cold(null);
      assertEquals(v, roundTrip(VIEWS, v));
    }

    @ParameterizedTest
    @EnumSource(RoomState.class)
    void fullViewRoundTripsWithEveryState(RoomState state) {
      RoomView v = new RoomView(fullData(state), 42L, 17, true, "node-\u00e9");
      RoomView back = roundTrip(VIEWS, v);
      assertEquals(v, back);
      assertEquals(state, back.data().state());
      assertEquals(v, roundTripAtZero(VIEWS, v));
    }

    @Test
    void extremeNumbersAndFalseFlagsRoundTrip() {
      RoomData d = new RoomData("r", "t", "o", RoomState.LIVE, Long.MIN_VALUE, Long.MAX_VALUE,
          Integer.MAX_VALUE, false, Integer.MIN_VALUE, "{}");
      RoomView v = new RoomView(d, Long.MAX_VALUE, Integer.MAX_VALUE, false, "n");
      assertEquals(v, roundTrip(VIEWS, v));
      RoomView neg = new RoomView(d, -1L, -1, true, "");
      assertEquals(neg, roundTrip(VIEWS, neg));
    }

    @Test
    void backToBackViewsDecodeFromTheirOwnOffsets() {
      RoomView first = new RoomView(fullData(RoomState.LIVE), 1, 2, true, "node-a");
      RoomView second = RoomView.cold("node-b");
      Buffer b = Buffer.buffer();
      VIEWS.encodeToWire(b, first);
      int at = b.length();
      VIEWS.encodeToWire(b, second);
      assertEquals(first, VIEWS.decodeFromWire(0, b));
      assertEquals(second, VIEWS.decodeFromWire(at, b));
    }
  }

  @Nested
  class CodecContract {
    @Test
    void transformReturnsTheSameInstance() {
      RoomCommand c = RoomCommand.of(RoomCommand.Op.GET, "room-1");
      assertSame(c, COMMANDS.transform(c));
      RoomView v = RoomView.cold("node-a");
      assertSame(v, VIEWS.transform(v));
    }

    @Test
    void namesAreDistinctAndOurs() {
      List<String> names = List.of(COMMANDS.name(), VIEWS.name());
      assertEquals(2, new HashSet<>(names).size(), names.toString());
      for (String n : names) {
        assertTrue(n.startsWith("liveroom."), n);
      }
    }

    @Test
    void bundlesRoundTripWithEveryFrameField() {
      Codecs.BundleCodec codec = new Codecs.BundleCodec();
      Bundle in = new Bundle(List.of(
          new Bundle.Frame("room-1", 1, io.vertx.core.buffer.Buffer.buffer("{\"push\":\"danmaku\"}"), false, null,
              1_763_900_000_123L),
          new Bundle.Frame("room-2", 0, io.vertx.core.buffer.Buffer.buffer("ü"), true, "user-9")));
      io.vertx.core.buffer.Buffer wire = io.vertx.core.buffer.Buffer.buffer("xx");
      codec.encodeToWire(wire, in);
      Bundle out = codec.decodeFromWire(2, wire);
      assertEquals(in, out);
      assertEquals(1_763_900_000_123L, out.frames().get(0).acceptedAt());
      assertEquals(0, out.frames().get(1).acceptedAt());
    }

    @Test
    void codecsAreUserCodecs() {
      assertEquals(-1, COMMANDS.systemCodecID());
      assertEquals(-1, VIEWS.systemCodecID());
    }
  }

  @Nested
  class ErrorCodes {
    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void busCodeRoundTrips(ErrorCode code) {
      assertSame(code, ErrorCode.fromBusCode(code.busCode()));
    }

    @Test
    void busCodesAreDistinct() {
      Set<Integer> codes = new HashSet<>();
      for (ErrorCode c : ErrorCode.values()) {
        assertTrue(codes.add(c.busCode()), c.name());
      }
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1, 400, 500, 998, 999, 1013, 2000, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void unknownBusCodesAreNull(int busCode) {
      assertNull(ErrorCode.fromBusCode(busCode));
    }

    @Test
    void reservedBusCodesAreNoErrorCodesBusCode() {
      for (ErrorCode c : ErrorCode.values()) {
        assertNotEquals(ErrorCode.MOVED_BUS_CODE, c.busCode(), c.name());
        assertNotEquals(BusErrors.EXISTS_BUS_CODE, c.busCode(), c.name());
      }
      assertNotEquals(ErrorCode.MOVED_BUS_CODE, BusErrors.EXISTS_BUS_CODE);
    }

    @Test
    void httpStatusesAreThoseOfTheProtocol() {
      List<Integer> allowed = Arrays.asList(400, 401, 403, 404, 409, 413, 429, 500, 503);
      for (ErrorCode c : ErrorCode.values()) {
        assertTrue(allowed.contains(c.httpStatus()), c + " " + c.httpStatus());
      }
      assertEquals(409, ErrorCode.ROOM_CLOSED.httpStatus());
      assertEquals(413, ErrorCode.TOO_LARGE.httpStatus());
      assertEquals(503, ErrorCode.UNAVAILABLE.httpStatus());
    }
  }

  @Nested
  class BusErrorsToClient {
    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void recipientFailureOfEachCodeKeepsCodeAndMessage(ErrorCode code) {
      String text = "room room-1: " + code.name().toLowerCase();
      LiveroomException e = BusErrors.toClient(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code.busCode(), text));
      assertEquals(code, e.code());
      assertEquals(code.httpStatus(), e.httpStatus());
      assertEquals(text, e.getMessage());
    }

    @Test
    void existsIsBadRequestWith409() {
      LiveroomException e = BusErrors.toClient(
          new ReplyException(ReplyFailure.RECIPIENT_FAILURE, BusErrors.EXISTS_BUS_CODE, "room room-1 exists"));
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
      assertEquals(409, e.httpStatus());
      assertEquals("room room-1 exists", e.getMessage());
    }

    @Test
    void timeoutIsUnavailable() {
      LiveroomException e = BusErrors.toClient(new ReplyException(ReplyFailure.TIMEOUT, "Timed out after 2000ms"));
      assertEquals(ErrorCode.UNAVAILABLE, e.code());
      assertEquals(503, e.httpStatus());
      assertFalse(e.getMessage().contains("2000ms"), "the bus text is not shown to clients: " + e.getMessage());
    }

    @Test
    void noHandlersIsRetried() {
      assertNull(BusErrors.toClient(new ReplyException(ReplyFailure.NO_HANDLERS, "no handlers for liveroom.shard.x")));
      assertNull(BusErrors.toClient(new ReplyException(ReplyFailure.NO_HANDLERS, -1, "no handlers")));
    }

    @Test
    void movedIsRetried() {
      assertNull(BusErrors.toClient(
          new ReplyException(ReplyFailure.RECIPIENT_FAILURE, ErrorCode.MOVED_BUS_CODE, "partition 7 moved")));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 42, 500, 1013})
    void unknownFailureCodesAreInternalWithoutTheirText(int failureCode) {
      LiveroomException e = BusErrors.toClient(
          new ReplyException(ReplyFailure.RECIPIENT_FAILURE, failureCode, "java.lang.NullPointerException at x.y"));
      assertEquals(ErrorCode.INTERNAL, e.code());
      assertEquals(500, e.httpStatus());
      assertFalse(e.getMessage().contains("NullPointerException"), e.getMessage());
    }

    @Test
    void liveroomExceptionCarriesNoStackTrace() {
      LiveroomException e = LiveroomException.badRequest("x");
      assertEquals(0, e.getStackTrace().length);
      assertEquals(ErrorCode.BAD_REQUEST, e.code());
      assertEquals(400, e.httpStatus());
    }
  }
}
