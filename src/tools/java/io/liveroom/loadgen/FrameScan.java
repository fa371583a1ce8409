package io.liveroom.loadgen;

/**
 * Reads the {@code seq} of every item of a {@code danmaku} push from the bytes of a WebSocket
 * text frame, without decoding UTF-8 or JSON: the counting receivers of the load generator (all
 * but its latency sample) check continuity with it at millions of items a second.
 *
 * <p>Two framings, as the node writes them:
 * <ul>
 *   <li>raw WebSocket ({@code /rt/websocket}): the frame is the push itself,
 *       {@code {"push":"danmaku","room":"r","epoch":7,"items":[{"seq":41,...},...]}};</li>
 *   <li>SockJS ({@code /rt/<server>/<session>/websocket}): an array frame
 *       {@code a["{\"push\":\"danmaku\",...}",...]} of one or more messages, each a JSON string,
 *       so every quote of the push is escaped once more.</li>
 * </ul>
 * It is exact because of JSON escaping: a quote inside a string value is always escaped, so the
 * key patterns {@code "seq":} (and {@code \"seq\":} inside a SockJS string, where a quote of a
 * value reads {@code \\\"}) only occur as keys. The push's own keys ({@code push, room, epoch,
 * items}) hold no {@code seq}, and an item has exactly one, its first ({@code Pushes.item}): the
 * scan looks for {@code {"seq":}, whose first byte is rare in JSON, so most bytes cost one compare.
 */
final class FrameScan {
  /** What a push holds, in order: its epoch, then each item's seq. */
  interface Items {
    void epoch(long epoch);

    void item(long seq);
  }

  private static final byte[] RAW_PUSH = bytes("{\"push\":\"danmaku\",");
  private static final byte[] RAW_EPOCH = bytes("\"epoch\":");
  /** An item's start: its first key is {@code seq} (Pushes.item), and '{' is rare in JSON, so the scan skips fast. */
  private static final byte[] RAW_SEQ = bytes("{\"seq\":");
  private static final byte[] SOCKJS_PUSH = bytes("{\\\"push\\\":\\\"danmaku\\\",");
  private static final byte[] SOCKJS_EPOCH = bytes("\\\"epoch\\\":");
  private static final byte[] SOCKJS_SEQ = bytes("{\\\"seq\\\":");

  private FrameScan() {
  }

  /**
   * Reads the danmaku push(es) of {@code b[from..to)}; the number of items read, or -1 (and
   * nothing reported) when the frame is not danmaku pushes only (a reply, another push, a SockJS
   * frame holding one): the caller decodes those.
   */
  static int danmaku(byte[] b, int from, int to, Items c) {
    if (startsWith(b, from, to, RAW_PUSH)) {
      return push(b, from, to, RAW_EPOCH, RAW_SEQ, c);
    }
    if (to - from < 4 || b[from] != 'a' || b[from + 1] != '[' || b[from + 2] != '"') {
      return -1;
    }
    // a SockJS array frame: first check that every message is a danmaku push, then read them
    for (int at = from + 2; at < to && b[at] == '"'; ) {
      if (!startsWith(b, at + 1, to, SOCKJS_PUSH)) {
        return -1;
      }
      at = endOfString(b, at + 1, to) + 2; // past the closing quote and the ',' or ']'
    }
    int items = 0;
    for (int at = from + 2; at < to && b[at] == '"'; ) {
      int end = endOfString(b, at + 1, to);
      items += push(b, at + 1, end, SOCKJS_EPOCH, SOCKJS_SEQ, c);
      at = end + 2;
    }
    return items;
  }

  /** One push in {@code b[from..to)}, its keys spelt {@code epoch} and {@code seq}. */
  private static int push(byte[] b, int from, int to, byte[] epoch, byte[] seq, Items c) {
    int e = indexOf(b, from, to, epoch);
    if (e < 0) {
      return 0;
    }
    c.epoch(number(b, e + epoch.length, to));
    int items = 0;
    for (int at = indexOf(b, e, to, seq); at >= 0; at = indexOf(b, at + seq.length, to, seq)) {
      c.item(number(b, at + seq.length, to));
      items++;
    }
    return items;
  }

  /** The index of the quote that ends the JSON string whose first character is at {@code from} ({@code to} if none). */
  private static int endOfString(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == '\\') {
        i++;
      } else if (b[i] == '"') {
        return i;
      }
    }
    return to;
  }

  static int indexOf(byte[] b, int from, int to, byte[] p) {
    byte first = p[0];
    for (int i = from, last = to - p.length; i <= last; i++) {
      if (b[i] == first && startsWith(b, i, to, p)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, int at, int to, byte[] p) {
    if (to - at < p.length) {
      return false;
    }
    for (int i = 0; i < p.length; i++) {
      if (b[at + i] != p[i]) {
        return false;
      }
    }
    return true;
  }

  private static long number(byte[] b, int from, int to) {
    long v = 0;
    for (int i = from; i < to && b[i] >= '0' && b[i] <= '9'; i++) {
      v = v * 10 + (b[i] - '0');
    }
    return v;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
