package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves recordings at {@code /vod/*} from the folder {@code vod.folder} (PROTOCOL.md section 3).
 * A whole file or one byte range goes out with zero-copy {@code sendFile}; several ranges go out
 * as {@code multipart/byteranges}. Strong ETags answer {@code If-None-Match}, and
 * {@code If-Range} guards resumed downloads. Nothing outside the folder's real path is served:
 * {@code ..}, encoded slashes, backslashes, control characters, hidden names, directories and
 * symlinks leading out all answer 404, exactly like a missing file. Every file-system call runs
 * on a worker thread.
 */
public final class VodHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(VodHandler.class);
  /** A Range header with more ranges than this is ignored (200 with the whole file). */
  static final int MAX_RANGES = 16;
  /** Read size for multipart bodies, the one path that cannot use sendFile. */
  private static final int CHUNK = 64 * 1024;
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final String OCTET_STREAM = "application/octet-stream";
  private static final Map<String, String> TYPES = Map.of(
      "mp4", "video/mp4",
      "m4v", "video/mp4",
      "m4a", "audio/mp4",
      "m4s", "video/iso.segment",
      "m3u8", "application/vnd.apple.mpegurl",
      "ts", "video/mp2t",
      "webm", "video/webm",
      "mpd", "application/dash+xml",
      "vtt", "text/vtt; charset=utf-8");

  private final Vertx vertx;
  /** Null when /vod is switched off. */
  private final Path folder;
  private final String cacheControl;

  public VodHandler(Vertx vertx, LiveroomConfig.Vod config) {
    this.vertx = vertx;
    this.folder = config.enabled() ? Path.of(config.folder()).toAbsolutePath() : null;
    this.cacheControl = config.maxAgeSeconds() == 0 ? "no-cache" : "public, max-age=" + config.maxAgeSeconds();
  }

  /** An inclusive byte range of a file. */
  record ByteRange(long first, long last) {
    long length() {
      return last - first + 1;
    }
  }

  /** A regular file under the folder, checked on a worker; {@code channel} is open for GETs only. */
  private record Recording(String name, long size, long modifiedSec, FileChannel channel) {
    /** Strong, and the same on every node that holds a copy with the same size and mtime. */
    String etag() {
      return "\"" + Long.toHexString(modifiedSec) + "-" + Long.toHexString(size) + "\"";
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
      ctx.response().putHeader(HttpHeaders.ALLOW, "GET, HEAD");
      ApiErrors.send(ctx, new LiveroomException(ErrorCode.BAD_REQUEST, 405, "recordings are read with GET or HEAD"));
      return;
    }
    String rel = folder == null ? null : requestedPath(ctx);
    if (rel == null) {
      notFound(ctx);
      return;
    }
    boolean reading = method == HttpMethod.GET;
    vertx.executeBlocking(() -> open(rel, reading), false).onComplete(ar -> {
      if (ar.failed()) {
        ApiErrors.send(ctx, ar.cause());
      } else if (ar.result() == null) {
        notFound(ctx);
      } else {
        serve(ctx, ar.result());
      }
    });
  }

  private static void notFound(RoutingContext ctx) {
    ApiErrors.send(ctx, new LiveroomException(ErrorCode.NOT_FOUND, "no such recording"));
  }

  /** The path below the route's prefix, checked by {@link #safeRelativePath}, or null. */
  private static String requestedPath(RoutingContext ctx) {
    String route = ctx.currentRoute().getPath();
    if (route == null) {
      return null;
    }
    String mount = ctx.mountPoint();
    String prefix = mount == null ? route : mount.replaceAll("/+$", "") + route;
    // the normalized path has dot segments removed and only unreserved characters decoded,
    // so %2F, %5C and %00 are still visible here
    String path = ctx.normalizedPath();
    return path.startsWith(prefix) ? safeRelativePath(path.substring(prefix.length())) : null;
  }

  /**
   * Decodes a still percent-encoded relative path, or returns null when it could leave the folder
   * or name something not served: encoded slashes or backslashes, bad escapes or UTF-8, empty,
   * {@code .} and {@code ..} segments, hidden names, backslashes and control characters (NUL too).
   */
  static String safeRelativePath(String raw) {
    String lower = raw.toLowerCase(Locale.ROOT);
    if (raw.isEmpty() || lower.contains("%2f") || lower.contains("%5c")) {
      return null;
    }
    String path = percentDecode(raw);
    if (path == null) {
      return null;
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.charAt(0) == '.') {
        return null;
      }
      for (int i = 0; i < segment.length(); i++) {
        char c = segment.charAt(i);
        if (c < 0x20 || c == 0x7f || c == '\\') {
          return null;
        }
      }
    }
    return path;
  }

  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    for (int i = 0; i < in.length; i++) {
      if (in[i] != '%') {
        out.write(in[i]);
        continue;
      }
      int hi = i + 2 < in.length ? Character.digit(in[i + 1], 16) : -1;
      int lo = i + 2 < in.length ? Character.digit(in[i + 2], 16) : -1;
      if (hi < 0 || lo < 0) {
        return null;
      }
      out.write(hi << 4 | lo);
      i += 2;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(out.toByteArray())).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** On a worker: the file if its real path lies under the folder's real path and is served. */
  private Recording open(String rel, boolean reading) throws IOException {
    try {
      Path root = folder.toRealPath();
      Path real = root.resolve(rel).toRealPath();
      if (!real.startsWith(root) || hidden(root.relativize(real))) {
        return null;
      }
      BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.isRegularFile()) {
        return null;
      }
      // NOFOLLOW: a symlink swapped in since toRealPath is refused, not followed
      FileChannel channel = reading ? FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS) : null;
      return new Recording(rel, attrs.size(), attrs.lastModifiedTime().to(TimeUnit.SECONDS), channel);
    } catch (FileSystemException e) {
      // missing, not a directory, a symlink loop, no permission: all look like a missing file
      return null;
    }
  }

  private static boolean hidden(Path relative) {
    for (Path name : relative) {
      if (name.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private void serve(RoutingContext ctx, Recording rec) {
    HttpServerRequest req = ctx.request();
    HttpServerResponse res = ctx.response();
    if (res.closed()) {
      close(rec);
      return;
    }
    String etag = rec.etag();
    res.putHeader(HttpHeaders.DATE, HTTP_DATE.format(Instant.now()))
        .putHeader(HttpHeaders.ACCEPT_RANGES, "bytes")
        .putHeader(HttpHeaders.ETAG, etag)
        .putHeader(HttpHeaders.LAST_MODIFIED, HTTP_DATE.format(Instant.ofEpochSecond(rec.modifiedSec())));
    if (notModified(req, etag, rec.modifiedSec())) {
      close(rec);
      res.setStatusCode(304).putHeader(HttpHeaders.CACHE_CONTROL, cacheControl).end();
      return;
    }
    // Range is defined for GET only (RFC 9110 14.2): a HEAD gets the headers of the whole file
    String range = req.method() == HttpMethod.GET ? req.getHeader("Range") : null;
    List<ByteRange> ranges = range != null && ifRangeHolds(req.getHeader("If-Range"), etag, rec.modifiedSec())
        ? parseRanges(range, rec.size()) : null;
    if (ranges != null && ranges.isEmpty()) {
      close(rec);
      res.putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + rec.size());
      ApiErrors.send(ctx, new LiveroomException(ErrorCode.BAD_REQUEST, 416,
          "range not satisfiable: the recording has " + rec.size() + " bytes"));
      return;
    }
    String type = contentType(rec.name());
    res.putHeader(HttpHeaders.CACHE_CONTROL, cacheControl).putHeader("X-Content-Type-Options", "nosniff");
    if (ranges == null) {
      res.putHeader(HttpHeaders.CONTENT_TYPE, type).putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(rec.size()));
      if (rec.channel() == null) {
        res.end();
      } else {
        send(res, rec, 0, rec.size());
      }
    } else if (ranges.size() == 1) {
      ByteRange r = ranges.get(0);
      res.setStatusCode(206)
          .putHeader(HttpHeaders.CONTENT_TYPE, type)
          .putHeader(HttpHeaders.CONTENT_RANGE, contentRange(r, rec.size()));
      send(res, rec, r.first(), r.length());
    } else {
      sendParts(res, rec, type, ranges);
    }
  }

  private void send(HttpServerResponse res, Recording rec, long offset, long length) {
    Future<Void> sent;
    try {
      sent = res.sendFile(rec.channel(), offset, length);
    } catch (RuntimeException e) {
      // the client went away before the response started
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> close(rec));
  }

  /** Several ranges as one multipart/byteranges body of known length, read chunk by chunk on workers. */
  private void sendParts(HttpServerResponse res, Recording rec, String type, List<ByteRange> ranges) {
    String boundary = Long.toHexString(ThreadLocalRandom.current().nextLong())
        + Long.toHexString(ThreadLocalRandom.current().nextLong());
    List<Buffer> heads = new ArrayList<>();
    long length = 0;
    for (ByteRange r : ranges) {
      Buffer head = Buffer.buffer((heads.isEmpty() ? "" : "\r\n") + "--" + boundary + "\r\n"
          + "Content-Type: " + type + "\r\n"
          + "Content-Range: " + contentRange(r, rec.size()) + "\r\n\r\n", "US-ASCII");
      heads.add(head);
      length += head.length() + r.length();
    }
    Buffer tail = Buffer.buffer("\r\n--" + boundary + "--\r\n", "US-ASCII");
    length += tail.length();
    res.setStatusCode(206)
        .putHeader(HttpHeaders.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary)
        .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
    Future<Void> body = Future.succeededFuture();
    for (int i = 0; i < ranges.size(); i++) {
      Buffer head = heads.get(i);
      ByteRange r = ranges.get(i);
      body = body.compose(v -> res.write(head)).compose(v -> copy(res, rec.channel(), r.first(), r.last()));
    }
    body.compose(v -> res.end(tail)).onComplete(ar -> {
      close(rec);
      if (ar.failed() && !res.ended()) {
        LOG.debug("multipart recording response for {} broken off", rec.name(), ar.cause());
        res.reset();
      }
    });
  }

  private Future<Void> copy(HttpServerResponse res, FileChannel channel, long from, long last) {
    if (from > last) {
      return Future.succeededFuture();
    }
    int n = (int) Math.min(CHUNK, last - from + 1);
    return vertx.executeBlocking(() -> read(channel, from, n), false)
        .compose(res::write)
        .compose(v -> copy(res, channel, from + n, last));
  }

  private static Buffer read(FileChannel channel, long position, int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (channel.read(b, position + b.position()) < 0) {
        throw new EOFException("the recording shrank while it was being sent");
      }
    }
    return Buffer.buffer(b.array());
  }

  private void close(Recording rec) {
    if (rec.channel() != null) {
      vertx.executeBlocking(() -> {
        rec.channel().close();
        return null;
      }, false);
    }
  }

  private static String contentRange(ByteRange r, long size) {
    return "bytes " + r.first() + "-" + r.last() + "/" + size;
  }

  static String contentType(String name) {
    int dot = name.lastIndexOf('.');
    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    return TYPES.getOrDefault(ext, OCTET_STREAM);
  }

  /**
   * {@code If-None-Match} (weak comparison, {@code *} matches any file), else
   * {@code If-Modified-Since} (whole seconds).
   */
  private static boolean notModified(HttpServerRequest req, String etag, long modifiedSec) {
    String noneMatch = req.getHeader(HttpHeaders.IF_NONE_MATCH);
    if (noneMatch != null) {
      String opaque = withoutWeak(etag);
      for (String tag : noneMatch.split(",")) {
        String t = tag.strip();
        if (t.equals("*") || withoutWeak(t).equals(opaque)) {
          return true;
        }
      }
      return false;
    }
    String since = req.getHeader(HttpHeaders.IF_MODIFIED_SINCE);
    long t = since == null ? -1 : parseDate(since);
    return t >= 0 && modifiedSec <= t;
  }

  private static String withoutWeak(String tag) {
    return tag.startsWith("W/") ? tag.substring(2) : tag;
  }

  /** {@code If-Range}: the ranges apply only if the client's copy is this very file (strong match). */
  static boolean ifRangeHolds(String ifRange, String etag, long modifiedSec) {
    if (ifRange == null) {
      return true;
    }
    String v = ifRange.strip();
    if (v.startsWith("\"") || v.startsWith("W/")) {
      return v.equals(etag);
    }
    return parseDate(v) == modifiedSec;
  }

  /** Epoch seconds of an HTTP date, or -1. */
  private static long parseDate(String s) {
    try {
      return DateTimeFormatter.RFC_1123_DATE_TIME.parse(s.strip(), Instant::from).getEpochSecond();
    } catch (DateTimeParseException e) {
      return -1;
    }
  }

  /**
   * The satisfiable ranges of a {@code Range} header for a file of {@code size} bytes, sorted
   * and with overlapping or adjacent ranges merged; empty when none is satisfiable (416); null when
   * the header is to be ignored (200 with the whole file): another unit, bad syntax, a last
   * position before the first, or more than {@link #MAX_RANGES} ranges.
   */
  static List<ByteRange> parseRanges(String header, long size) {
    int eq = header.indexOf('=');
    if (eq < 0 || !header.substring(0, eq).strip().equalsIgnoreCase("bytes")) {
      return null;
    }
    List<ByteRange> ranges = new ArrayList<>();
    int specs = 0;
    for (String part : header.substring(eq + 1).split(",", -1)) {
      String spec = part.strip();
      if (spec.isEmpty()) {
        continue;
      }
      if (++specs > MAX_RANGES) {
        return null;
      }
      int dash = spec.indexOf('-');
      if (dash < 0) {
        return null;
      }
      String a = spec.substring(0, dash);
      String b = spec.substring(dash + 1);
      if (a.isEmpty()) {
        long suffix = digits(b);
        if (suffix < 0) {
          return null;
        }
        if (suffix > 0 && size > 0) {
          ranges.add(new ByteRange(Math.max(0, size - suffix), size - 1));
        }
      } else {
        long first = digits(a);
        long last = b.isEmpty() ? Long.MAX_VALUE : digits(b);
        if (first < 0 || last < first) {
          return null;
        }
        if (first < size) {
          ranges.add(new ByteRange(first, Math.min(last, size - 1)));
        }
      }
    }
    if (specs == 0) {
      return null;
    }
    ranges.sort(Comparator.comparingLong(ByteRange::first));
    List<ByteRange> merged = new ArrayList<>();
    for (ByteRange r : ranges) {
      ByteRange prev = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (prev != null && r.first() <= prev.last() + 1) {
        merged.set(merged.size() - 1, new ByteRange(prev.first(), Math.max(prev.last(), r.last())));
      } else {
        merged.add(r);
      }
    }
    return merged;
  }

  /** A non-negative decimal; Long.MAX_VALUE when it does not fit, -1 when it is not one. */
  private static long digits(String s) {
    if (s.isEmpty()) {
      return -1;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return -1;
      }
    }
    String d = s.replaceFirst("^0+(?=.)", "");
    return d.length() > 18 ? Long.MAX_VALUE : Long.parseLong(d);
  }
}
