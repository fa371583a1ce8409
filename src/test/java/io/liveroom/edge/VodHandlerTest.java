package io.liveroom.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.edge.VodHandler.ByteRange;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The parts of {@link VodHandler} that need no server: Range parsing and path checks. */
class VodHandlerTest {
  private static final long SIZE = 1000;

  private static List<ByteRange> parse(String header) {
    return VodHandler.parseRanges(header, SIZE);
  }

  @Test
  void singleRanges() {
    assertEquals(List.of(new ByteRange(0, 99)), parse("bytes=0-99"));
    assertEquals(List.of(new ByteRange(500, 999)), parse("bytes=500-"));
    assertEquals(List.of(new ByteRange(900, 999)), parse("bytes=-100"));
    assertEquals(List.of(new ByteRange(0, 999)), parse("bytes=-5000"), "a suffix longer than the file is the file");
    assertEquals(List.of(new ByteRange(990, 999)), parse("bytes=990-5000"), "the last position is clamped");
    assertEquals(List.of(new ByteRange(999, 999)), parse("bytes=999-999"));
    assertEquals(List.of(new ByteRange(0, 9)), parse("Bytes = 0-9"), "the unit is case-insensitive");
    assertEquals(List.of(new ByteRange(5, 999)), parse("bytes=5-99999999999999999999999"), "a huge last position");
  }

  @Test
  void unsatisfiableRangesGiveAnEmptyList() {
    assertEquals(List.of(), parse("bytes=1000-"));
    assertEquals(List.of(), parse("bytes=5000-6000"));
    assertEquals(List.of(), parse("bytes=-0"));
    assertEquals(List.of(), parse("bytes=99999999999999999999999-"));
    assertEquals(List.of(), VodHandler.parseRanges("bytes=0-0", 0), "nothing of an empty file is satisfiable");
    assertEquals(List.of(), parse("bytes=1000-1001,2000-"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"items=0-1", "bytes", "bytes=", "bytes=,", "bytes=abc", "bytes=5-2", "bytes=--5", "bytes=1-2-3",
      "bytes=0x10-20", "bytes=+1-2", "bytes=1 -2", "bytes=0-1,abc"})
  void malformedHeadersAreIgnored(String header) {
    assertNull(parse(header), header);
  }

  @Test
  void severalRangesAreSortedAndOverlapsMerged() {
    assertEquals(List.of(new ByteRange(0, 99), new ByteRange(500, 599)), parse("bytes=500-599, 0-99"));
    assertEquals(List.of(new ByteRange(0, 149)), parse("bytes=0-99,50-149"));
    assertEquals(List.of(new ByteRange(0, 199)), parse("bytes=0-99,100-199"), "adjacent ranges merge");
    assertEquals(List.of(new ByteRange(0, 9), new ByteRange(900, 999)), parse("bytes=0-9,-100"));
    assertEquals(List.of(new ByteRange(0, 9)), parse("bytes=0-9,2000-"), "unsatisfiable ranges drop out");
    assertEquals(List.of(new ByteRange(0, 9)), parse("bytes=0-9,,"), "empty list elements are skipped");
  }

  @Test
  void tooManyRangesAreIgnored() {
    StringBuilder h = new StringBuilder("bytes=0-0");
    for (int i = 1; i < VodHandler.MAX_RANGES; i++) {
      h.append(',').append(i * 10).append('-').append(i * 10);
    }
    assertEquals(VodHandler.MAX_RANGES, parse(h.toString()).size());
    assertNull(parse(h + ",990-999"));
  }

  @Test
  void safePathsDecode() {
    assertEquals("rec-1.mp4", VodHandler.safeRelativePath("rec-1.mp4"));
    assertEquals("room-a/seg-0.ts", VodHandler.safeRelativePath("room-a/seg-0.ts"));
    assertEquals("my show/é.mp4", VodHandler.safeRelativePath("my%20show/%C3%A9.mp4"));
    assertEquals("a..b.mp4", VodHandler.safeRelativePath("a..b.mp4"), "dots inside a name are fine");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "..", "../x", "a/../../x", "%2e%2e/x", "%2E%2E", "room-a%2f..%2f..%2fpom.xml",
      "room-a%2F..", "..%5c..", "a%5Cb", "a\\b", ".secret", "a/.hidden/b", "%2esecret", ".", "a/./b", "a//b", "/etc/passwd",
      "a/", "rec.mp4%00.txt", "a%0Ab", "a%7Fb", "%", "a%2", "a%zz", "%C3%28", "%FF"})
  void unsafePathsAreRefused(String raw) {
    assertNull(VodHandler.safeRelativePath(raw), raw);
  }

  @Test
  void ifRangeNeedsAStrongMatch() {
    String etag = "\"5f5e100-3e8\"";
    assertTrue(VodHandler.ifRangeHolds(null, etag, 100_000_000));
    assertTrue(VodHandler.ifRangeHolds(etag, etag, 100_000_000));
    assertFalse(VodHandler.ifRangeHolds("W/" + etag, etag, 100_000_000));
    assertFalse(VodHandler.ifRangeHolds("\"other\"", etag, 100_000_000));
    assertTrue(VodHandler.ifRangeHolds("Sat, 03 Mar 1973 09:46:40 GMT", etag, 100_000_000));
    assertFalse(VodHandler.ifRangeHolds("Sat, 03 Mar 1973 09:46:41 GMT", etag, 100_000_000));
    assertFalse(VodHandler.ifRangeHolds("yesterday", etag, 100_000_000));
  }

  @Test
  void contentTypesByExtension() {
    assertEquals("video/mp4", VodHandler.contentType("a/rec.MP4"));
    assertEquals("application/vnd.apple.mpegurl", VodHandler.contentType("index.m3u8"));
    assertEquals("video/mp2t", VodHandler.contentType("seg-0.ts"));
    assertEquals("audio/mp4", VodHandler.contentType("audio.m4a"));
    assertEquals("video/webm", VodHandler.contentType("clip.webm"));
    assertEquals("application/octet-stream", VodHandler.contentType("notes.html"));
    assertEquals("application/octet-stream", VodHandler.contentType("README"));
  }
}
