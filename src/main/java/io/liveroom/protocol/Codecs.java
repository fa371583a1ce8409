package io.liveroom.protocol;

import io.liveroom.room.Danmaku;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomState;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The explicit binary event-bus codecs of liveroom's messages (no Java serialization): one
 * {@link RecordCodec} per record, in {@link CommandCodecs} and {@link ReplyCodecs}, and the
 * layouts they share. {@link #register} runs on every node at start-up, before any verticle is
 * deployed.
 */
public final class Codecs {
  private Codecs() {
  }

  /** Every codec, each the default codec of its record class. */
  public static List<RecordCodec<?>> all() {
    List<RecordCodec<?>> all = new ArrayList<>(CommandCodecs.ALL);
    all.addAll(ReplyCodecs.ALL);
    return all;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static void register(EventBus bus) {
    for (RecordCodec<?> c : all()) {
      bus.registerDefaultCodec((Class) c.type(), c);
    }
  }

  /**
   * The codec of one immutable record: how its body is written and read. The body is
   * length-prefixed as Vert.x codecs do; a local send passes the same instance.
   */
  public static final class RecordCodec<T> implements MessageCodec<T, T> {
    private final Class<T> type;
    private final String name;
    private final BiConsumer<Buffer, T> write;
    private final Function<Wire.In, T> read;

    RecordCodec(Class<T> type, BiConsumer<Buffer, T> write, Function<Wire.In, T> read) {
      this.type = type;
      this.name = "liveroom." + type.getName().substring(type.getName().lastIndexOf('.') + 1);
      this.write = write;
      this.read = read;
    }

    public Class<T> type() {
      return type;
    }

    @Override
    public void encodeToWire(Buffer b, T t) {
      int at = Wire.begin(b);
      write.accept(b, t);
      Wire.end(b, at);
    }

    @Override
    public T decodeFromWire(int pos, Buffer b) {
      return read.apply(new Wire.In(b, pos + 4));
    }

    @Override
    public T transform(T t) {
      return t;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  // ---- layouts shared by several records

  static void writeMember(Buffer b, Member m) {
    Wire.writeString(b, m.userId());
    Wire.writeString(b, m.userName());
    Wire.writeString(b, m.role());
  }

  static Member readMember(Wire.In in) {
    return new Member(in.string(), in.string(), in.string());
  }

  static void writeMembers(Buffer b, List<Member> members) {
    b.appendInt(members.size());
    members.forEach(m -> writeMember(b, m));
  }

  static List<Member> readMembers(Wire.In in) {
    int n = in.i32();
    List<Member> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(readMember(in));
    }
    return out;
  }

  static void writeEntries(Buffer b, List<EdgeUsers.Entry> entries) {
    b.appendInt(entries.size());
    for (EdgeUsers.Entry e : entries) {
      writeMember(b, e.member());
      b.appendInt(e.connections());
    }
  }

  static List<EdgeUsers.Entry> readEntries(Wire.In in) {
    int n = in.i32();
    List<EdgeUsers.Entry> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new EdgeUsers.Entry(readMember(in), in.i32()));
    }
    return out;
  }

  static void writeDanmakus(Buffer b, List<Danmaku> items) {
    b.appendInt(items.size());
    for (Danmaku d : items) {
      b.appendLong(d.epoch()).appendLong(d.seq());
      Wire.writeString(b, d.userId());
      Wire.writeString(b, d.userName());
      Wire.writeString(b, d.text());
      Wire.writeString(b, d.color());
      Wire.writeString(b, d.mode());
      b.appendLong(d.progress()).appendLong(d.ts()).appendByte((byte) d.priority());
    }
  }

  static List<Danmaku> readDanmakus(Wire.In in) {
    int n = in.i32();
    List<Danmaku> items = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      items.add(new Danmaku(in.i64(), in.i64(), in.string(), in.string(), in.string(), in.string(), in.string(),
          in.i64(), in.i64(), in.u8()));
    }
    return items;
  }

  /** Nullable fields are marked in one flags byte. */
  static void writeFields(Buffer b, RoomFields f) {
    int flags = (f.maxMembers() != null ? 1 : 0)
        | (f.guestsCanRead() != null ? 2 : 0)
        | (f.slowModeSec() != null ? 4 : 0)
        | (f.state() != null ? 8 : 0)
        | (f.emptyTimeoutSec() != null ? 16 : 0);
    b.appendByte((byte) flags);
    Wire.writeString(b, f.title());
    Wire.writeString(b, f.ownerId());
    Wire.writeString(b, f.metadata());
    Wire.writeString(b, f.filter());
    b.appendInt(f.emptyTimeoutSec() != null ? f.emptyTimeoutSec() : 0);
    b.appendInt(f.maxMembers() != null ? f.maxMembers() : 0);
    Wire.writeBool(b, Boolean.TRUE.equals(f.guestsCanRead()));
    b.appendInt(f.slowModeSec() != null ? f.slowModeSec() : 0);
    b.appendByte((byte) (f.state() != null ? f.state().ordinal() : 0));
  }

  static RoomFields readFields(Wire.In in) {
    int flags = in.u8();
    String title = in.string();
    String ownerId = in.string();
    String metadata = in.string();
    String filter = in.string();
    int emptyTimeout = in.i32();
    int maxMembers = in.i32();
    boolean guests = in.bool();
    int slowMode = in.i32();
    int state = in.u8();
    return new RoomFields(title, ownerId,
        (flags & 1) != 0 ? maxMembers : null,
        (flags & 2) != 0 ? guests : null,
        (flags & 4) != 0 ? slowMode : null,
        metadata,
        (flags & 8) != 0 ? RoomState.ofOrdinal(state) : null,
        filter,
        (flags & 16) != 0 ? emptyTimeout : null);
  }

  static void writeView(Buffer b, RoomView v) {
    b.appendLong(v.epoch()).appendInt(v.online()).appendInt(v.connections());
    Wire.writeBool(b, v.hot());
    Wire.writeString(b, v.ownerNode());
    RoomData d = v.data();
    Wire.writeBool(b, d != null);
    if (d != null) {
      Wire.writeString(b, d.id());
      Wire.writeString(b, d.title());
      Wire.writeString(b, d.ownerId());
      b.appendByte((byte) d.state().ordinal());
      b.appendLong(d.createdAt()).appendLong(d.updatedAt());
      b.appendInt(d.maxMembers());
      Wire.writeBool(b, d.guestsCanRead());
      b.appendInt(d.slowModeSec());
      Wire.writeString(b, d.metadata());
      Wire.writeString(b, d.filter());
      b.appendInt(d.emptyTimeoutSec());
    }
  }

  static RoomView readView(Wire.In in) {
    long epoch = in.i64();
    int online = in.i32();
    int connections = in.i32();
    boolean hot = in.bool();
    String owner = in.string();
    RoomData d = null;
    if (in.bool()) {
      d = new RoomData(in.string(), in.string(), in.string(), RoomState.ofOrdinal(in.u8()), in.i64(), in.i64(),
          in.i32(), in.bool(), in.i32(), in.string(), in.string(), in.i32());
    }
    return new RoomView(d, epoch, online, connections, hot, owner);
  }
}
