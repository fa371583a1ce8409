package io.liveroom.protocol;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Little helpers for the binary event-bus codecs: length-prefixed, nullable UTF-8 strings. */
final class Wire {
  private Wire() {
  }

  static void writeString(Buffer b, String s) {
    if (s == null) {
      b.appendInt(-1);
      return;
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  /** Reads a string at {@code pos[0]} and advances it. */
  static String readString(Buffer b, int[] pos) {
    int len = b.getInt(pos[0]);
    pos[0] += 4;
    if (len < 0) {
      return null;
    }
    String s = b.getString(pos[0], pos[0] + len, "UTF-8");
    pos[0] += len;
    return s;
  }

  static int readInt(Buffer b, int[] pos) {
    int v = b.getInt(pos[0]);
    pos[0] += 4;
    return v;
  }

  static long readLong(Buffer b, int[] pos) {
    long v = b.getLong(pos[0]);
    pos[0] += 8;
    return v;
  }

  static byte readByte(Buffer b, int[] pos) {
    return b.getByte(pos[0]++);
  }

  /** Writes a length prefix for the message body that follows, as Vert.x codecs do. */
  static int begin(Buffer b) {
    int at = b.length();
    b.appendInt(0);
    return at;
  }

  static void end(Buffer b, int at) {
    b.setInt(at, b.length() - at - 4);
  }

  static void writeBool(Buffer b, boolean v) {
    b.appendByte((byte) (v ? 1 : 0));
  }

  /** A read cursor over a message body. */
  static final class In {
    private final Buffer b;
    private final int[] pos;

    In(Buffer b, int pos) {
      this.b = b;
      this.pos = new int[] {pos};
    }

    String string() {
      return readString(b, pos);
    }

    int i32() {
      return readInt(b, pos);
    }

    long i64() {
      return readLong(b, pos);
    }

    int u8() {
      return readByte(b, pos) & 0xff;
    }

    boolean bool() {
      return readByte(b, pos) != 0;
    }

    Buffer bytes(int len) {
      Buffer out = b.getBuffer(pos[0], pos[0] + len);
      pos[0] += len;
      return out;
    }
  }
}
