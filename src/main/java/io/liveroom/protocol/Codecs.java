package io.liveroom.protocol;

import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomState;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.util.ArrayList;
import java.util.List;

/**
 * The explicit binary event-bus codecs of liveroom's cluster messages (no Java serialization).
 * {@link #register} runs on every node at start-up, before any verticle is deployed.
 */
public final class Codecs {
  private Codecs() {
  }

  public static void register(EventBus bus) {
    bus.registerDefaultCodec(RoomCommand.class, new RoomCommandCodec());
    bus.registerDefaultCodec(RoomView.class, new RoomViewCodec());
    bus.registerDefaultCodec(RtRequest.class, new RtRequestCodec());
    bus.registerDefaultCodec(RtReply.class, new RtReplyCodec());
    bus.registerDefaultCodec(Bundle.class, new BundleCodec());
  }

  /** Codec of {@link RtRequest}. */
  public static final class RtRequestCodec extends Immutable<RtRequest> {
    public RtRequestCodec() {
      super("liveroom.RtRequest");
    }

    @Override
    public void encodeToWire(Buffer b, RtRequest r) {
      int at = Wire.begin(b);
      b.appendByte((byte) r.kind().ordinal());
      Wire.writeString(b, r.roomId());
      Wire.writeString(b, r.edge());
      Wire.writeString(b, r.userId());
      Wire.writeString(b, r.userName());
      Wire.writeString(b, r.role());
      b.appendByte((byte) ((r.newMember() ? 1 : 0) | (r.hasSince() ? 2 : 0)));
      b.appendLong(r.sinceEpoch()).appendLong(r.sinceSeq());
      Wire.writeString(b, r.text());
      Wire.writeString(b, r.color());
      Wire.writeString(b, r.mode());
      b.appendLong(r.progress());
      Wire.writeString(b, r.key());
      b.appendInt(r.count());
      Wire.end(b, at);
    }

    @Override
    public RtRequest decodeFromWire(int p, Buffer b) {
      int[] pos = {p + 4};
      RtRequest.Kind kind = RtRequest.Kind.ofOrdinal(Wire.readByte(b, pos));
      String roomId = Wire.readString(b, pos);
      String edge = Wire.readString(b, pos);
      String userId = Wire.readString(b, pos);
      String userName = Wire.readString(b, pos);
      String role = Wire.readString(b, pos);
      int flags = Wire.readByte(b, pos);
      long sinceEpoch = Wire.readLong(b, pos);
      long sinceSeq = Wire.readLong(b, pos);
      String text = Wire.readString(b, pos);
      String color = Wire.readString(b, pos);
      String mode = Wire.readString(b, pos);
      long progress = Wire.readLong(b, pos);
      String key = Wire.readString(b, pos);
      int count = Wire.readInt(b, pos);
      return new RtRequest(kind, roomId, edge, userId, userName, role, (flags & 1) != 0, (flags & 2) != 0,
          sinceEpoch, sinceSeq, text, color, mode, progress, key, count);
    }
  }

  /** Codec of {@link RtReply}; the room travels with the {@link RoomViewCodec} layout. */
  public static final class RtReplyCodec extends Immutable<RtReply> {
    private static final RoomViewCodec ROOM = new RoomViewCodec();

    public RtReplyCodec() {
      super("liveroom.RtReply");
    }

    @Override
    public void encodeToWire(Buffer b, RtReply r) {
      int at = Wire.begin(b);
      b.appendLong(r.epoch()).appendLong(r.seq()).appendByte((byte) (r.recovered() ? 1 : 0));
      b.appendByte((byte) (r.room() == null ? 0 : 1));
      if (r.room() != null) {
        ROOM.encodeToWire(b, r.room());
      }
      b.appendInt(r.items().size());
      for (Danmaku d : r.items()) {
        writeDanmaku(b, d);
      }
      Wire.end(b, at);
    }

    @Override
    public RtReply decodeFromWire(int p, Buffer b) {
      int[] pos = {p + 4};
      long epoch = Wire.readLong(b, pos);
      long seq = Wire.readLong(b, pos);
      boolean recovered = Wire.readByte(b, pos) == 1;
      RoomView room = null;
      if (Wire.readByte(b, pos) == 1) {
        room = ROOM.decodeFromWire(pos[0], b);
        pos[0] += 4 + b.getInt(pos[0]);
      }
      int n = Wire.readInt(b, pos);
      List<Danmaku> items = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        items.add(readDanmaku(b, pos));
      }
      return new RtReply(epoch, seq, room, items, recovered);
    }
  }

  /** Codec of {@link Bundle}: frames are copied as bytes. */
  public static final class BundleCodec extends Immutable<Bundle> {
    public BundleCodec() {
      super("liveroom.Bundle");
    }

    @Override
    public void encodeToWire(Buffer b, Bundle bundle) {
      int at = Wire.begin(b);
      b.appendInt(bundle.frames().size());
      for (Bundle.Frame f : bundle.frames()) {
        Wire.writeString(b, f.roomId());
        b.appendByte((byte) (f.priority() | (f.closesRoom() ? 0x10 : 0)));
        Wire.writeString(b, f.targetUser());
        b.appendLong(f.acceptedAt());
        b.appendInt(f.bytes().length()).appendBuffer(f.bytes());
      }
      Wire.end(b, at);
    }

    @Override
    public Bundle decodeFromWire(int p, Buffer b) {
      int[] pos = {p + 4};
      int n = Wire.readInt(b, pos);
      List<Bundle.Frame> frames = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String roomId = Wire.readString(b, pos);
        int flags = Wire.readByte(b, pos);
        String target = Wire.readString(b, pos);
        long acceptedAt = b.getLong(pos[0]);
        pos[0] += 8;
        int len = Wire.readInt(b, pos);
        frames.add(new Bundle.Frame(roomId, flags & 0x0f, b.getBuffer(pos[0], pos[0] + len), (flags & 0x10) != 0,
            target, acceptedAt));
        pos[0] += len;
      }
      return new Bundle(frames);
    }
  }

  static void writeDanmaku(Buffer b, Danmaku d) {
    b.appendLong(d.epoch()).appendLong(d.seq());
    Wire.writeString(b, d.userId());
    Wire.writeString(b, d.userName());
    Wire.writeString(b, d.text());
    Wire.writeString(b, d.color());
    Wire.writeString(b, d.mode());
    b.appendLong(d.progress()).appendLong(d.ts()).appendByte((byte) d.priority());
  }

  static Danmaku readDanmaku(Buffer b, int[] pos) {
    long epoch = Wire.readLong(b, pos);
    long seq = Wire.readLong(b, pos);
    String userId = Wire.readString(b, pos);
    String userName = Wire.readString(b, pos);
    String text = Wire.readString(b, pos);
    String color = Wire.readString(b, pos);
    String mode = Wire.readString(b, pos);
    long progress = Wire.readLong(b, pos);
    long ts = Wire.readLong(b, pos);
    int priority = Wire.readByte(b, pos);
    return new Danmaku(epoch, seq, userId, userName, text, color, mode, progress, ts, priority);
  }

  /** Codec of {@link RoomCommand}; nullable fields are marked in one flags byte. */
  public static final class RoomCommandCodec extends Immutable<RoomCommand> {
    public RoomCommandCodec() {
      super("liveroom.RoomCommand");
    }

    @Override
    public void encodeToWire(Buffer b, RoomCommand c) {
      int at = Wire.begin(b);
      b.appendByte((byte) c.op().ordinal());
      Wire.writeString(b, c.roomId());
      RoomFields f = c.fields();
      int flags = (f.maxMembers() != null ? 1 : 0)
          | (f.guestsCanRead() != null ? 2 : 0)
          | (f.slowModeSec() != null ? 4 : 0)
          | (f.state() != null ? 8 : 0);
      b.appendByte((byte) flags);
      Wire.writeString(b, f.title());
      Wire.writeString(b, f.ownerId());
      Wire.writeString(b, f.metadata());
      Wire.writeString(b, f.filter());
      b.appendInt(f.emptyTimeoutSec() != null ? f.emptyTimeoutSec() : -1);
      b.appendInt(f.maxMembers() != null ? f.maxMembers() : 0);
      b.appendByte((byte) (Boolean.TRUE.equals(f.guestsCanRead()) ? 1 : 0));
      b.appendInt(f.slowModeSec() != null ? f.slowModeSec() : 0);
      b.appendByte((byte) (f.state() != null ? f.state().ordinal() : 0));
      Wire.end(b, at);
    }

    @Override
    public RoomCommand decodeFromWire(int p, Buffer b) {
      int[] pos = {p + 4};
      RoomCommand.Op op = RoomCommand.Op.ofOrdinal(Wire.readByte(b, pos));
      String roomId = Wire.readString(b, pos);
      int flags = Wire.readByte(b, pos);
      String title = Wire.readString(b, pos);
      String ownerId = Wire.readString(b, pos);
      String metadata = Wire.readString(b, pos);
      String filter = Wire.readString(b, pos);
      int emptyTimeout = Wire.readInt(b, pos);
      int maxMembers = Wire.readInt(b, pos);
      boolean guests = Wire.readByte(b, pos) == 1;
      int slowMode = Wire.readInt(b, pos);
      int state = Wire.readByte(b, pos);
      RoomFields f = new RoomFields(
          title,
          ownerId,
          (flags & 1) != 0 ? maxMembers : null,
          (flags & 2) != 0 ? guests : null,
          (flags & 4) != 0 ? slowMode : null,
          metadata,
          (flags & 8) != 0 ? RoomState.ofOrdinal(state) : null,
          filter,
          emptyTimeout >= 0 ? emptyTimeout : null);
      return new RoomCommand(op, roomId, f);
    }
  }

  /** Codec of {@link RoomView}. */
  public static final class RoomViewCodec extends Immutable<RoomView> {
    public RoomViewCodec() {
      super("liveroom.RoomView");
    }

    @Override
    public void encodeToWire(Buffer b, RoomView v) {
      int at = Wire.begin(b);
      b.appendLong(v.epoch()).appendInt(v.online()).appendByte((byte) (v.hot() ? 1 : 0));
      Wire.writeString(b, v.ownerNode());
      RoomData d = v.data();
      b.appendByte((byte) (d == null ? 0 : 1));
      if (d != null) {
        Wire.writeString(b, d.id());
        Wire.writeString(b, d.title());
        Wire.writeString(b, d.ownerId());
        b.appendByte((byte) d.state().ordinal());
        b.appendLong(d.createdAt()).appendLong(d.updatedAt());
        b.appendInt(d.maxMembers()).appendByte((byte) (d.guestsCanRead() ? 1 : 0)).appendInt(d.slowModeSec());
        Wire.writeString(b, d.metadata());
        Wire.writeString(b, d.filter());
        b.appendInt(d.emptyTimeoutSec());
      }
      Wire.end(b, at);
    }

    @Override
    public RoomView decodeFromWire(int p, Buffer b) {
      int[] pos = {p + 4};
      long epoch = Wire.readLong(b, pos);
      int online = Wire.readInt(b, pos);
      boolean hot = Wire.readByte(b, pos) == 1;
      String owner = Wire.readString(b, pos);
      RoomData d = null;
      if (Wire.readByte(b, pos) == 1) {
        String id = Wire.readString(b, pos);
        String title = Wire.readString(b, pos);
        String ownerId = Wire.readString(b, pos);
        RoomState state = RoomState.ofOrdinal(Wire.readByte(b, pos));
        long createdAt = Wire.readLong(b, pos);
        long updatedAt = Wire.readLong(b, pos);
        int maxMembers = Wire.readInt(b, pos);
        boolean guests = Wire.readByte(b, pos) == 1;
        int slowMode = Wire.readInt(b, pos);
        String metadata = Wire.readString(b, pos);
        String filter = Wire.readString(b, pos);
        int emptyTimeout = Wire.readInt(b, pos);
        d = new RoomData(id, title, ownerId, state, createdAt, updatedAt, maxMembers, guests, slowMode, metadata,
            filter, emptyTimeout);
      }
      return new RoomView(d, epoch, online, hot, owner);
    }
  }

  /** Base of codecs of immutable records: a local send passes the same instance. */
  abstract static class Immutable<T> implements MessageCodec<T, T> {
    private final String name;

    Immutable(String name) {
      this.name = name;
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
}
