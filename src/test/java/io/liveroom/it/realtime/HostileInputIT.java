package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.LogCapture;
import io.liveroom.testing.RawWebSocket;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile input on live real-time connections of real nodes (node 0 verifies
 * HS256 tokens, node 1 RS256). Every case must get its documented error or refusal
 * (docs/protocol-notes.md), nothing may reach the server log as an ERROR, and neighbours in the
 * same room (one on each node) must keep receiving: after each case a well-behaved sender posts
 * a probe and both neighbours must get it. The cases are tables; a randomized fuzz of the command
 * decoder (fixed seed, bounded) checks the same three properties.
 */
@RedisAndCluster(nodes = 2)
class HostileInputIT {
  private static final String ROOM = "hostile";
  private static final String NO_GUESTS = "hostile-members-only";
  private static final String ENDED = "hostile-ended";
  /** The codes a command may fail with (PROTOCOL.md); INTERNAL would mean a bug. */
  private static final Set<String> DOCUMENTED = Set.of("BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND",
      "ROOM_CLOSED", "ROOM_FULL", "RATE_LIMITED", "SLOW_MODE", "MUTED", "BANNED", "TOO_LARGE", "UNAVAILABLE");
  /** Expected reply id: do not check it. */
  private static final Object ANY_ID = new Object();
  /** Expected outcome: the server ends the connection. */
  private static final String ENDS = "connection ends";

  private static TestCluster cluster;
  private static LogCapture logs;
  private static KeyPair rsa;
  private static RtClient sender;
  private static final List<RtClient> neighbours = new ArrayList<>();
  private static int probes;
  private static int users;

  private enum Stage {
    /** A fresh connection, no hello. */
    NEW,
    /** hello without a token. */
    GUEST,
    /** hello with a user token, joined to {@link #ROOM}. */
    MEMBER,
    /** hello with a token that makes the user a host of {@link #ROOM}, joined to it. */
    HOST
  }

  /** One hostile frame and what it must get: an error code, "ok" for success, or {@link #ENDS}. */
  private record Case(String name, Stage stage, byte[] frame, boolean binary, String expect, Object id) {
  }

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    rsa = gen.generateKeyPair();
    JsonObject rt = new JsonObject().put("maxViolations", 100)
        .put("sendRatePerSec", 100_000).put("sendBurst", 100_000)
        .put("roomMessagesPerSec", 1_000_000).put("roomMessagesBurst", 1_000_000)
        .put("ipConnectRatePerSec", 100_000).put("ipConnectBurst", 100_000);
    // no clock-skew leeway, so that a token expired by one second is expired
    cluster.start(0, new JsonObject().put("rt", rt)
        .put("auth", new JsonObject().put("jwt", new JsonObject().put("leewaySec", 0))));
    cluster.start(1, new JsonObject().put("rt", rt.copy())
        .put("auth", new JsonObject().put("jwt", new JsonObject().put("algorithm", "RS256").put("publicKey", publicPem())
            .put("leewaySec", 0))));
    cluster.awaitClusterSafe();
    createRoom(ROOM, true);
    createRoom(NO_GUESTS, false);
    createRoom(ENDED, true);
    assertEquals(200, cluster.http(0).delete("/api/v1/rooms/" + ENDED).status());
    for (int node = 0; node < 2; node++) {
      RtClient n = RtClient.connect(cluster.client(), cluster.node(node).httpPort());
      assertTrue(n.hello(token(node, "neighbour-" + node)).getBoolean("ok"));
      assertTrue(n.join(ROOM).getBoolean("ok"));
      neighbours.add(n);
    }
    sender = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    assertTrue(sender.hello(token(0, "prober")).getBoolean("ok"));
    assertTrue(sender.join(ROOM).getBoolean("ok"));
    logs = LogCapture.attach();
  }

  @AfterAll
  static void down() throws Exception {
    if (logs != null) {
      logs.close();
    }
    neighbours.forEach(RtClient::close);
    if (sender != null) {
      sender.close();
    }
  }

  @BeforeEach
  void clearLogs() {
    logs.clear();
  }

  @AfterEach
  void neighboursStillReceiveAndNothingWasLoggedAsAnError() throws Exception {
    probe("the end of the test");
    assertEquals("", logs.describeErrors(), "no ERROR in the server log");
  }

  // --- tables ----------------------------------------------------------------------------------

  @Test
  void malformedFramesGetBadRequestAndTheConnectionStaysUsable() {
    List<Case> cases = new ArrayList<>();
    for (String f : new String[] {"not json", "", " ", "\n", "null", "true", "42", "\"op\"", "[]", "[{\"id\":1,\"op\":\"ping\"}]",
        "{", "}", "{\"id\":1,\"op\":\"ping\",}", "{'id':1,'op':'ping'}", "{id:1,op:\"ping\"}", "# c\n{\"id\":1,\"op\":\"ping\"}",
        "{\"id\":1,\"op\":\"ping\"} {\"id\":2,\"op\":\"ping\"}", "{\"id\":1,\"op\":\"ping\"}x", "{\"id\":1,\"op\":\"ping\"\u0000}",
        "{\"id\":1,\"op\":\"ping\",\"x\":\"\u0001\"}", "{\"id\":1,\"op\":\"pi\nng\"}", "{\"id\":NaN,\"op\":\"ping\"}",
        "{\"id\":Infinity,\"op\":\"ping\"}", "{\"id\":-Infinity,\"op\":\"ping\"}", "{\"id\":01,\"op\":\"ping\"}",
        "{\"id\":0x10,\"op\":\"ping\"}", "{\"id\":1.,\"op\":\"ping\"}", "{\"id\":.5,\"op\":\"ping\"}", "{\"id\":+1,\"op\":\"ping\"}",
        "{\"id\":1,\"op\":\"ping\",\"x\":\"\\ud800\\u\"}", "{\"id\":1,\"op\":\"ping\",\"x\":\"\\x41\"}",
        "{\"id\":1" + "0".repeat(1200) + ",\"op\":\"ping\"}", "{\"id\":1,\"op\":\"ping\",\"x\":1" + "0".repeat(1200) + "}",
        // deep nesting: Jackson refuses more than 1000 levels, so these fail to parse (4,000 bytes each)
        "[".repeat(2000) + "]".repeat(2000), "[".repeat(4000), "{\"a\":".repeat(800),
        "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM + "\",\"body\":{\"text\":" + "[".repeat(1500) + "]".repeat(1500) + "}}"}) {
      cases.add(new Case(abbreviate(f), Stage.MEMBER, utf8(f), false, "BAD_REQUEST", null));
    }
    // well-formed JSON with odd shapes: parsed, then refused for what they lack
    cases.add(text("700 nested objects, no op", Stage.MEMBER, "{\"\":".repeat(700) + "1" + "}".repeat(700), "BAD_REQUEST", null));
    cases.add(text("body.text nested 900 deep", Stage.MEMBER, "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM
        + "\",\"body\":{\"text\":" + "[".repeat(900) + "]".repeat(900) + "}}", "BAD_REQUEST", 1L));
    cases.add(text("10,000 nested arrays (20,000 bytes: over the 4 KiB frame limit)", Stage.MEMBER,
        "[".repeat(10_000) + "]".repeat(10_000), "TOO_LARGE", null));
    // tolerated, and documented here: a UTF-8 BOM, comments (Vert.x's parser allows them), duplicate
    // keys (the last wins), binary frames
    cases.add(text("a /* comment */", Stage.MEMBER, "/* c */{\"id\":1,\"op\":\"ping\"}", "ok", 1L));
    cases.add(text("a // comment", Stage.MEMBER, "// c\n{\"id\":1,\"op\":\"ping\"}", "ok", 1L));
    cases.add(text("a BOM before the object", Stage.MEMBER, "\uFEFF{\"id\":1,\"op\":\"ping\"}", "ok", 1L));
    cases.add(text("a duplicate id: the last wins", Stage.MEMBER, "{\"id\":1,\"op\":\"ping\",\"id\":2}", "ok", 2L));
    cases.add(new Case("a binary frame", Stage.MEMBER, utf8("{\"id\":1,\"op\":\"ping\"}"), true, "ok", 1L));
    // invalid UTF-8: Jackson refuses it in a binary frame; a text frame fails the connection with
    // 1007 (RFC 6455 section 8.1; edge.WebSocketPipeline, see aTextMessageThatIsNotUtf8ClosesWith1007)
    byte[] badUtf8 = concat(utf8("{\"id\":1,\"op\":\"ping\",\"x\":\""), new byte[] {(byte) 0xC3, 0x28}, utf8("\"}"));
    cases.add(new Case("invalid UTF-8 (C3 28) in a binary frame", Stage.MEMBER, badUtf8, true, "BAD_REQUEST", null));
    cases.add(new Case("invalid UTF-8 (C3 28) in a text frame", Stage.MEMBER, badUtf8, false, ENDS, null));
    cases.add(new Case("UTF-16 BOM bytes FF FE in a binary frame", Stage.MEMBER,
        concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, utf8("{\"id\":1,\"op\":\"ping\"}"), new byte[0]), true, "BAD_REQUEST", null));
    for (byte[] seq : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}}) {
      // overlong '/', an encoded surrogate, a code point past U+10FFFF: Jackson's decoder lets them through
      cases.add(new Case("binary frame with " + hex(seq) + " in an ignored field", Stage.MEMBER,
          concat(utf8("{\"id\":1,\"op\":\"ping\",\"x\":\""), seq, utf8("\"}")), true, "ok", 1L));
      cases.add(new Case("binary frame with " + hex(seq) + " in a room id", Stage.MEMBER,
          concat(utf8("{\"id\":1,\"op\":\"join\",\"room\":\".."), seq, utf8("etc\"}")), true, "BAD_REQUEST", 1L));
    }
    assertCases(cases);
  }

  @Test
  void hugeAndOddNumbersAsIdSeqAndProgress() {
    List<Case> cases = new ArrayList<>();
    for (String id : new String[] {"1e400", "-1e400", "9223372036854775808", "-9223372036854775809", "1.5", "9e15",
        "18446744073709551616", "\"1\"", "\"NaN\"", "\"Infinity\"", "\"-0\"", "true", "[]", "{}", "[1]"}) {
      cases.add(text("id " + id, Stage.MEMBER, "{\"id\":" + id + ",\"op\":\"ping\"}", "BAD_REQUEST", null));
    }
    cases.add(text("id -0", Stage.MEMBER, "{\"id\":-0,\"op\":\"ping\"}", "ok", 0L));
    cases.add(text("id -0.0", Stage.MEMBER, "{\"id\":-0.0,\"op\":\"ping\"}", "ok", 0L));
    cases.add(text("id 1e-400 (underflows to 0)", Stage.MEMBER, "{\"id\":1e-400,\"op\":\"ping\"}", "ok", 0L));
    cases.add(text("id 1e15", Stage.MEMBER, "{\"id\":1e15,\"op\":\"ping\"}", "ok", 1_000_000_000_000_000L));
    cases.add(text("id 8999999999999999", Stage.MEMBER, "{\"id\":8999999999999999,\"op\":\"ping\"}", "ok", 8_999_999_999_999_999L));
    cases.add(text("id -7", Stage.MEMBER, "{\"id\":-7,\"op\":\"ping\"}", "ok", -7L));
    cases.add(text("id null is no id", Stage.MEMBER, "{\"id\":null,\"op\":\"ping\"}", "ok", null));
    for (String p : new String[] {"1e400", "-1e400", "9223372036854775808", "1e16", "-1", "1.5", "\"5\"", "\"NaN\"", "true",
        "[]", "{}"}) {
      cases.add(text("progress " + p, Stage.MEMBER, send("{\"text\":\"hi\",\"progress\":" + p + "}"), "BAD_REQUEST", 1L));
    }
    cases.add(text("progress -0", Stage.MEMBER, send("{\"text\":\"hi\",\"progress\":-0}"), "ok", 1L));
    cases.add(text("progress 1e15", Stage.MEMBER, send("{\"text\":\"hi\",\"progress\":1e15}"), "ok", 1L));
    for (String since : new String[] {"5", "\"x\"", "[]", "{}", "{\"epoch\":\"1\",\"seq\":1}", "{\"epoch\":1}", "{\"seq\":1}",
        "{\"epoch\":null,\"seq\":null}", "{\"epoch\":true,\"seq\":1}", "{\"epoch\":1,\"seq\":\"9223372036854775808\"}"}) {
      cases.add(text("since " + since, Stage.MEMBER, "{\"id\":1,\"op\":\"join\",\"room\":\"" + ROOM + "\",\"since\":" + since + "}",
          "BAD_REQUEST", 1L));
    }
    cases.add(text("since with seq 2^63 (not a long)", Stage.MEMBER,
        "{\"id\":1,\"op\":\"join\",\"room\":\"" + ROOM + "\",\"since\":{\"epoch\":1,\"seq\":9223372036854775808}}",
        "BAD_REQUEST", 1L));
    cases.add(text("since with epoch -1e400", Stage.MEMBER,
        "{\"id\":1,\"op\":\"join\",\"room\":\"" + ROOM + "\",\"since\":{\"epoch\":-1e400,\"seq\":-1}}",
        "BAD_REQUEST", 1L));
    for (String v : new String[] {"\"1\"", "2", "0", "-1", "1.5", "1e400", "4294967297", "true", "{}"}) {
      cases.add(text("hello v " + v, Stage.NEW, "{\"id\":1,\"op\":\"hello\",\"v\":" + v + "}", "BAD_REQUEST", 1L));
    }
    cases.add(text("hello v 1.0", Stage.NEW, "{\"id\":1,\"op\":\"hello\",\"v\":1.0}", "ok", 1L));
    assertCases(cases);
  }

  @Test
  void wrongTypesForEveryFieldOfEveryOp() {
    List<Case> cases = new ArrayList<>();
    String[] notAString = {"5", "null", "true", "[]", "{}", "1.5"};
    String[] badIds = {"\"\"", "\" \"", "\"../etc\"", "\"a/b\"", "\"" + "x".repeat(65) + "\"", "\"caf\u00e9\"",
        "\"\\u202Eabc\"", "\"a\\u0000\"", "\"-x\"", "\".x\""};
    // op itself
    cases.add(text("no op", Stage.MEMBER, "{\"id\":1}", "BAD_REQUEST", 1L));
    for (String op : notAString) {
      cases.add(text("op " + op, Stage.MEMBER, "{\"id\":1,\"op\":" + op + "}", "BAD_REQUEST", 1L));
    }
    for (String op : new String[] {"fly", "", "PING", "Hello", "ping\\u0000", "ping ", "__proto__", "constructor", "x".repeat(1000)}) {
      cases.add(text("unknown op " + abbreviate(op), Stage.MEMBER, "{\"id\":1,\"op\":\"" + op + "\"}", "BAD_REQUEST", 1L));
    }
    for (String op : new String[] {"join", "leave", "send", "ping", "moderate", "fly"}) {
      cases.add(text(op + " before hello", Stage.NEW, "{\"id\":1,\"op\":\"" + op + "\",\"room\":\"" + ROOM + "\"}",
          "UNAUTHORIZED", 1L));
    }
    // hello
    for (String t : new String[] {"5", "true", "[]", "{}", "1.5", "\"\""}) {
      cases.add(text("hello token " + t, Stage.NEW, "{\"id\":1,\"op\":\"hello\",\"token\":" + t + "}", "BAD_REQUEST", 1L));
    }
    cases.add(text("hello token null is a guest", Stage.NEW, "{\"id\":1,\"op\":\"hello\",\"token\":null}", "ok", 1L));
    cases.add(text("hello twice", Stage.GUEST, "{\"id\":1,\"op\":\"hello\"}", "BAD_REQUEST", 1L));
    // join, leave, send: room
    for (String op : new String[] {"join", "leave", "send", "moderate"}) {
      cases.add(text(op + " without room", Stage.MEMBER, "{\"id\":1,\"op\":\"" + op + "\"}", "BAD_REQUEST", 1L));
      for (String r : notAString) {
        cases.add(text(op + " room " + r, Stage.MEMBER, "{\"id\":1,\"op\":\"" + op + "\",\"room\":" + r + "}", "BAD_REQUEST", 1L));
      }
      for (String r : badIds) {
        cases.add(text(op + " room " + abbreviate(r), Stage.MEMBER, "{\"id\":1,\"op\":\"" + op + "\",\"room\":" + r
            + ",\"body\":{\"text\":\"hi\"}}", "BAD_REQUEST", 1L));
      }
    }
    cases.add(text("join a room that does not exist", Stage.MEMBER, "{\"id\":1,\"op\":\"join\",\"room\":\"no-such-room\"}",
        "NOT_FOUND", 1L));
    cases.add(text("join an ended room", Stage.MEMBER, "{\"id\":1,\"op\":\"join\",\"room\":\"" + ENDED + "\"}", "ROOM_CLOSED", 1L));
    cases.add(text("a guest joins a members-only room", Stage.GUEST, "{\"id\":1,\"op\":\"join\",\"room\":\"" + NO_GUESTS + "\"}",
        "FORBIDDEN", 1L));
    cases.add(text("leave a room not joined", Stage.MEMBER, "{\"id\":1,\"op\":\"leave\",\"room\":\"no-such-room\"}", "ok", 1L));
    cases.add(text("send to a room not joined", Stage.MEMBER, "{\"id\":1,\"op\":\"send\",\"room\":\"" + NO_GUESTS
        + "\",\"body\":{\"text\":\"hi\"}}", "FORBIDDEN", 1L));
    cases.add(text("a guest sends", Stage.GUEST, "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM + "\",\"body\":{\"text\":\"hi\"}}",
        "FORBIDDEN", 1L));
    // send: body and its fields, key
    cases.add(text("send without body", Stage.MEMBER, "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM + "\"}", "BAD_REQUEST", 1L));
    for (String b : new String[] {"5", "null", "true", "[]", "\"hi\"", "1.5", "[{\"text\":\"hi\"}]"}) {
      cases.add(text("send body " + b, Stage.MEMBER, send(b), "BAD_REQUEST", 1L));
    }
    for (String t : new String[] {"5", "null", "true", "[]", "{}", "\"\"", "\"   \"", "\"\\u0000\\u0007\\u001b\"", "\"\\u202E\\u2066\"",
        "\"\\r\\n\\t\"", "\"" + "x".repeat(201) + "\"", "\"" + "\ud83d\ude00".repeat(201) + "\""}) {
      cases.add(text("send body.text " + abbreviate(t), Stage.MEMBER, send("{\"text\":" + t + "}"), "BAD_REQUEST", 1L));
    }
    cases.add(text("send body without text", Stage.MEMBER, send("{\"color\":\"#ffffff\"}"), "BAD_REQUEST", 1L));
    for (String c : new String[] {"5", "true", "[]", "{}", "\"red\"", "\"#12345\"", "\"#1234567\"", "\"#gggggg\"", "\"\"", "\"#FFF\"",
        "\"#ffffff\\u0000\"", "\" #ffffff\""}) {
      cases.add(text("send body.color " + c, Stage.MEMBER, send("{\"text\":\"hi\",\"color\":" + c + "}"), "BAD_REQUEST", 1L));
    }
    for (String m : new String[] {"5", "true", "[]", "{}", "\"diagonal\"", "\"SCROLL\"", "\"\"", "\"scroll \""}) {
      cases.add(text("send body.mode " + m, Stage.MEMBER, send("{\"text\":\"hi\",\"mode\":" + m + "}"), "BAD_REQUEST", 1L));
    }
    for (String k : new String[] {"5", "true", "[]", "{}", "\"\"", "\"" + "k".repeat(65) + "\""}) {
      cases.add(text("send key " + abbreviate(k), Stage.MEMBER, "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM
          + "\",\"key\":" + k + ",\"body\":{\"text\":\"hi\"}}", "BAD_REQUEST", 1L));
    }
    cases.add(text("send with every optional field at its edge", Stage.MEMBER, "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM
        + "\",\"key\":\"" + "k".repeat(64) + "\",\"body\":{\"text\":\"" + "x".repeat(200) + "\",\"color\":\"#ABCDEF\",\"mode\":\"bottom\","
        + "\"progress\":0,\"extra\":{\"ignored\":[1,2,3]}},\"extra\":true}", "ok", 1L));
    // ping ignores what it does not need
    cases.add(text("ping with junk fields", Stage.MEMBER, "{\"id\":1,\"op\":\"ping\",\"room\":[],\"body\":5,\"__proto__\":{}}", "ok", 1L));
    // moderate: its fields are checked on the edge (BAD_REQUEST), then the owner checks the role
    for (String a : notAString) {
      cases.add(text("moderate action " + a, Stage.MEMBER, moderate("\"action\":" + a), "BAD_REQUEST", 1L));
    }
    cases.add(text("moderate without action", Stage.MEMBER, moderate("\"user\":\"x\""), "BAD_REQUEST", 1L));
    for (String u : new String[] {"5", "true", "[]", "{}", "\"\"", "\"../x\"", "\"a b\"", "\"" + "u".repeat(65) + "\""}) {
      cases.add(text("moderate user " + abbreviate(u), Stage.MEMBER, moderate("\"action\":\"kick\",\"user\":" + u), "BAD_REQUEST", 1L));
    }
    for (String field : new String[] {"epoch", "seq", "durationSec"}) {
      for (String n : new String[] {"\"5\"", "-1", "1.5", "1e400", "-1e400", "9223372036854775808", "1e13", "true", "[]", "{}"}) {
        cases.add(text("moderate " + field + " " + n, Stage.MEMBER, moderate("\"action\":\"delete\",\"" + field + "\":" + n),
            "BAD_REQUEST", 1L));
      }
    }
    for (String r : new String[] {"5", "[]", "{}", "\"" + "r".repeat(201) + "\""}) {
      cases.add(text("moderate reason " + abbreviate(r), Stage.MEMBER, moderate("\"action\":\"kick\",\"user\":\"x\",\"reason\":" + r),
          "BAD_REQUEST", 1L));
    }
    cases.add(text("a viewer bans", Stage.MEMBER, moderate("\"action\":\"ban\",\"user\":\"x\""), "FORBIDDEN", 1L));
    cases.add(text("a viewer uses an unknown action", Stage.MEMBER, moderate("\"action\":\"fly\""), "FORBIDDEN", 1L));
    cases.add(text("a guest moderates", Stage.GUEST, moderate("\"action\":\"kick\",\"user\":\"x\""), "FORBIDDEN", 1L));
    // a host gets the owner's checks; what succeeds here touches nobody in the room
    for (String m : new String[] {"\"action\":\"fly\"", "\"action\":\"\"", "\"action\":\"MUTE\",\"user\":\"x\"",
        "\"action\":\"mute\"", "\"action\":\"ban\"", "\"action\":\"delete\"", "\"action\":\"delete\",\"seq\":1e12",
        "\"action\":\"pin\",\"seq\":-0", "\"action\":\"slowmode\"", "\"action\":\"slowmode\",\"durationSec\":3601",
        "\"action\":\"slowmode\",\"durationSec\":1e12"}) {
      cases.add(text("a host: " + m, Stage.HOST, moderate(m), "BAD_REQUEST", 1L));
    }
    for (String m : new String[] {"\"action\":\"mute\",\"user\":\"nobody-1\",\"durationSec\":1e12",
        "\"action\":\"kick\",\"user\":\"nobody-2\",\"reason\":\"\\u0000\\u202E<b>x</b>\"",
        "\"action\":\"ban\",\"user\":\"nobody-3\"", "\"action\":\"unban\",\"user\":\"nobody-3\"", "\"action\":\"unpin\"",
        "\"action\":\"unmute\",\"user\":\"nobody-1\",\"seq\":0,\"durationSec\":0,\"extra\":[1]"}) {
      cases.add(text("a host: " + m, Stage.HOST, moderate(m), "ok", 1L));
    }
    assertCases(cases);
  }

  @Test
  void textIsStrippedOfControlsAndCarriedAsTextNeverMarkup() throws Exception {
    Map<String, String> expect = new LinkedHashMap<>();
    expect.put("a\u0000b\u0007c\u001Bd\u007Fe\u0085f\r\ng\th\u009Bi", "abcdefghi");
    expect.put("\u202Eevil\u202C", "evil");
    expect.put("\u202Aa\u202Bb\u202Dc\u2066d\u2067e\u2068f\u2069", "abcdef");
    expect.put("  padded  ", "padded");
    expect.put("<script>alert(1)</script>", "<script>alert(1)</script>");
    expect.put("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>");
    expect.put("\"><svg/onload=alert(1)>", "\"><svg/onload=alert(1)>");
    expect.put("{{constructor.constructor('alert(1)')()}}", "{{constructor.constructor('alert(1)')()}}");
    expect.put("javascript:alert(1)", "javascript:alert(1)");
    expect.put("</script><script>alert(1)</script>", "</script><script>alert(1)</script>");
    expect.put("\\u003cscript\\u003e", "\\u003cscript\\u003e");
    expect.put("\ud83d\ude00".repeat(200), "\ud83d\ude00".repeat(200));
    expect.put("e" + "\u0301".repeat(199), "e" + "\u0301".repeat(199));
    // Stripped too: bidi marks, the zero-width space, the BOM and the Unicode line and paragraph
    // separators (the zero-width joiner stays: emoji need it)
    expect.put("a\u200Fb\u200Ec\u061Cd", "abcd");
    expect.put("a\u200Bb\uFEFFc", "abc");
    expect.put("line\u2028break", "linebreak");
    expect.put("\ud83d\udc69\u200d\ud83d\udcbb", "\ud83d\udc69\u200d\ud83d\udcbb");
    RtClient member = RtClient.connect(cluster.client(), cluster.node(1).httpPort());
    assertTrue(member.hello(token(1, "texter")).getBoolean("ok"));
    assertTrue(member.join(ROOM).getBoolean("ok"));
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, String> e : expect.entrySet()) {
      JsonObject ack = member.send(ROOM, e.getKey());
      if (!ack.getBoolean("ok")) {
        failures.add(abbreviate(e.getKey()) + " -> " + ack.encode());
        continue;
      }
      for (RtClient n : neighbours) {
        JsonObject item = itemWithSeq(n, ack.getLong("seq"));
        if (item == null) {
          failures.add(abbreviate(e.getKey()) + " -> not delivered");
        } else if (!e.getValue().equals(item.getString("text"))) {
          failures.add(abbreviate(e.getKey()) + " -> delivered as " + escape(item.getString("text")));
        }
      }
    }
    member.close();
    // a lone surrogate (legal as a JSON escape, not in UTF-8) arrives as '?', the UTF-8 encoder's
    // replacement; a display name with a bidi override and a control character arrives as it is
    // (the name comes from the token: it is normalised like text, so controls and bidi overrides go)
    JsonObject claims = new JsonObject().put("sub", "spoofer").put("name", "\u202Eevil\u0007")
        .put("exp", System.currentTimeMillis() / 1000 + 600);
    try (RawWebSocket ws = RawWebSocket.connect(cluster.node(0).httpPort(), "/rt/websocket")) {
      ws.sendText(new JsonObject().put("id", 1).put("op", "hello")
          .put("token", hs256(new JsonObject().put("alg", "HS256"), claims, utf8(TestCluster.JWT_SECRET))).encode());
      assertTrue(reply(ws, 5000).getBoolean("ok"));
      ws.sendText("{\"id\":2,\"op\":\"join\",\"room\":\"" + ROOM + "\"}");
      assertTrue(reply(ws, 5000).getBoolean("ok"));
      ws.sendText("{\"id\":3,\"op\":\"send\",\"room\":\"" + ROOM + "\",\"body\":{\"text\":\"x\\ud800y\"}}");
      JsonObject ack = reply(ws, 5000);
      assertTrue(ack.getBoolean("ok"), ack.encode());
      for (RtClient n : neighbours) {
        JsonObject item = itemWithSeq(n, ack.getLong("seq"));
        assertNotNull(item);
        if (!"x?y".equals(item.getString("text"))) {
          failures.add("a lone surrogate -> delivered as " + escape(item.getString("text")));
        }
        if (!"evil".equals(item.getJsonObject("user").getString("name"))) {
          failures.add("a bidi override in the name -> delivered as " + escape(item.getJsonObject("user").getString("name")));
        }
      }
    }
    assertEquals(List.of(), failures);
    assertEquals("", logs.describeErrors());
  }

  @Test
  void forgedExpiredAndConfusedTokensAreUnauthorized() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    JsonObject claims = new JsonObject().put("sub", "mallory").put("exp", now + 300)
        .put("rooms", new JsonObject().put("*", "admin"));
    JsonObject hs = new JsonObject().put("alg", "HS256").put("typ", "JWT");
    byte[] secret = utf8(TestCluster.JWT_SECRET);
    String valid = hs256(hs, claims, secret);
    String[] parts = valid.split("\\.");
    Map<String, String> hsNode = new LinkedHashMap<>();
    hsNode.put("signed with another secret", hs256(hs, claims, utf8("not-the-secret")));
    hsNode.put("expired", hs256(hs, claims.copy().put("exp", now - 600), secret));
    hsNode.put("expired by one second", hs256(hs, claims.copy().put("exp", now - 1), secret));
    hsNode.put("not yet valid (nbf in an hour)", hs256(hs, claims.copy().put("nbf", now + 3600), secret));
    hsNode.put("no sub", hs256(hs, claims.copy().put("sub", (String) null), secret));
    hsNode.put("sub not an id", hs256(hs, claims.copy().put("sub", "../admin"), secret));
    hsNode.put("sub empty", hs256(hs, claims.copy().put("sub", ""), secret));
    hsNode.put("sub a number", hs256(hs, claims.copy().put("sub", 5), secret));
    hsNode.put("rooms an array", hs256(hs, claims.copy().put("rooms", new JsonArray().add("*")), secret));
    hsNode.put("rooms a string", hs256(hs, claims.copy().put("rooms", "admin"), secret));
    hsNode.put("payload swapped, signature kept", parts[0] + "." + b64(utf8(claims.copy().put("sub", "root").encode())) + "." + parts[2]);
    hsNode.put("signature cut", parts[0] + "." + parts[1] + ".");
    hsNode.put("signature of another token", parts[0] + "." + parts[1] + "." + hs256(hs, new JsonObject().put("sub", "x"), secret)
        .split("\\.")[2]);
    hsNode.put("signature flipped", parts[0] + "." + parts[1] + "." + flipFirst(parts[2]));
    for (String alg : new String[] {"none", "None", "NONE", "nOnE"}) {
      String unsigned = b64(utf8(new JsonObject().put("alg", alg).put("typ", "JWT").encode())) + "." + parts[1];
      hsNode.put("alg " + alg + ", no signature", unsigned + ".");
      hsNode.put("alg " + alg + ", the valid signature", unsigned + "." + parts[2]);
    }
    hsNode.put("alg RS256 with an HMAC signature", hs256(new JsonObject().put("alg", "RS256").put("typ", "JWT"), claims, secret));
    hsNode.put("alg HS512 with an HMAC-SHA256 signature", hs256(new JsonObject().put("alg", "HS512").put("typ", "JWT"), claims, secret));
    hsNode.put("an RS256 token", rs256(claims, rsa.getPrivate()));
    hsNode.put("garbage a.b.c", "a.b.c");
    hsNode.put("dots only", "....");
    hsNode.put("one segment", "eyJhbGciOiJIUzI1NiJ9");
    hsNode.put("not base64", "!!!.???.***");
    hsNode.put("four segments", valid + ".x");
    hsNode.put("JWE-shaped (five segments)", "a.b.c.d.e");
    hsNode.put("with whitespace", " " + valid + " ");
    hsNode.put("Bearer prefix inside", "Bearer " + valid);
    hsNode.put("header not JSON", b64(utf8("not json")) + "." + parts[1] + "." + parts[2]);
    hsNode.put("payload not JSON", parts[0] + "." + b64(utf8("[1,2")) + "." + parts[2]);
    hsNode.put("payload an array", hs256Raw(hs, "[1,2,3]", secret));
    hsNode.put("header with kid path traversal", hs256(hs.copy().put("kid", "../../../../dev/null"), claims, new byte[0]));
    hsNode.put("header with jku", hs256(hs.copy().put("jku", "http://evil.example/jwks.json"), claims, utf8("attacker-key")));

    String pem = publicPem();
    Map<String, String> rsNode = new LinkedHashMap<>();
    rsNode.put("HS256 keyed with the RS256 public key PEM", hs256(hs, claims, utf8(pem)));
    rsNode.put("HS256 keyed with the PEM without its last newline", hs256(hs, claims, utf8(pem.strip())));
    rsNode.put("HS256 keyed with the DER public key", hs256(hs, claims, rsa.getPublic().getEncoded()));
    rsNode.put("HS256 with the cluster's HS secret", valid);
    rsNode.put("alg none", b64(utf8("{\"alg\":\"none\"}")) + "." + parts[1] + ".");
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    rsNode.put("RS256 signed by another key", rs256(claims, gen.generateKeyPair().getPrivate()));
    rsNode.put("RS256 expired", rs256(claims.copy().put("exp", now - 600), rsa.getPrivate()));
    String rsValid = rs256(claims, rsa.getPrivate());
    String[] rsParts = rsValid.split("\\.");
    rsNode.put("RS256 payload swapped", rsParts[0] + "." + b64(utf8(claims.copy().put("sub", "root").encode())) + "." + rsParts[2]);

    List<String> failures = new ArrayList<>();
    Map<Integer, Map<String, String>> byNode = Map.of(0, hsNode, 1, rsNode);
    for (int node = 0; node < 2; node++) {
      for (Map.Entry<String, String> e : byNode.get(node).entrySet()) {
        String what = "node " + node + ": " + e.getKey();
        try (RawWebSocket ws = RawWebSocket.connect(cluster.node(node).httpPort(), "/rt/websocket")) {
          ws.sendText(new JsonObject().put("id", 1).put("op", "hello").put("token", e.getValue()).encode());
          JsonObject r = reply(ws, 5000);
          if (r == null || r.getBoolean("ok", false) || !"UNAUTHORIZED".equals(r.getJsonObject("error").getString("code"))
              || r.getInteger("id") == null || r.getInteger("id") != 1) {
            failures.add(what + " -> " + (r == null ? "no reply" : r.encode()));
          }
          // still not signed in
          ws.sendText("{\"id\":2,\"op\":\"join\",\"room\":\"" + ROOM + "\"}");
          JsonObject after = reply(ws, 5000);
          if (after == null || !"UNAUTHORIZED".equals(after.getJsonObject("error", new JsonObject()).getString("code"))) {
            failures.add(what + " -> a join afterwards got " + (after == null ? "no reply" : after.encode()));
          }
        }
        probe(what);
        if (!logs.errors().isEmpty()) {
          failures.add(what + " -> logged " + logs.describeErrors());
          logs.clear();
        }
      }
    }
    // the controls: the right tokens work on each node
    for (Object[] ok : new Object[][] {{0, valid}, {1, rsValid}}) {
      try (RawWebSocket ws = RawWebSocket.connect(cluster.node((int) ok[0]).httpPort(), "/rt/websocket")) {
        ws.sendText(new JsonObject().put("id", 1).put("op", "hello").put("token", ok[1]).encode());
        JsonObject r = reply(ws, 5000);
        assertNotNull(r);
        assertTrue(r.getBoolean("ok"), "node " + ok[0] + ": " + r.encode());
        assertEquals("mallory", r.getJsonObject("user").getString("id"));
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void foreignOriginsAreRefusedOnEveryTransport() throws Exception {
    int port = cluster.node(0).httpPort();
    String host = "liveroom.example:" + port;
    // {Host header or null for 127.0.0.1:port, Origin or null for none, allowed?}
    Object[][] cases = {
        {null, null, true},
        {null, "http://localhost:3000", true},
        {null, "https://localhost", true},
        {null, "http://127.0.0.1:1", true},
        {null, "http://[::1]:8080", true},
        {host, "http://" + host, true},
        // the scheme is not compared, only the authority (host and port)
        {host, "https://" + host, true},
        {null, "null", false},
        {null, "", false},
        {null, "*", false},
        {null, "https://evil.example", false},
        {host, "http://liveroom.example:" + (port + 1), false},
        {host, "http://liveroom.example", false},
        {host, "http://liveroom.example.evil.example:" + port, false},
        {host, "http://evil-liveroom.example:" + port, false},
        {host, "http://" + host + ".evil.example", false},
        {null, "http://localhost.evil.example", false},
        {null, "http://127.0.0.1.evil.example", false},
        {null, "http://localhost@evil.example", false},
        {null, "http://evil.example#@localhost", false},
        {null, "http://evil.example\\@localhost", false},
        {null, "http://LOCALHOST:3000", false},
        {null, "file://", false},
        {null, "http://%6cocalhost", false},
        {null, "http://localhost%00.evil.example", false},
        {null, "http://xn--lcalhost-9za", false},
    };
    List<String> failures = new ArrayList<>();
    for (Object[] c : cases) {
      String hostHeader = (String) c[0];
      String origin = (String) c[1];
      boolean allowed = (boolean) c[2];
      String what = "Host " + (hostHeader == null ? "(default)" : hostHeader) + ", Origin " + origin;
      Map<String, String> h = new LinkedHashMap<>();
      if (hostHeader != null) {
        h.put("Host", hostHeader);
      }
      if (origin != null) {
        h.put("Origin", origin);
      }
      for (String path : new String[] {"/rt/websocket", "/rt/000/" + sessionId() + "/websocket"}) {
        try (RawWebSocket ws = RawWebSocket.connect(port, path, h)) {
          int status = ws.handshake().status();
          if (status != (allowed ? 101 : 403)) {
            failures.add(what + " " + path + " -> " + status);
          } else if (!allowed && !ws.handshake().body().equals("origin not allowed")) {
            failures.add(what + " " + path + " -> body " + ws.handshake().body());
          }
        }
      }
      for (String[] req : new String[][] {{"POST", "/rt/000/" + sessionId() + "/xhr"}, {"GET", "/rt/info"},
          {"POST", "/rt/000/" + sessionId() + "/xhr_send"}, {"POST", "/rt/000/" + sessionId() + "/xhr_streaming"},
          {"GET", "/rt/000/" + sessionId() + "/eventsource"}, {"GET", "/rt/000/" + sessionId() + "/htmlfile?c=x"},
          {"GET", "/rt/000/" + sessionId() + "/jsonp?c=x"}, {"GET", "/rt/iframe.html"}}) {
        int status = httpStatus(port, req[0], req[1], h);
        int expected = !allowed ? 403 : req[1].contains("xhr_send") ? 404 : 200;
        if (status != expected) {
          failures.add(what + " " + req[0] + " " + req[1] + " -> " + status);
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void oversizedFramesGetTooLargeOrLoseTheConnectionAndTheServerSurvives() throws Exception {
    int port = cluster.node(0).httpPort();
    // over rt.maxFrameBytes (4 KiB) and within the WebSocket limit (64 KiB): TOO_LARGE, and the socket stays
    for (int size : new int[] {4097, 60_000, 65_536}) {
      try (RawWebSocket ws = member(0)) {
        ws.sendText(padded(size));
        JsonObject r = reply(ws, 5000);
        assertNotNull(r, size + " bytes");
        assertEquals("TOO_LARGE", r.getJsonObject("error").getString("code"), size + " bytes: " + r.encode());
        ws.sendText("{\"id\":9,\"op\":\"ping\"}");
        assertTrue(reply(ws, 5000).getBoolean("ok"), "usable after " + size + " bytes");
      }
      probe(size + " bytes");
    }
    // a frame over the WebSocket frame limit (http maxWebSocketFrameSize, 64 KiB): close 1009 as
    // soon as its header is read (edge.WebSocketPipeline), no reply. While a client is still
    // writing a large frame, the server's close can reset the connection before the client reads
    // the close frame: then it sees the connection end.
    for (int size : new int[] {65_537, 1 << 20, 4 << 20}) {
      try (RawWebSocket ws = member(0)) {
        ws.sendText(padded(size));
        RawWebSocket.Message end = ws.awaitEnd(5000);
        assertNotNull(end, size + " bytes: the connection ends");
        if (size == 65_537) {
          assertEquals(1009, end.closeCode(), size + " bytes: " + end);
        } else {
          assertTrue(end.closeCode() == 1009 || end.opcode() == RawWebSocket.EOF, size + " bytes: " + end);
        }
      }
      probe(size + " bytes");
    }
    // the same over SockJS's framed WebSocket transport
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/000/" + sessionId() + "/websocket")) {
      assertEquals("o", ws.readText(5000));
      ws.sendText(new JsonArray().add(padded(1 << 20)).encode());
      assertNotNull(ws.awaitEnd(5000), "a megabyte frame ends the framed socket too");
    }
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/000/" + sessionId() + "/websocket")) {
      assertEquals("o", ws.readText(5000));
      ws.sendText(new JsonArray().add(padded(10_000)).encode());
      String frame = ws.readText(5000);
      assertTrue(frame.startsWith("a[") && frame.contains("TOO_LARGE"), frame);
    }
    probe("the framed transport");
  }

  @Test
  void anOversizedXhrSendIsRefusedWithoutAnErrorInTheLog() throws Exception {
    int port = cluster.node(0).httpPort();
    WebClient web = WebClient.create(cluster.client());
    try {
      String sid = sessionId();
      assertEquals(200, web.post(port, "127.0.0.1", "/rt/000/" + sid + "/xhr").send().await(10, TimeUnit.SECONDS).statusCode());
      HttpResponse<Buffer> big = web.post(port, "127.0.0.1", "/rt/000/" + sid + "/xhr_send")
          .sendBuffer(Buffer.buffer(new JsonArray().add(padded(1 << 20)).encode())).await(10, TimeUnit.SECONDS);
      assertEquals(413, big.statusCode());
    } finally {
      web.close();
    }
    Await.quietPeriod(Duration.ofMillis(100), "no ERROR in the server log after the refusal",
        () -> logs.errors().isEmpty());
    assertEquals("", logs.describeErrors());
  }

  @Test
  void tokensWithMistypedTimeClaimsAreUnauthorized() throws Exception {
    JsonObject hs = new JsonObject().put("alg", "HS256").put("typ", "JWT");
    List<String> failures = new ArrayList<>();
    for (JsonObject claims : new JsonObject[] {
        new JsonObject().put("sub", "odd-exp").put("exp", "never"),
        new JsonObject().put("sub", "odd-exp").put("exp", new JsonObject()),
        new JsonObject().put("sub", "odd-nbf").put("nbf", "x"),
        new JsonObject().put("sub", "odd-iat").put("iat", "x")}) {
      for (int node = 0; node < 2; node++) {
        String t = node == 0 ? hs256(hs, claims, utf8(TestCluster.JWT_SECRET)) : rs256(claims, rsa.getPrivate());
        try (RawWebSocket ws = RawWebSocket.connect(cluster.node(node).httpPort(), "/rt/websocket")) {
          ws.sendText(new JsonObject().put("id", 1).put("op", "hello").put("token", t).encode());
          JsonObject r = reply(ws, 1500);
          if (r == null || !"UNAUTHORIZED".equals(r.getJsonObject("error", new JsonObject()).getString("code"))) {
            failures.add("node " + node + " " + claims.encode() + " -> " + (r == null ? "no reply" : r.encode()));
          }
        }
      }
    }
    assertEquals(List.of(), failures);
    Await.quietPeriod(Duration.ofMillis(100), "no ERROR in the server log after the refusals",
        () -> logs.errors().isEmpty());
    assertEquals("", logs.describeErrors());
  }

  @Test
  void aFragmentedMessageOverTheLimitIsAnsweredOrClosed() throws Exception {
    try (RawWebSocket ws = member(0)) {
      byte[] chunk = utf8("a".repeat(60_000));
      ws.sendFrame(RawWebSocket.TEXT, false, utf8("{\"id\":1,\"op\":\"ping\",\"x\":\""));
      for (int i = 0; i < 17; i++) {
        ws.sendFrame(RawWebSocket.CONTINUATION, false, chunk);
      }
      ws.sendFrame(RawWebSocket.CONTINUATION, true, utf8("\"}"));
      // the WebSocket message limit (64 KiB) is met before rt.maxFrameBytes: close 1009 at the second
      // fragment (or the connection reset, when that close comes while the client is still writing)
      RawWebSocket.Message m = ws.awaitEnd(5000);
      assertNotNull(m, "a 1 MiB message in fragments ends the connection; it stayed open");
      assertTrue(m.closeCode() == 1009 || m.opcode() == RawWebSocket.EOF, m.toString());
    }
  }

  @Test
  void aTextMessageThatIsNotUtf8ClosesWith1007() throws Exception {
    byte[] bad = {(byte) 0xC3, 0x28};
    try (RawWebSocket ws = member(0)) {
      ws.sendText(concat(utf8("{\"id\":1,\"op\":\"ping\",\"x\":\""), bad, utf8("\"}")));
      RawWebSocket.Message m = ws.awaitEnd(5000);
      assertEquals(1007, m == null ? -1 : m.closeCode(), String.valueOf(m));
    }
    try (RawWebSocket ws = member(0)) {
      // checked fragment by fragment: the connection fails before the message is complete
      ws.sendFrame(RawWebSocket.TEXT, false, utf8("{\"id\":1,\"op\":\"ping\",\"x\":\""));
      ws.sendFrame(RawWebSocket.CONTINUATION, false, bad);
      RawWebSocket.Message m = ws.awaitEnd(5000);
      assertEquals(1007, m == null ? -1 : m.closeCode(), String.valueOf(m));
    }
  }

  @Test
  void aFragmentedMessageWithAnEmptyFirstFragmentArrives() throws Exception {
    try (RawWebSocket ws = member(0)) {
      // Vert.x 5.0.10 alone loses such a message (Autobahn 6.1.2, 6.1.3)
      ws.sendFrame(RawWebSocket.TEXT, false, new byte[0]);
      ws.sendFrame(RawWebSocket.CONTINUATION, false, utf8("{\"id\":1,"));
      ws.sendFrame(RawWebSocket.CONTINUATION, true, utf8("\"op\":\"ping\"}"));
      JsonObject r = reply(ws, 5000);
      assertTrue(r != null && r.getBoolean("ok") && r.getLong("id") == 1, String.valueOf(r));
    }
  }

  @Test
  void sinceMustHoldIntegers() throws Exception {
    try (RawWebSocket ws = member(0)) {
      for (String since : new String[] {"{\"epoch\":1.5,\"seq\":0}", "{\"epoch\":1,\"seq\":2.9}", "{\"epoch\":1e400,\"seq\":0}"}) {
        ws.sendText("{\"id\":1,\"op\":\"join\",\"room\":\"" + ROOM + "\",\"since\":" + since + "}");
        JsonObject r = reply(ws, 5000);
        assertFalse(r.getBoolean("ok"), since + " -> " + r.encode());
        assertEquals("BAD_REQUEST", r.getJsonObject("error").getString("code"));
      }
    }
  }

  // --- fuzz --------------------------------------------------------------------------------

  @Test
  void fuzzedFramesGetDocumentedAnswersNoErrorLogAndNeighboursKeepReceiving() throws Exception {
    Random random = new Random(20_261_123L);
    Fuzz fuzz = new Fuzz(random);
    int frames = 3000;
    RawWebSocket[] attackers = new RawWebSocket[4];
    List<String> failures = new ArrayList<>();
    int ok = 0;
    int errors = 0;
    int reconnects = 0;
    long t0 = System.nanoTime();
    try {
      for (int i = 0; i < frames && failures.size() < 20; i++) {
        int a = random.nextInt(attackers.length);
        int node = a % 2;
        if (attackers[a] == null || attackers[a].isClosed()) {
          if (attackers[a] != null) {
            attackers[a].close();
            reconnects++;
          }
          attackers[a] = random.nextInt(4) == 0 ? RawWebSocket.connect(cluster.node(node).httpPort(), "/rt/websocket") : member(node);
        }
        long id = i + 1;
        Fuzz.Frame f = fuzz.frame(id, node);
        RawWebSocket ws = attackers[a];
        if (!(f.binary() ? ws.sendBinary(f.bytes()) : ws.sendText(f.bytes()))) {
          continue; // the server had closed it (a bye); reconnect next time
        }
        JsonObject r = reply(ws, 5000);
        if (r == null) {
          if (!ws.isClosed()) {
            failures.add("frame " + id + " got no reply: " + f);
          }
          continue;
        }
        if (!(r.getValue("ok") instanceof Boolean okValue)) {
          failures.add("frame " + id + " got " + r.encode());
        } else if (okValue) {
          ok++;
        } else {
          errors++;
          String code = r.getJsonObject("error").getString("code");
          if (!DOCUMENTED.contains(code)) {
            failures.add("frame " + id + " got " + code + ": " + r.encode() + " for " + f);
          }
        }
        if (f.id() != null && r.getValue("id") != null && r.getLong("id") != id) {
          failures.add("frame " + id + " got the reply of id " + r.getValue("id") + " for " + f);
        }
        if (i % 250 == 249) {
          probe("fuzz frame " + id);
          if (!logs.errors().isEmpty()) {
            failures.add("after frame " + id + ": " + logs.describeErrors());
            logs.clear();
          }
        }
      }
    } finally {
      for (RawWebSocket ws : attackers) {
        if (ws != null) {
          ws.close();
        }
      }
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("fuzz: %d frames in %d ms: %d ok, %d errors, %d reconnects%n", frames, ms, ok, errors, reconnects);
    assertEquals(List.of(), failures);
    assertTrue(ok > 100 && errors > 1000, "the grammar reaches both sides: " + ok + " ok, " + errors + " errors");
  }

  /**
   * Frames from a small grammar of ops, fields and hostile values, mutated at random: byte
   * flips, cuts, insertions and duplicated slices.
   */
  private static final class Fuzz {
    private static final String[] OPS = {"hello", "join", "leave", "send", "ping", "moderate", "fly", "", "HELLO", "send "};
    private static final String[] FIELDS = {"token", "v", "room", "since", "body", "key", "action", "user", "seq",
        "durationSec", "reason", "text", "epoch", "__proto__", "op"};
    private static final String[] BODY_FIELDS = {"text", "color", "mode", "progress", "x"};
    private final Random random;
    private final String[] tokens;

    /** {@code id}: the id the reply must carry when it carries one; null when the frame's id is not a plain one. */
    record Frame(byte[] bytes, boolean binary, Long id) {
      @Override
      public String toString() {
        return (binary ? "binary " : "text ") + abbreviate(new String(bytes, StandardCharsets.UTF_8));
      }
    }

    Fuzz(Random random) throws Exception {
      this.random = random;
      long now = System.currentTimeMillis() / 1000;
      JsonObject hs = new JsonObject().put("alg", "HS256").put("typ", "JWT");
      tokens = new String[] {
          token(0, "fuzz-user"), token(1, "fuzz-user"),
          hs256(hs, new JsonObject().put("sub", "fuzz-old").put("exp", now - 60), utf8(TestCluster.JWT_SECRET)),
          hs256(hs, new JsonObject().put("sub", "fuzz-forged"), utf8("wrong")),
          "a.b.c", "", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."};
    }

    Frame frame(long id, int node) {
      StringBuilder sb = new StringBuilder("{");
      List<String> parts = new ArrayList<>();
      boolean plainId = random.nextInt(10) > 0;
      if (plainId) {
        parts.add("\"id\":" + Long.toString(id));
      } else if (random.nextBoolean()) {
        parts.add("\"id\":" + number());
      }
      if (random.nextInt(12) > 0) {
        parts.add("\"op\":" + (random.nextInt(10) == 0 ? value(2) : quote(OPS[random.nextInt(OPS.length)])));
      }
      int n = random.nextInt(5);
      for (int i = 0; i < n; i++) {
        String field = FIELDS[random.nextInt(FIELDS.length)];
        parts.add(quote(field) + ":" + fieldValue(field));
      }
      java.util.Collections.shuffle(parts, random);
      sb.append(String.join(",", parts)).append('}');
      byte[] bytes = utf8(sb.toString());
      boolean mutated = random.nextInt(6) == 0;
      if (mutated) {
        bytes = mutate(bytes);
      }
      boolean binary = random.nextInt(5) == 0 || !validUtf8(bytes) && random.nextBoolean();
      return new Frame(bytes, binary, plainId && !mutated ? id : null);
    }

    private String fieldValue(String field) {
      if (random.nextInt(3) > 0) {
        return switch (field) {
          case "token" -> quote(tokens[random.nextInt(tokens.length)]);
          case "room" -> quote(new String[] {ROOM, NO_GUESTS, ENDED, "no-such-room", "../" + ROOM, ROOM + " "}[random.nextInt(6)]);
          case "since" -> "{\"epoch\":" + number() + ",\"seq\":" + number() + "}";
          case "body" -> body();
          case "v" -> random.nextBoolean() ? "1" : number();
          default -> value(3);
        };
      }
      return value(3);
    }

    private String body() {
      List<String> parts = new ArrayList<>();
      int n = 1 + random.nextInt(4);
      for (int i = 0; i < n; i++) {
        String f = BODY_FIELDS[random.nextInt(BODY_FIELDS.length)];
        String v = switch (f) {
          case "text" -> random.nextInt(3) > 0 ? quote(text()) : value(2);
          case "color" -> random.nextBoolean() ? quote(String.format("#%06x", random.nextInt(1 << 24))) : value(1);
          case "mode" -> random.nextBoolean() ? quote(new String[] {"scroll", "top", "bottom"}[random.nextInt(3)]) : value(1);
          case "progress" -> random.nextBoolean() ? Integer.toString(random.nextInt(1_000_000)) : number();
          default -> value(3);
        };
        parts.add(quote(f) + ":" + v);
      }
      return "{" + String.join(",", parts) + "}";
    }

    private String text() {
      String[] pieces = {"hi", "<script>alert(1)</script>", "\u202E", "\u0000", "\u0007", "\ud83d\ude00", "\ud800", "\u2028",
          "   ", "\r\n", "x".repeat(150), "\u0301", "\"", "\\", "{}", "\uFEFF"};
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(4);
      for (int i = 0; i < n; i++) {
        sb.append(pieces[random.nextInt(pieces.length)]);
      }
      return sb.toString();
    }

    private String value(int depth) {
      int kind = random.nextInt(depth > 0 ? 9 : 6);
      return switch (kind) {
        case 0 -> "null";
        case 1 -> random.nextBoolean() ? "true" : "false";
        case 2, 3 -> number();
        case 4 -> quote(text());
        case 5 -> random.nextInt(30) == 0 ? quote("z".repeat(3000 + random.nextInt(3000))) : quote(ROOM);
        case 6 -> {
          int n = random.nextInt(4);
          List<String> items = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            items.add(value(depth - 1));
          }
          yield "[" + String.join(",", items) + "]";
        }
        case 7 -> random.nextInt(20) == 0 ? "[".repeat(1100) + "]".repeat(1100) : "{\"a\":" + value(depth - 1) + "}";
        default -> body();
      };
    }

    private String number() {
      String[] odd = {"0", "-0", "1", "-1", "1.5", "1e400", "-1e400", "9223372036854775808", "9007199254740993", "1e-400",
          "2147483648", "4294967297", "1e15", "0.0", "-0.0", "123456789012345678901234567890"};
      return random.nextBoolean() ? odd[random.nextInt(odd.length)] : Long.toString(random.nextLong() % 100_000);
    }

    private byte[] mutate(byte[] in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] b = in.clone();
      switch (random.nextInt(5)) {
        case 0 -> {
          for (int i = 0; i < 1 + random.nextInt(4); i++) {
            b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
          }
          return b;
        }
        case 1 -> {
          return java.util.Arrays.copyOf(b, random.nextInt(b.length));
        }
        case 2 -> {
          int at = random.nextInt(b.length);
          out.write(b, 0, at);
          byte[] junk = new byte[1 + random.nextInt(8)];
          random.nextBytes(junk);
          out.writeBytes(junk);
          out.write(b, at, b.length - at);
          return out.toByteArray();
        }
        case 3 -> {
          int from = random.nextInt(b.length);
          int len = random.nextInt(b.length - from) + 1;
          out.write(b, 0, from + len);
          out.write(b, from, len);
          out.write(b, from + len, b.length - from - len);
          return out.toByteArray();
        }
        default -> {
          int from = random.nextInt(b.length);
          int to = from + random.nextInt(b.length - from);
          out.write(b, 0, from);
          out.write(b, to, b.length - to);
          return out.toByteArray();
        }
      }
    }

    private static boolean validUtf8(byte[] b) {
      try {
        StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b));
        return true;
      } catch (java.nio.charset.CharacterCodingException e) {
        return false;
      }
    }

    private static String quote(String s) {
      StringBuilder sb = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        if (c == '"' || c == '\\') {
          sb.append('\\').append(c);
        } else if (c < 0x20 || Character.isSurrogate(c)) {
          sb.append(String.format("\\u%04x", (int) c));
        } else {
          sb.append(c);
        }
      }
      return sb.append('"').toString();
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  /** Runs each case on a fresh connection of node 0; then probes the neighbours and checks the log. */
  private static void assertCases(List<Case> cases) {
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      String outcome;
      try (RawWebSocket ws = connection(c.stage(), 0)) {
        boolean written = c.binary() ? ws.sendBinary(c.frame()) : ws.sendText(c.frame());
        outcome = written ? check(c, ws) : "could not write the frame";
      } catch (Exception e) {
        outcome = e.toString();
      }
      if (outcome != null) {
        failures.add(c.name() + " -> " + outcome);
      }
      try {
        probe(c.name());
      } catch (AssertionError e) {
        failures.add(c.name() + " -> " + e.getMessage());
      }
      if (!logs.errors().isEmpty()) {
        failures.add(c.name() + " -> logged " + logs.describeErrors());
        logs.clear();
      }
    }
    assertEquals(List.of(), failures, failures.size() + " of " + cases.size() + " cases failed");
  }

  /** Null when the connection answered as the case expects, else what it did. */
  private static String check(Case c, RawWebSocket ws) {
    if (c.expect().equals(ENDS)) {
      return ws.awaitEnd(5000) != null ? null : "the connection stayed open";
    }
    JsonObject r = reply(ws, 5000);
    if (r == null) {
      return ws.isClosed() ? "the connection ended" : "no reply";
    }
    boolean okExpected = c.expect().equals("ok");
    if (okExpected != r.getBoolean("ok", false)) {
      return r.encode();
    }
    if (!okExpected && !c.expect().equals(r.getJsonObject("error").getString("code"))) {
      return r.encode();
    }
    if (!okExpected && r.getJsonObject("error").getString("message").length() > 200) {
      return "an error message of " + r.getJsonObject("error").getString("message").length() + " characters";
    }
    if (c.id() != ANY_ID && !java.util.Objects.equals(c.id(), r.getValue("id") == null ? null : r.getLong("id"))) {
      return "id " + r.getValue("id") + " instead of " + c.id() + ": " + r.encode();
    }
    // the connection is still usable
    ws.sendText("{\"id\":777,\"op\":\"ping\"}");
    JsonObject ping = reply(ws, 5000);
    if (ping == null || ping.getLong("id") == null || ping.getLong("id") != 777) {
      return "not usable afterwards: " + (ping == null ? "no reply" : ping.encode());
    }
    return null;
  }

  private static RawWebSocket connection(Stage stage, int node) throws Exception {
    return switch (stage) {
      case NEW -> RawWebSocket.connect(cluster.node(node).httpPort(), "/rt/websocket");
      case GUEST -> {
        RawWebSocket ws = RawWebSocket.connect(cluster.node(node).httpPort(), "/rt/websocket");
        ws.sendText("{\"id\":100,\"op\":\"hello\"}");
        assertTrue(reply(ws, 5000).getBoolean("ok"));
        yield ws;
      }
      case MEMBER -> member(node);
      case HOST -> member(node, new JsonObject().put(ROOM, "host"));
    };
  }

  /** A raw connection with hello (a fresh user) and a join of {@link #ROOM}. */
  private static RawWebSocket member(int node) throws Exception {
    return member(node, null);
  }

  /** The same with a {@code rooms} claim (null for none: a viewer). */
  private static RawWebSocket member(int node, JsonObject rooms) throws Exception {
    RawWebSocket ws = RawWebSocket.connect(cluster.node(node).httpPort(), "/rt/websocket");
    ws.sendText(new JsonObject().put("id", 100).put("op", "hello").put("token", token(node, "attacker-" + ++users, rooms)).encode());
    JsonObject hello = reply(ws, 5000);
    assertTrue(hello != null && hello.getBoolean("ok"), "hello: " + hello);
    ws.sendText("{\"id\":101,\"op\":\"join\",\"room\":\"" + ROOM + "\"}");
    JsonObject join = reply(ws, 5000);
    assertTrue(join != null && join.getBoolean("ok"), "join: " + join);
    return ws;
  }

  /** The next reply (pushes are skipped); null when the connection ended or nothing came. */
  private static JsonObject reply(RawWebSocket ws, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < deadline) {
      String t = ws.readText(Math.max(1, deadline - System.currentTimeMillis()));
      if (t == null) {
        return null;
      }
      JsonObject o = new JsonObject(t);
      if (!o.containsKey("push")) {
        return o;
      }
    }
    return null;
  }

  /** A probe from the well-behaved sender must reach both neighbours. */
  private static void probe(String after) {
    String text = "probe-" + ++probes;
    JsonObject ack = sender.send(ROOM, text);
    assertTrue(ack.getBoolean("ok"), "the sender after " + after + ": " + ack.encode());
    for (int i = 0; i < neighbours.size(); i++) {
      JsonObject item = itemWithSeq(neighbours.get(i), ack.getLong("seq"));
      assertNotNull(item, "neighbour " + i + " got no probe after " + after);
      assertEquals(text, item.getString("text"));
    }
  }

  /** The item with {@code seq} from a neighbour's danmaku pushes (earlier ones are skipped); null after 5 s. */
  private static JsonObject itemWithSeq(RtClient c, long seq) {
    long deadline = System.currentTimeMillis() + 5000;
    try {
      while (System.currentTimeMillis() < deadline) {
        JsonObject p = c.awaitPush(x -> "danmaku".equals(x.getString("push")) && ROOM.equals(x.getString("room")), 200);
        if (p == null) {
          continue;
        }
        for (Object o : p.getJsonArray("items")) {
          JsonObject item = (JsonObject) o;
          if (item.getLong("seq") == seq) {
            return item;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return null;
  }

  private static Case text(String name, Stage stage, String frame, String expect, Object id) {
    return new Case(name, stage, utf8(frame), false, expect, id);
  }

  private static String moderate(String fields) {
    return "{\"id\":1,\"op\":\"moderate\",\"room\":\"" + ROOM + "\"," + fields + "}";
  }

  private static String send(String body) {
    return "{\"id\":1,\"op\":\"send\",\"room\":\"" + ROOM + "\",\"body\":" + body + "}";
  }

  private static String padded(int bytes) {
    String head = "{\"id\":1,\"op\":\"ping\",\"x\":\"";
    return head + "a".repeat(bytes - head.length() - 2) + "\"}";
  }

  private static void createRoom(String id, boolean guests) {
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", id).put("title", "hostile " + id)
        .put("ownerId", "host-1").put("guestsCanRead", guests)).status());
  }

  /** A valid token for the node: HS256 with the cluster secret (node 0) or RS256 (node 1). */
  private static String token(int node, String user) {
    return token(node, user, null);
  }

  private static String token(int node, String user, JsonObject rooms) {
    JsonObject claims = new JsonObject().put("sub", user).put("name", "User " + user)
        .put("exp", System.currentTimeMillis() / 1000 + 600);
    if (rooms != null) {
      claims.put("rooms", rooms);
    }
    try {
      return node == 0 ? hs256(new JsonObject().put("alg", "HS256").put("typ", "JWT"), claims, utf8(TestCluster.JWT_SECRET))
          : rs256(claims, rsa.getPrivate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hs256(JsonObject header, JsonObject claims, byte[] key) throws Exception {
    return hs256Raw(header, claims.encode(), key);
  }

  private static String hs256Raw(JsonObject header, String payload, byte[] key) throws Exception {
    String signingInput = b64(utf8(header.encode())) + "." + b64(utf8(payload));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
    return signingInput + "." + b64(mac.doFinal(utf8(signingInput)));
  }

  private static String rs256(JsonObject claims, PrivateKey key) throws Exception {
    String signingInput = b64(utf8("{\"alg\":\"RS256\",\"typ\":\"JWT\"}")) + "." + b64(utf8(claims.encode()));
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initSign(key);
    sig.update(utf8(signingInput));
    return signingInput + "." + b64(sig.sign());
  }

  private static String publicPem() {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(rsa.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /**
   * Changes the first character of a base64url string. (Not the last: its low bits are padding,
   * which decoders ignore, so changing only those leaves the same bytes.)
   */
  private static String flipFirst(String b64) {
    return (b64.charAt(0) == 'A' ? 'B' : 'A') + b64.substring(1);
  }

  private static String b64(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b, byte[] c) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(a);
    out.writeBytes(b);
    out.writeBytes(c);
    return out.toByteArray();
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02X ", x & 0xff));
    }
    return sb.toString().strip();
  }

  /** The status of a plain HTTP/1.1 request with exactly these extra headers (and Host 127.0.0.1:port unless given). */
  private static int httpStatus(int port, String method, String path, Map<String, String> headers) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
      if (!headers.containsKey("Host")) {
        req.append("Host: 127.0.0.1:").append(port).append("\r\n");
      }
      headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append("Content-Length: 0\r\nConnection: close\r\n\r\n");
      socket.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      java.io.BufferedReader in = new java.io.BufferedReader(
          new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      String status = in.readLine();
      return status == null ? -1 : Integer.parseInt(status.split(" ")[1]);
    }
  }

  private static String sessionId() {
    return java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return sb.toString();
  }

  private static String abbreviate(String s) {
    String e = escape(s);
    return e.length() > 80 ? e.substring(0, 80) + "...(" + s.length() + " chars)" : e;
  }
}
