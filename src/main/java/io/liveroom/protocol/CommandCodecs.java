package io.liveroom.protocol;

import io.liveroom.protocol.Codecs.RecordCodec;
import io.liveroom.protocol.ShardCommand.Create;
import io.liveroom.protocol.ShardCommand.End;
import io.liveroom.protocol.ShardCommand.Get;
import io.liveroom.protocol.ShardCommand.History;
import io.liveroom.protocol.ShardCommand.Join;
import io.liveroom.protocol.ShardCommand.Leave;
import io.liveroom.protocol.ShardCommand.Members;
import io.liveroom.protocol.ShardCommand.Moderate;
import io.liveroom.protocol.ShardCommand.Peek;
import io.liveroom.protocol.ShardCommand.Refresh;
import io.liveroom.protocol.ShardCommand.Send;
import io.liveroom.protocol.ShardCommand.Update;
import io.liveroom.protocol.ShardReply.Position;
import java.util.List;

/** One codec per {@link ShardCommand} record. */
final class CommandCodecs {
  private CommandCodecs() {
  }

  static final RecordCodec<Create> CREATE = new RecordCodec<>(Create.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Codecs.writeFields(b, c.fields());
  }, in -> new Create(in.string(), Codecs.readFields(in)));

  static final RecordCodec<Get> GET = new RecordCodec<>(Get.class,
      (b, c) -> Wire.writeString(b, c.roomId()), in -> new Get(in.string()));

  static final RecordCodec<Peek> PEEK = new RecordCodec<>(Peek.class,
      (b, c) -> Wire.writeString(b, c.roomId()), in -> new Peek(in.string()));

  static final RecordCodec<Update> UPDATE = new RecordCodec<>(Update.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Codecs.writeFields(b, c.fields());
  }, in -> new Update(in.string(), Codecs.readFields(in)));

  static final RecordCodec<End> END = new RecordCodec<>(End.class,
      (b, c) -> Wire.writeString(b, c.roomId()), in -> new End(in.string()));

  static final RecordCodec<Join> JOIN = new RecordCodec<>(Join.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Wire.writeString(b, c.edge());
    Codecs.writeMember(b, c.member());
    Wire.writeBool(b, c.newMember());
    Wire.writeBool(b, c.since() != null);
    if (c.since() != null) {
      b.appendLong(c.since().epoch()).appendLong(c.since().seq());
    }
  }, in -> new Join(in.string(), in.string(), Codecs.readMember(in), in.bool(),
      in.bool() ? new Position(in.i64(), in.i64()) : null));

  static final RecordCodec<Send> SEND = new RecordCodec<>(Send.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Wire.writeString(b, c.edge());
    Codecs.writeMember(b, c.member());
    Wire.writeString(b, c.text());
    Wire.writeString(b, c.color());
    Wire.writeString(b, c.mode());
    b.appendLong(c.progress());
    Wire.writeString(b, c.key());
  }, in -> new Send(in.string(), in.string(), Codecs.readMember(in), in.string(), in.string(), in.string(), in.i64(),
      in.string()));

  static final RecordCodec<Leave> LEAVE = new RecordCodec<>(Leave.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Wire.writeString(b, c.edge());
    Wire.writeString(b, c.userId());
    Wire.writeBool(b, c.guest());
  }, in -> new Leave(in.string(), in.string(), in.string(), in.bool()));

  static final RecordCodec<Refresh> REFRESH = new RecordCodec<>(Refresh.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Wire.writeString(b, c.edge());
    Codecs.writeEntries(b, c.users());
    b.appendInt(c.guests());
  }, in -> new Refresh(in.string(), in.string(), Codecs.readEntries(in), in.i32()));

  static final RecordCodec<Members> MEMBERS = new RecordCodec<>(Members.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Wire.writeString(b, c.after());
    b.appendInt(c.limit());
  }, in -> new Members(in.string(), in.string(), in.i32()));

  static final RecordCodec<History> HISTORY = new RecordCodec<>(History.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    b.appendLong(c.afterSeq()).appendInt(c.limit());
  }, in -> new History(in.string(), in.i64(), in.i32()));

  static final RecordCodec<Moderate> MODERATE = new RecordCodec<>(Moderate.class, (b, c) -> {
    Wire.writeString(b, c.roomId());
    Codecs.writeMember(b, c.actor());
    Wire.writeString(b, c.action());
    Wire.writeString(b, c.user());
    b.appendLong(c.seq()).appendLong(c.durationSec());
    Wire.writeString(b, c.reason());
  }, in -> new Moderate(in.string(), Codecs.readMember(in), in.string(), in.string(), in.i64(), in.i64(),
      in.string()));

  static final List<RecordCodec<?>> ALL = List.of(CREATE, GET, PEEK, UPDATE, END, JOIN, SEND, LEAVE, REFRESH,
      HISTORY, MODERATE, MEMBERS);
}
