package io.liveroom.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A deliberately low-level WebSocket client over a plain {@link Socket}, for hostile input: it
 * writes any frame (invalid UTF-8 in a text frame, any size, any opcode, fragments) and any
 * handshake header, which the Vert.x client does not let a test do. Blocking; test thread only.
 */
public final class RawWebSocket implements AutoCloseable {
  public static final int CONTINUATION = 0;
  public static final int TEXT = 1;
  public static final int BINARY = 2;
  public static final int CLOSE = 8;
  public static final int PING = 9;
  public static final int PONG = 10;
  /** Not a WebSocket opcode: the TCP connection ended without a close frame. */
  public static final int EOF = -1;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private Handshake handshake;
  private boolean closed;

  /** The server's answer to the upgrade: 101 when the socket is open, else the refusal and its body. */
  public record Handshake(int status, String head, String body) {
    public String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }

  /** One message from the server, or {@link #EOF}. */
  public record Message(int opcode, byte[] payload) {
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The status code of a close frame, -1 when it has none (or this is not a close). */
    public int closeCode() {
      return opcode == CLOSE && payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
    }

    public boolean ended() {
      return opcode == CLOSE || opcode == EOF;
    }

    @Override
    public String toString() {
      return switch (opcode) {
        case CLOSE -> "close " + closeCode() + (payload.length > 2 ? " " + new String(payload, 2, payload.length - 2,
            StandardCharsets.UTF_8) : "");
        case EOF -> "EOF";
        default -> "opcode " + opcode + ": " + text();
      };
    }
  }

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  public static RawWebSocket connect(int port, String path) throws IOException {
    return connect(port, path, Map.of());
  }

  /**
   * Opens a TCP connection and sends an upgrade request for {@code path}; {@code headers} are
   * added (or replace the defaults: a {@code Host} entry replaces {@code 127.0.0.1:port}, an
   * entry with a null value removes a default header).
   */
  public static RawWebSocket connect(int port, String path, Map<String, String> headers) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setTcpNoDelay(true);
    RawWebSocket ws = new RawWebSocket(s);
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Host", "127.0.0.1:" + port);
    h.put("Upgrade", "websocket");
    h.put("Connection", "Upgrade");
    h.put("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(nonce));
    h.put("Sec-WebSocket-Version", "13");
    headers.forEach((k, v) -> {
      h.keySet().removeIf(existing -> existing.equalsIgnoreCase(k));
      if (v != null) {
        h.put(k, v);
      }
    });
    StringBuilder req = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\n");
    h.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("\r\n");
    ws.out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
    ws.out.flush();
    ws.handshake = ws.readHandshake(System.currentTimeMillis() + 10_000);
    return ws;
  }

  public Handshake handshake() {
    return handshake;
  }

  public boolean upgraded() {
    return handshake.status() == 101;
  }

  public boolean sendText(String text) {
    return sendFrame(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
  }

  public boolean sendText(byte[] payload) {
    return sendFrame(TEXT, true, payload);
  }

  public boolean sendBinary(byte[] payload) {
    return sendFrame(BINARY, true, payload);
  }

  /** Writes one masked frame; false when the server has already closed the connection. */
  public boolean sendFrame(int opcode, boolean fin, byte[] payload) {
    try {
      ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
      f.write((fin ? 0x80 : 0) | (opcode & 0x0f));
      if (payload.length < 126) {
        f.write(0x80 | payload.length);
      } else if (payload.length < 65536) {
        f.write(0x80 | 126);
        f.write(payload.length >>> 8);
        f.write(payload.length & 0xff);
      } else {
        f.write(0x80 | 127);
        long n = payload.length;
        for (int i = 7; i >= 0; i--) {
          f.write((int) (n >>> (8 * i)) & 0xff);
        }
      }
      byte[] mask = new byte[4];
      RANDOM.nextBytes(mask);
      f.write(mask);
      byte[] masked = new byte[payload.length];
      for (int i = 0; i < payload.length; i++) {
        masked[i] = (byte) (payload[i] ^ mask[i & 3]);
      }
      f.write(masked);
      out.write(f.toByteArray());
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The next complete message (fragments are joined; pings are answered), a close or
   * {@link #EOF}; null when nothing came within {@code timeoutMs}.
   */
  public Message read(long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    ByteArrayOutputStream fragments = null;
    int firstOpcode = -1;
    while (true) {
      Frame frame = nextFrame(deadline);
      if (frame == null) {
        return null;
      }
      if (frame.opcode() == CLOSE || frame.opcode() == EOF) {
        return new Message(frame.opcode(), frame.payload());
      }
      if (frame.opcode() == PING) {
        sendFrame(PONG, true, frame.payload());
        continue;
      }
      if (frame.opcode() == PONG) {
        continue;
      }
      if (fragments == null && frame.fin() && frame.opcode() != CONTINUATION) {
        return new Message(frame.opcode(), frame.payload());
      }
      if (fragments == null) {
        fragments = new ByteArrayOutputStream();
        firstOpcode = frame.opcode();
      }
      fragments.writeBytes(frame.payload());
      if (frame.fin()) {
        return new Message(firstOpcode, fragments.toByteArray());
      }
    }
  }

  /** The next text message; null on timeout, close or EOF (see {@link #isClosed}). */
  public String readText(long timeoutMs) {
    Message m = read(timeoutMs);
    return m == null || m.ended() ? null : m.text();
  }

  /** Reads until the connection ends or {@code timeoutMs} passes; returns how it ended, or null. */
  public Message awaitEnd(long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      Message m = read(Math.max(1, deadline - System.currentTimeMillis()));
      if (m != null && m.ended()) {
        return m;
      }
    }
    return null;
  }

  public boolean isClosed() {
    return closed;
  }

  private record Frame(int opcode, boolean fin, byte[] payload) {
  }

  private Frame nextFrame(long deadline) {
    while (true) {
      byte[] buf = pending.toByteArray();
      if (buf.length >= 2) {
        int b0 = buf[0] & 0xff;
        int b1 = buf[1] & 0xff;
        int opcode = b0 & 0x0f;
        boolean fin = (b0 & 0x80) != 0;
        boolean masked = (b1 & 0x80) != 0;
        long len = b1 & 0x7f;
        int at = 2;
        if (len == 126 && buf.length >= 4) {
          len = ((buf[2] & 0xff) << 8) | (buf[3] & 0xff);
          at = 4;
        } else if (len == 127 && buf.length >= 10) {
          len = 0;
          for (int i = 2; i < 10; i++) {
            len = (len << 8) | (buf[i] & 0xff);
          }
          at = 10;
        } else if (len >= 126) {
          at = -1;
        }
        if (at > 0) {
          int maskAt = at;
          at += masked ? 4 : 0;
          if (buf.length >= at + len) {
            byte[] payload = new byte[(int) len];
            System.arraycopy(buf, at, payload, 0, (int) len);
            if (masked) {
              for (int i = 0; i < payload.length; i++) {
                payload[i] ^= buf[maskAt + (i & 3)];
              }
            }
            pending.reset();
            pending.write(buf, at + (int) len, buf.length - at - (int) len);
            if (opcode == CLOSE) {
              closed = true;
            }
            return new Frame(opcode, fin, payload);
          }
        }
      }
      if (closed) {
        return new Frame(EOF, true, new byte[0]);
      }
      long wait = deadline - System.currentTimeMillis();
      if (wait <= 0) {
        return null;
      }
      if (!fill(wait)) {
        closed = true;
        if (pending.size() == 0) {
          return new Frame(EOF, true, new byte[0]);
        }
      }
    }
  }

  /** Reads what is available into {@link #pending}; false at EOF or reset, true otherwise (also on timeout). */
  private boolean fill(long waitMs) {
    byte[] chunk = new byte[65536];
    try {
      socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, waitMs)));
      int n = in.read(chunk);
      if (n < 0) {
        return false;
      }
      pending.write(chunk, 0, n);
      return true;
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private Handshake readHandshake(long deadline) throws IOException {
    while (true) {
      byte[] buf = pending.toByteArray();
      int end = indexOf(buf, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      if (end >= 0) {
        String head = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
        pending.reset();
        pending.write(buf, end + 4, buf.length - end - 4);
        String[] statusLine = head.split("\r\n", 2)[0].split(" ");
        int status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
        String body = "";
        if (status != 101) {
          body = readBody(head, deadline);
        }
        return new Handshake(status, head, body);
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("no handshake answer; got: " + new String(buf, StandardCharsets.ISO_8859_1));
      }
      if (!fill(deadline - System.currentTimeMillis())) {
        throw new IOException("connection closed during the handshake; got: " + new String(buf, StandardCharsets.ISO_8859_1));
      }
    }
  }

  private String readBody(String head, long deadline) {
    int length = -1;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    long bodyDeadline = Math.min(deadline, System.currentTimeMillis() + 2000);
    while ((length < 0 || pending.size() < length) && System.currentTimeMillis() < bodyDeadline) {
      if (!fill(bodyDeadline - System.currentTimeMillis())) {
        break;
      }
    }
    byte[] b = pending.toByteArray();
    return new String(b, 0, length < 0 ? b.length : Math.min(length, b.length), StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() {
    if (!closed && handshake != null && upgraded()) {
      sendFrame(CLOSE, true, new byte[] {0x03, (byte) 0xe8});
      closed = true;
    }
    try {
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }
}
