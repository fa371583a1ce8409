package io.liveroom.protocol;

import io.liveroom.error.ErrorCode;
import io.liveroom.protocol.Codecs.RecordCodec;
import io.liveroom.room.EdgeUsers;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One codec per reply record, per {@link ShardControl} record, and the fan-out {@link Bundle}. */
final class ReplyCodecs {
  private ReplyCodecs() {
  }

  static final RecordCodec<RoomView> ROOM_VIEW = new RecordCodec<>(RoomView.class, Codecs::writeView,
      Codecs::readView);

  static final RecordCodec<Position> POSITION = new RecordCodec<>(Position.class,
      (b, p) -> b.appendLong(p.epoch()).appendLong(p.seq()), in -> new Position(in.i64(), in.i64()));

  static final RecordCodec<JoinReply> JOIN_REPLY = new RecordCodec<>(JoinReply.class, (b, r) -> {
    b.appendLong(r.epoch()).appendLong(r.seq());
    Codecs.writeView(b, r.room());
    Codecs.writeDanmakus(b, r.items());
    Wire.writeBool(b, r.recovered());
  }, in -> new JoinReply(in.i64(), in.i64(), Codecs.readView(in), Codecs.readDanmakus(in), in.bool()));

  static final RecordCodec<HistoryReply> HISTORY_REPLY = new RecordCodec<>(HistoryReply.class, (b, r) -> {
    b.appendLong(r.epoch()).appendLong(r.seq());
    Codecs.writeDanmakus(b, r.items());
    Wire.writeBool(b, r.complete());
  }, in -> new HistoryReply(in.i64(), in.i64(), Codecs.readDanmakus(in), in.bool()));

  static final RecordCodec<MembersPage> MEMBERS_PAGE = new RecordCodec<>(MembersPage.class, (b, r) -> {
    Codecs.writeMembers(b, r.members());
    Wire.writeBool(b, r.more());
    b.appendInt(r.guests());
  }, in -> new MembersPage(Codecs.readMembers(in), in.bool(), in.i32()));

  static final RecordCodec<Refused> REFUSED = new RecordCodec<>(Refused.class, (b, r) -> {
    b.appendByte((byte) r.code().ordinal()).appendInt(r.httpStatus());
    Wire.writeString(b, r.message());
    b.appendLong(r.retryAfterMs());
  }, in -> new Refused(ErrorCode.values()[in.u8()], in.i32(), in.string(), in.i64()));

  static final RecordCodec<PresenceReport> PRESENCE = new RecordCodec<>(PresenceReport.class, (b, p) -> {
    Wire.writeString(b, p.edge());
    b.appendInt(p.rooms().size());
    p.rooms().forEach((id, s) -> {
      Wire.writeString(b, id);
      b.appendInt(s.connections()).appendInt(s.guests()).appendLong(s.digest());
    });
  }, in -> {
    String edge = in.string();
    int n = in.i32();
    Map<String, EdgeUsers.Summary> rooms = new LinkedHashMap<>(n * 2);
    for (int i = 0; i < n; i++) {
      rooms.put(in.string(), new EdgeUsers.Summary(in.i32(), in.i32(), in.i64()));
    }
    return new PresenceReport(edge, rooms);
  });

  static final RecordCodec<FullRefresh> FULL_REFRESH = new RecordCodec<>(FullRefresh.class, (b, r) -> {
    b.appendInt(r.roomIds().size());
    r.roomIds().forEach(id -> Wire.writeString(b, id));
  }, in -> {
    int n = in.i32();
    List<String> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(in.string());
    }
    return new FullRefresh(ids);
  });

  static final RecordCodec<Drop> DROP = new RecordCodec<>(Drop.class, (b, d) -> b.appendInt(d.partition()),
      in -> new Drop(in.i32()));

  static final RecordCodec<Sweep> SWEEP = new RecordCodec<>(Sweep.class, (b, s) -> {
    b.appendLong(s.idleBefore()).appendInt(s.max());
    Wire.writeBool(b, s.newCycle());
  }, in -> new Sweep(in.i64(), in.i32(), in.bool()));

  static final RecordCodec<Swept> SWEPT = new RecordCodec<>(Swept.class, (b, s) -> {
    b.appendInt(s.demoted());
    Wire.writeBool(b, s.more());
  }, in -> new Swept(in.i32(), in.bool()));

  /** Frames are copied as bytes. */
  static final RecordCodec<Bundle> BUNDLE = new RecordCodec<>(Bundle.class, (b, bundle) -> {
    b.appendInt(bundle.frames().size());
    for (Bundle.Frame f : bundle.frames()) {
      Wire.writeString(b, f.roomId());
      b.appendByte((byte) (f.priority() | (f.closesRoom() ? 0x10 : 0)));
      Wire.writeString(b, f.targetUser());
      b.appendLong(f.acceptedAt());
      b.appendInt(f.bytes().length()).appendBuffer(f.bytes());
    }
  }, in -> {
    int n = in.i32();
    List<Bundle.Frame> frames = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String roomId = in.string();
      int flags = in.u8();
      String target = in.string();
      long acceptedAt = in.i64();
      frames.add(new Bundle.Frame(roomId, flags & 0x0f, in.bytes(in.i32()), (flags & 0x10) != 0, target,
          acceptedAt));
    }
    return new Bundle(frames);
  });

  static final List<RecordCodec<?>> ALL = List.of(ROOM_VIEW, POSITION, JOIN_REPLY, HISTORY_REPLY, MEMBERS_PAGE, REFUSED,
      PRESENCE, FULL_REFRESH, DROP, SWEEP, SWEPT, BUNDLE);
}
