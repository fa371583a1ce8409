package io.liveroom.protocol;

import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomState;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

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
          (flags & 8) != 0 ? RoomState.ofOrdinal(state) : null);
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
        d = new RoomData(id, title, ownerId, state, createdAt, updatedAt, maxMembers, guests, slowMode, metadata);
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
