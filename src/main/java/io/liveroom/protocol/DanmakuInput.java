package io.liveroom.protocol;

import io.liveroom.error.LiveroomException;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A validated danmaku body ({@code text}, {@code color}, {@code mode}, {@code progress}), as the
 * real-time {@code send} and the REST publish take it. Text is stripped of control and bidi
 * override characters and trimmed; colors are lower-cased; defaults as PROTOCOL.md says.
 */
public record DanmakuInput(String text, String color, String mode, long progress) {
  private static final Pattern COLOR = Pattern.compile("^#[0-9a-fA-F]{6}$");

  /** Parses {@code body}; {@code prefix} names the fields in errors ({@code body.} on the socket). */
  public static DanmakuInput parse(JsonObject body, int maxTextLength, String prefix) {
    if (!(body.getValue("text") instanceof String raw)) {
      throw LiveroomException.badRequest(prefix + "text must be a string");
    }
    String text = normalise(raw);
    int len = text.codePointCount(0, text.length());
    if (len == 0 || len > maxTextLength) {
      throw LiveroomException.badRequest(prefix + "text must have 1 to " + maxTextLength + " characters");
    }
    String color = "#ffffff";
    Object c = body.getValue("color");
    if (c != null) {
      if (!(c instanceof String cs) || !COLOR.matcher(cs).matches()) {
        throw LiveroomException.badRequest(prefix + "color must be #rrggbb");
      }
      color = cs.toLowerCase(Locale.ROOT);
    }
    String mode = "scroll";
    Object m = body.getValue("mode");
    if (m != null) {
      if (!(m instanceof String ms) || !(ms.equals("scroll") || ms.equals("top") || ms.equals("bottom"))) {
        throw LiveroomException.badRequest(prefix + "mode must be scroll, top or bottom");
      }
      mode = ms;
    }
    long progress = -1;
    Object p = body.getValue("progress");
    if (p != null) {
      if (!(p instanceof Number pn) || pn.doubleValue() < 0 || pn.doubleValue() > 1e15
          || pn.doubleValue() != Math.rint(pn.doubleValue())) {
        throw LiveroomException.badRequest(prefix + "progress must be a non-negative integer (milliseconds)");
      }
      progress = pn.longValue();
    }
    return new DanmakuInput(text, color, mode, progress);
  }

  /** An idempotency key: absent, or 1 to 64 characters. */
  public static String key(Object k) {
    if (k == null) {
      return null;
    }
    if (!(k instanceof String ks) || ks.isEmpty() || ks.length() > 64) {
      throw LiveroomException.badRequest("key must be a string of 1 to 64 characters");
    }
    return ks;
  }

  /**
   * Bidi embeddings, overrides, isolates and marks, zero-width space, BOM, line and paragraph
   * separators: characters that spoof or break one-line text. The zero-width joiner stays (emoji).
   */
  private static boolean invisible(char c) {
    return c >= '\u202A' && c <= '\u202E' || c >= '\u2066' && c <= '\u2069' || c == '\u200B' || c == '\u200E'
        || c == '\u200F' || c == '\u061C' || c == '\uFEFF' || c == '\u2028' || c == '\u2029';
  }

  /** Trims and drops control and bidi-override characters (newlines too: danmaku are one line). */
  public static String normalise(String raw) {
    StringBuilder sb = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char ch = raw.charAt(i);
      if (!Character.isISOControl(ch) && !invisible(ch)) {
        sb.append(ch);
      }
    }
    return sb.toString().strip();
  }
}
