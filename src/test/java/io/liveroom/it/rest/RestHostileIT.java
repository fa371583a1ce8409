package io.liveroom.it.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liveroom.testing.Await;
import io.liveroom.testing.LogCapture;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Malformed and hostile requests to the HTTP API of a real node, over a raw socket so that every
 * byte and header is the test's: each gets the documented status and {@code {"error":{"code"}}}
 * body (docs/protocol-notes.md), nothing reaches the server log as an ERROR, and the node keeps
 * answering. Complements {@link ApiIT}, which covers the well-formed contract.
 */
@RedisAndCluster(nodes = 1, started = 1)
class RestHostileIT {
  private static final String KEY = TestCluster.API_KEY;
  private static final String ROOMS = "/api/v1/rooms";
  private static final String VALID = "{\"title\":\"t\",\"ownerId\":\"host-1\"}";

  private static TestCluster cluster;
  private static LogCapture logs;
  private static int port;
  private static int created;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    port = cluster.node(0).httpPort();
    assertEquals(201, cluster.http(0).post(ROOMS, new JsonObject().put("id", "r1").put("title", "t").put("ownerId", "h")).status());
    logs = LogCapture.attach();
  }

  @AfterAll
  static void down() throws Exception {
    if (logs != null) {
      logs.close();
    }
  }

  @BeforeEach
  void clearLogs() {
    logs.clear();
  }

  @AfterEach
  void theNodeStillAnswersAndNothingWasLoggedAsAnError() throws Exception {
    assertEquals(200, request("GET", ROOMS + "/r1", List.of(), null).status(), "the node still answers");
    Await.quietPeriod(Duration.ofMillis(50), "no ERROR in the server log (one logged after an answer shows by then)",
        () -> logs.errors().isEmpty());
    assertEquals("", logs.describeErrors(), "no ERROR in the server log");
  }

  /**
   * One request and its expected answer: status, error code (null for a success) and a piece of
   * the message (or null). Headers are name/value pairs that replace the defaults of their name
   * (Host, Authorization with the API key, Content-Type application/json and Content-Length when
   * there is a body); a null value only removes the default, and repeated names are all sent.
   */
  private record Case(String name, String method, String path, List<String[]> headers, byte[] body, int status,
      String code, String message) {
  }

  // --- tables ------------------------------------------------------------------------------

  @Test
  void malformedJsonBodies() throws Exception {
    List<Case> cases = new ArrayList<>();
    for (String b : new String[] {"{", "}", "{\"title\":\"t\",\"ownerId\":\"host-1\",}", "{'title':'t','ownerId':'host-1'}",
        "{title:\"t\",ownerId:\"host-1\"}", "NaN", "{\"title\":\"t\",\"ownerId\":\"host-1\"} x", VALID + VALID,
        "{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":NaN}", "{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":01}",
        "{\"title\":\"t\u0001\",\"ownerId\":\"host-1\"}", "{\"title\":\"\\x41\",\"ownerId\":\"host-1\"}",
        "{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":1" + "0".repeat(1200) + "}",
        "{\"title\":\"t\",\"ownerId\":\"host-1\",\"metadata\":" + "{\"a\":".repeat(1100) + "1" + "}".repeat(1100) + "}",
        "[".repeat(5000) + "]".repeat(5000)}) {
      cases.add(post(abbreviate(b), b, 400, "BAD_REQUEST", "not valid JSON"));
    }
    for (String b : new String[] {"null", "\"str\"", "42", "true", "[]", "[" + VALID + "]"}) {
      cases.add(post(b, b, 400, "BAD_REQUEST", "body must be a JSON object"));
    }
    cases.add(post("an empty body", "", 400, "BAD_REQUEST", "a JSON object body is required"));
    cases.add(post("whitespace only", "  \n ", 400, "BAD_REQUEST", null));
    byte[] badUtf8 = concat(utf8("{\"title\":\"t"), new byte[] {(byte) 0xC3, 0x28}, utf8("\",\"ownerId\":\"host-1\"}"));
    cases.add(new Case("invalid UTF-8 in the title", "POST", ROOMS, List.of(), badUtf8, 400, "BAD_REQUEST", "not valid JSON"));
    byte[] latin1 = "{\"title\":\"caf\u00e9\",\"ownerId\":\"host-1\"}".getBytes(StandardCharsets.ISO_8859_1);
    cases.add(new Case("ISO-8859-1 bytes declared as such: the charset is ignored, the bytes are not UTF-8", "POST", ROOMS,
        List.<String[]>of(new String[] {"Content-Type", "application/json; charset=iso-8859-1"}), latin1, 400, "BAD_REQUEST", null));
    // parsed, then refused field by field
    for (String[] c : new String[][] {
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":1e400}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":-1e400}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":9223372036854775808}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":2147483648}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":-0}", "maxMembers must be between"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":0.5}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":[10]}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"slowModeSec\":-1}", "slowModeSec must be between"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"slowModeSec\":\"5\"}", "slowModeSec must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"guestsCanRead\":1}", "guestsCanRead must be true or false"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"guestsCanRead\":\"true\"}", "guestsCanRead must be true or false"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"metadata\":\"{}\"}", "metadata must be a JSON object"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"metadata\":null,\"__proto__\":{}}", "unknown field '__proto__'"},
        {"{\"title\":\"t\",\"ownerId\":\"host-1\",\"constructor\":{\"prototype\":{}}}", "unknown field 'constructor'"},
        {"{\"title\":5,\"ownerId\":\"host-1\"}", "title must be a string"},
        {"{\"title\":[\"t\"],\"ownerId\":\"host-1\"}", "title must be a string"},
        {"{\"title\":\"t\",\"ownerId\":{}}", "ownerId must be a string"},
        {"{\"title\":\"t\",\"ownerId\":\"../root\"}", "ownerId must match"},
        {"{\"title\":\"t\",\"ownerId\":\"host 1\"}", "ownerId must match"},
        {"{\"id\":5,\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must be a string"},
        {"{\"id\":null,\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must match"},
        {"{\"id\":\"\",\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must match"},
        {"{\"id\":\"../../etc/passwd\",\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must match"},
        {"{\"id\":\"a/b\",\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must match"},
        {"{\"id\":\"caf\u00e9\",\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must match"},
        {"{\"id\":\"r\\u0000\",\"title\":\"t\",\"ownerId\":\"host-1\"}", "id must match"},
        {"{\"title\":\"a\\u202Eb\",\"ownerId\":\"host-1\"}", "control or bidi"},
        {"{\"title\":\"a\\u0000b\",\"ownerId\":\"host-1\"}", "control or bidi"},
        {"{\"title\":\"a\\nb\",\"ownerId\":\"host-1\"}", "control or bidi"},
        {"{\"title\":\"" + "x".repeat(101) + "\",\"ownerId\":\"host-1\"}", "longer than 100"},
        {"{\"title\":\"" + "\ud83d\ude00".repeat(101) + "\",\"ownerId\":\"host-1\"}", "longer than 100"},
        {"{\"title\":\"\\u0009\\u000b \",\"ownerId\":\"host-1\"}", "title must not be blank"}}) {
      cases.add(post(abbreviate(c[0]), c[0], 400, "BAD_REQUEST", c[1]));
    }
    // tolerated, documented here: comments, duplicate keys (the last wins), a UTF-8 BOM, numbers
    // written as floats when they are integral, and JSON in UTF-16 (Jackson detects the encoding)
    cases.add(post("a comment", "/* c */" + created(), 201, null, null));
    cases.add(post("duplicate keys", "{\"title\":\"first\",\"title\":\"second\",\"ownerId\":\"host-1\",\"id\":\"" + nextId() + "\"}",
        201, null, "\"title\":\"second\""));
    cases.add(new Case("a UTF-8 BOM", "POST", ROOMS, List.of(), concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
        utf8(created()), new byte[0]), 201, null, null));
    cases.add(new Case("UTF-16 with a BOM", "POST", ROOMS, List.of(), ("\uFEFF" + created()).getBytes(StandardCharsets.UTF_16BE),
        201, null, null));
    cases.add(post("maxMembers 1e2 and slowModeSec -0", "{\"title\":\"t\",\"ownerId\":\"host-1\",\"maxMembers\":1e2,"
        + "\"slowModeSec\":-0,\"id\":\"" + nextId() + "\"}", 201, null, "\"maxMembers\":100"));
    cases.add(post("text that looks like markup", "{\"title\":\"<script>alert(1)</script>\",\"ownerId\":\"host-1\",\"id\":\""
        + nextId() + "\"}", 201, null, "<script>alert(1)</script>"));
    cases.add(post("100 emoji", "{\"title\":\"" + "\ud83d\ude00".repeat(100) + "\",\"ownerId\":\"host-1\",\"id\":\"" + nextId() + "\"}",
        201, null, null));
    // metadata as deep as fits in rooms.maxMetadataBytes goes through Redis and back intact
    String deep = "{\"\":".repeat(700) + "1" + "}".repeat(700);
    cases.add(post("metadata 700 levels deep",
        "{\"title\":\"t\",\"ownerId\":\"host-1\",\"id\":\"deep-metadata\",\"metadata\":" + deep + "}", 201, null, null));
    cases.add(new Case("the deep metadata comes back", "GET", ROOMS + "/deep-metadata", List.of(), null, 200, null,
        "\"metadata\":" + deep));
    cases.add(post("metadata 2,050 levels deep (over 1,000: not parsed)", "{\"title\":\"t\",\"ownerId\":\"host-1\",\"metadata\":"
        + "{\"\":".repeat(2050) + "1" + "}".repeat(2050) + "}", 400, "BAD_REQUEST", "not valid JSON"));
    cases.add(new Case("PATCH with bad JSON", "PATCH", ROOMS + "/r1", List.of(), utf8("{\"title\":"), 400, "BAD_REQUEST", null));
    cases.add(new Case("PATCH with a state that is not one", "PATCH", ROOMS + "/r1", List.of(), utf8("{\"state\":\"LIVE\"}"), 400,
        "BAD_REQUEST", "state must be live or paused"));
    cases.add(new Case("PATCH ownerId", "PATCH", ROOMS + "/r1", List.of(), utf8("{\"ownerId\":\"x\"}"), 400, "BAD_REQUEST",
        "unknown field 'ownerId'"));
    assertCases(cases);
  }

  @Test
  void contentTypesAndBodySizes() throws Exception {
    List<Case> cases = new ArrayList<>();
    for (String type : new String[] {null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/vnd.api+json", "text/json", "json", "", "application/xml",
        // the media type must be application/json exactly, not merely start with it
        "application/jsonx", "application/json-patch+json", "application/json5", "application/jsonp; charset=utf-8"}) {
      byte[] body = type != null && type.startsWith("application/x-www") ? utf8("title=t&ownerId=host-1")
          : type != null && type.startsWith("multipart")
              ? utf8("--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n--x--\r\n")
          : utf8(VALID);
      cases.add(new Case("Content-Type " + type, "POST", ROOMS, List.<String[]>of(new String[] {"Content-Type", type}), body, 400,
          "BAD_REQUEST", "Content-Type must be application/json"));
    }
    for (String type : new String[] {"application/json; charset=utf-8", "APPLICATION/JSON", "Application/Json;charset=UTF-8",
        " application/json ", "application/json ; charset=utf-8", "application/json;"}) {
      cases.add(new Case("Content-Type " + type, "POST", ROOMS, List.<String[]>of(new String[] {"Content-Type", type}),
          utf8(created()), 201, null, null));
    }
    String big = "{\"title\":\"t\",\"ownerId\":\"host-1\",\"metadata\":{\"x\":\"" + "a".repeat(70_000) + "\"}}";
    cases.add(post("70 KB", big, 413, "TOO_LARGE", null));
    cases.add(new Case("70 KB PATCH", "PATCH", ROOMS + "/r1", List.of(), utf8(big), 413, "TOO_LARGE", null));
    cases.add(new Case("70 KB GET body", "GET", ROOMS + "/r1", List.of(), utf8(big), 413, "TOO_LARGE", null));
    // the body limit applies before authentication: a client without credentials gets 413, not 401
    cases.add(new Case("70 KB without credentials", "POST", ROOMS, List.<String[]>of(new String[] {"Authorization", null}),
        utf8(big), 413, "TOO_LARGE", null));
    cases.add(new Case("a Content-Length of 1 GB and no body", "POST", ROOMS,
        List.<String[]>of(new String[] {"Content-Length", "1000000000"}), new byte[0], 413, "TOO_LARGE", null));
    cases.add(new Case("2 MB chunked", "POST", ROOMS, List.<String[]>of(new String[] {"Transfer-Encoding", "chunked"}),
        utf8("{\"title\":\"" + "a".repeat(2_000_000) + "\"}"), 413, "TOO_LARGE", null));
    cases.add(post("metadata of exactly 4,096 bytes", "{\"title\":\"t\",\"ownerId\":\"host-1\",\"id\":\"" + nextId()
        + "\",\"metadata\":{\"x\":\"" + "a".repeat(4096 - 8) + "\"}}", 201, null, null));
    cases.add(post("metadata of 4,097 bytes", "{\"title\":\"t\",\"ownerId\":\"host-1\",\"metadata\":{\"x\":\"" + "a".repeat(4096 - 7)
        + "\"}}", 413, "TOO_LARGE", "metadata"));
    assertCases(cases);
  }

  @Test
  void badIdsInPathsAndBadQueryParameters() throws Exception {
    List<Case> cases = new ArrayList<>();
    for (String id : new String[] {"..%2F..%2Fetc%2Fpasswd", "a%2Fb", "%2F", "a%00b", "%00", "%E2%80%AEabc", "caf%C3%A9",
        "%C0%AE%C0%AE", "%EF%BC%8E%EF%BC%8E", "x;y", "r1%20", "%20r1", "r1%0d%0aSet-Cookie:%20x=y", "-r1", ".r1", "_r1",
        "x".repeat(65), "%3Cscript%3E", "%7B%7D", "r1%23frag", "r1%3Fx=y"}) {
      for (String method : new String[] {"GET", "PATCH", "DELETE"}) {
        byte[] body = method.equals("PATCH") ? utf8("{\"title\":\"x\"}") : null;
        cases.add(new Case(method + " /rooms/" + id, method, ROOMS + "/" + id, List.of(), body, 400, "BAD_REQUEST", "room id must match"));
      }
    }
    // these leave the room path after normalisation: no endpoint, and never a file
    for (String path : new String[] {ROOMS + "/../../etc/passwd", ROOMS + "/%2e%2e/%2e%2e/etc/passwd", ROOMS + "/..",
        "/api/v1/../../../etc/passwd", "/api/v1/rooms/r1/../../../../etc/passwd"}) {
      cases.add(new Case("GET " + path, "GET", path, List.of(), null, 404, "NOT_FOUND", null));
    }
    cases.add(new Case("a 5,000-character path (over the 4 KiB request line)", "GET", ROOMS + "/" + "a".repeat(5000), List.of(), null,
        414, null, null));
    for (String q : new String[] {"limit=0", "limit=-1", "limit=201", "limit=abc", "limit=1.5", "limit=1e2", "limit=99999999999999999999",
        "limit=%205", "limit=+5", "limit=0x10", "limit=%00", "limit=5%00", "limit=2147483648"}) {
      cases.add(new Case("?" + q, "GET", ROOMS + "?" + q, List.of(), null, 400, "BAD_REQUEST", "limit must be between"));
    }
    // an empty parameter is an absent one
    for (String q : new String[] {"limit=05", "limit=200", "limit=", "limit=1&limit=abc", "cursor=", "cursor=YQ", "cursor=YQ==", "state=",
        "state=live&state=nonsense", "unknown=1", "limit=1&__proto__=x"}) {
      cases.add(new Case("?" + q, "GET", ROOMS + "?" + q, List.of(), null, 200, null, "\"rooms\""));
    }
    for (String q : new String[] {"cursor=!!!!", "cursor=LS0t", "cursor=Li4vZXRj", "cursor=a+b/", "cursor=a%2Bb%2F",
        "cursor=" + b64(utf8("a".repeat(200))), "cursor=" + "A".repeat(3000), "cursor=%C0%AE", "cursor=" + b64(utf8("caf\u00e9")),
        "cursor=" + b64(new byte[] {(byte) 0xC3, 0x28}), "cursor=%%%"}) {
      cases.add(new Case("?" + abbreviate(q), "GET", ROOMS + "?" + q, List.of(), null, 400, "BAD_REQUEST", null));
    }
    for (String q : new String[] {"state=LIVE", "state=live%20", "state=%00", "state=deleted", "state=created,live"}) {
      cases.add(new Case("?" + q, "GET", ROOMS + "?" + q, List.of(), null, 400, "BAD_REQUEST", "state must be"));
    }
    for (String[] mp : new String[][] {{"PUT", ROOMS + "/r1"}, {"POST", ROOMS + "/r1"}, {"DELETE", ROOMS}, {"PATCH", ROOMS},
        {"GET", "/api/v1/rooms/r1/messages/x"}, {"GET", "/api/v2/rooms"}, {"OPTIONS", ROOMS}, {"GET", "/api/v1/"}}) {
      cases.add(new Case(mp[0] + " " + mp[1], mp[0], mp[1], List.of(), mp[0].equals("GET") || mp[0].equals("OPTIONS")
          || mp[0].equals("DELETE") ? null : utf8(VALID), 404, "NOT_FOUND", null));
    }
    assertCases(cases);
  }

  @Test
  void messagesReplayAndModerationRefuseBadInput() throws Exception {
    assertEquals(201, request("POST", ROOMS, List.of(), utf8("{\"id\":\"ended-1\",\"title\":\"t\",\"ownerId\":\"h\"}")).status());
    assertEquals(200, request("DELETE", ROOMS + "/ended-1", List.of(), null).status());
    List<Case> cases = new ArrayList<>();
    String messages = ROOMS + "/r1/messages";
    for (String[] c : new String[][] {
        {"{}", "text must be a string"},
        {"{\"text\":5}", "text must be a string"},
        {"{\"text\":\"\"}", "text must have 1 to 200"},
        {"{\"text\":\"\\u0000\\u202E \"}", "text must have 1 to 200"},
        {"{\"text\":\"" + "x".repeat(201) + "\"}", "text must have 1 to 200"},
        {"{\"text\":\"hi\",\"priority\":2}", "priority must be 0 or 1"},
        {"{\"text\":\"hi\",\"priority\":\"1\"}", "priority must be an integer"},
        {"{\"text\":\"hi\",\"priority\":1e400}", "priority must be an integer"},
        {"{\"text\":\"hi\",\"priority\":0.5}", "priority must be an integer"},
        {"{\"text\":\"hi\",\"user\":5}", "user must be a user id or"},
        {"{\"text\":\"hi\",\"user\":\"../x\"}", "user must match"},
        {"{\"text\":\"hi\",\"user\":{}}", "user.id must be a string"},
        {"{\"text\":\"hi\",\"user\":{\"id\":\"a b\"}}", "user.id must match"},
        {"{\"text\":\"hi\",\"user\":{\"id\":\"u\",\"name\":5}}", "user.name must be a string"},
        {"{\"text\":\"hi\",\"user\":{\"id\":\"u\",\"name\":\"\\u0000\\u202E\"}}", "user.name must have 1 to 64"},
        {"{\"text\":\"hi\",\"user\":{\"id\":\"u\",\"name\":\"" + "n".repeat(65) + "\"}}", "user.name must have 1 to 64"},
        {"{\"text\":\"hi\",\"progress\":1e400}", "progress must be a non-negative integer"},
        {"{\"text\":\"hi\",\"progress\":-1}", "progress must be a non-negative integer"},
        {"{\"text\":\"hi\",\"color\":\"red\"}", "color must be #rrggbb"},
        {"{\"text\":\"hi\",\"mode\":\"up\"}", "mode must be scroll, top or bottom"},
        {"{\"text\":\"hi\",\"key\":\"\"}", "key must be a string of 1 to 64"},
        {"{\"text\":\"hi\",\"key\":\"" + "k".repeat(65) + "\"}", "key must be a string of 1 to 64"},
        {"{\"text\":\"hi\",\"room\":\"r1\"}", "unknown field 'room'"}}) {
      cases.add(new Case("publish " + abbreviate(c[0]), "POST", messages, List.of(), utf8(c[0]), 400, "BAD_REQUEST", c[1]));
    }
    cases.add(new Case("publish markup as text, priority -0", "POST", messages, List.of(),
        utf8("{\"text\":\"<script>x</script>\",\"priority\":-0,\"user\":{\"id\":\"u\",\"name\":\"<b>n</b>\"}}"), 202, null, "\"seq\""));
    cases.add(new Case("publish to a room that does not exist", "POST", ROOMS + "/no-such-room/messages", List.of(),
        utf8("{\"text\":\"hi\"}"), 404, "NOT_FOUND", null));
    cases.add(new Case("publish to an ended room", "POST", ROOMS + "/ended-1/messages", List.of(), utf8("{\"text\":\"hi\"}"),
        409, "ROOM_CLOSED", null));
    for (String q : new String[] {"limit=0", "limit=-1", "limit=201", "limit=abc", "limit=1.5"}) {
      cases.add(new Case("history ?" + q, "GET", messages + "?" + q, List.of(), null, 400, "BAD_REQUEST", "limit must be between"));
    }
    for (String q : new String[] {"since=-1", "since=abc", "since=1.5", "since=99999999999", "since="}) {
      cases.add(new Case("history ?" + q, "GET", messages + "?" + q, List.of(), null, 400, "BAD_REQUEST", "since must be"));
    }
    for (String q : new String[] {"since=0", "since=2147483647", "limit=200", "limit="}) {
      cases.add(new Case("history ?" + q, "GET", messages + "?" + q, List.of(), null, 200, null, "\"items\""));
    }
    String replay = ROOMS + "/r1/replay";
    for (String[] c : new String[][] {{"fromMs=abc", "fromMs must be an integer"}, {"toMs=1e3", "toMs must be an integer"},
        {"fromMs=9223372036854775808", "fromMs must be an integer"}, {"fromMs=-1", "0 <= fromMs <= toMs"},
        {"fromMs=10&toMs=5", "0 <= fromMs <= toMs"}, {"limit=0", "limit must be between"}, {"limit=-5", "limit must be between"},
        {"limit=abc", "limit must be between"}, {"limit=5001", "limit must be between"},
        {"limit=99999999999", "limit must be between"}}) {
      cases.add(new Case("replay ?" + c[0], "GET", replay + "?" + c[0], List.of(), null, 400, "BAD_REQUEST", c[1]));
    }
    for (String q : new String[] {"limit=5000", "limit=", "toMs=9223372036854775807", "fromMs=&toMs=", "fromMs=0&toMs=0"}) {
      cases.add(new Case("replay ?" + q, "GET", replay + "?" + q, List.of(), null, 200, null, "\"items\""));
    }
    cases.add(new Case("replay of a room that does not exist", "GET", ROOMS + "/no-such-room/replay", List.of(), null, 404,
        "NOT_FOUND", null));
    String moderation = ROOMS + "/r1/moderation";
    for (String[] c : new String[][] {
        {"{}", "action is required"},
        {"{\"action\":5}", "action is required"},
        {"{\"action\":\"fly\"}", "unknown moderation action"},
        {"{\"action\":\"mute\"}", null},
        {"{\"action\":\"kick\",\"user\":\"../x\"}", "user must match"},
        {"{\"action\":\"kick\",\"user\":5}", "user must be a user id"},
        {"{\"action\":\"delete\",\"seq\":-1}", "seq must be a non-negative integer"},
        {"{\"action\":\"delete\",\"seq\":1.5}", "seq must be a non-negative integer"},
        {"{\"action\":\"delete\",\"seq\":1e400}", "seq must be a non-negative integer"},
        {"{\"action\":\"delete\",\"seq\":\"5\"}", "seq must be a non-negative integer"},
        {"{\"action\":\"delete\",\"seq\":999999}", "delete needs the epoch and seq"},
        {"{\"action\":\"pin\",\"epoch\":1}", "pin needs the epoch and seq"},
        {"{\"action\":\"delete\",\"epoch\":-1,\"seq\":1}", "epoch must be a non-negative integer"},
        {"{\"action\":\"pin\",\"epoch\":\"1\",\"seq\":1}", "epoch must be a non-negative integer"},
        {"{\"action\":\"mute\",\"user\":\"x\",\"durationSec\":1e13}", "durationSec must be a non-negative integer"},
        {"{\"action\":\"slowmode\",\"durationSec\":3601}", "slowmode needs durationSec"},
        {"{\"action\":\"kick\",\"user\":\"x\",\"reason\":\"" + "r".repeat(201) + "\"}", "reason must be a string"},
        {"{\"action\":\"kick\",\"user\":\"x\",\"room\":\"r1\"}", "unknown field 'room'"}}) {
      cases.add(new Case("moderation " + abbreviate(c[0]), "POST", moderation, List.of(), utf8(c[0]), 400, "BAD_REQUEST", c[1]));
    }
    cases.add(new Case("moderation delete of no item", "POST", moderation, List.of(),
        utf8("{\"action\":\"delete\",\"epoch\":1,\"seq\":999999}"), 404, "NOT_FOUND", "no item"));
    cases.add(new Case("moderation kick of nobody", "POST", moderation, List.of(),
        utf8("{\"action\":\"kick\",\"user\":\"nobody\",\"reason\":\"\\u0000<b>x</b>\"}"), 200, null, "\"ok\":true"));
    cases.add(new Case("moderation of a room that does not exist", "POST", ROOMS + "/no-such-room/moderation", List.of(),
        utf8("{\"action\":\"kick\",\"user\":\"x\"}"), 404, "NOT_FOUND", null));
    String log = ROOMS + "/r1/moderation/log";
    for (String q : new String[] {"cursor=abc", "cursor=1-", "cursor=123456789012345678901-1", "cursor=1-2-3", "limit=0", "limit=201"}) {
      cases.add(new Case("audit log ?" + q, "GET", log + "?" + q, List.of(), null, 400, "BAD_REQUEST", null));
    }
    for (String q : new String[] {"cursor=1-2", "cursor=", "limit=1"}) {
      cases.add(new Case("audit log ?" + q, "GET", log + "?" + q, List.of(), null, 200, null, "\"entries\""));
    }
    cases.add(new Case("audit log of a bad id", "GET", ROOMS + "/a%2Fb/moderation/log", List.of(), null, 400, "BAD_REQUEST", null));
    assertCases(cases);
  }

  @Test
  void authorizationHeaderVariants() throws Exception {
    List<Case> cases = new ArrayList<>();
    String path = ROOMS + "?limit=1";
    for (String h : new String[] {"Bearer " + KEY, "bearer " + KEY, "BEARER " + KEY, "bEaReR " + KEY, "Bearer  " + KEY,
        "Bearer " + KEY + " ", "Bearer \t" + KEY + "\t", "Bearer " + admin(TestCluster.JWT_SECRET, 60)}) {
      cases.add(auth(h, path, 200, null));
    }
    long now = System.currentTimeMillis() / 1000;
    for (String h : new String[] {"Bearer", "Bearer ", "Bearer  ", "BearerX" + KEY, "Bearer\t" + KEY, "Bearer:" + KEY,
        "Basic " + Base64.getEncoder().encodeToString(utf8(KEY + ":")), "Token " + KEY, KEY, "Bearer " + KEY.toUpperCase(Locale.ROOT),
        "Bearer " + KEY.substring(0, KEY.length() - 1), "Bearer " + KEY + "x", "Bearer " + KEY + ", Bearer " + KEY,
        "Bearer " + KEY + " " + KEY, "Bearer \"" + KEY + "\"", "Bearer " + "a".repeat(7000), "Bearer a.b.c", "Bearer ...",
        "Bearer " + admin("another-secret-entirely", 60), "Bearer " + admin(TestCluster.JWT_SECRET, -600),
        "Bearer " + admin(KEY, 60),
        "Bearer " + unsigned(new JsonObject().put("sub", "ops").put("rooms", new JsonObject().put("*", "admin"))),
        "Bearer " + hs256(new JsonObject().put("sub", "ops").put("exp", now + 60).put("rooms", new JsonObject().put("*", "admin"))
            .put("nbf", now + 3600), TestCluster.JWT_SECRET)}) {
      cases.add(auth(h, path, 401, "UNAUTHORIZED"));
    }
    for (JsonObject rooms : new JsonObject[] {new JsonObject(), new JsonObject().put("*", "ADMIN"), new JsonObject().put("*", "host"),
        new JsonObject().put("r1", "admin"), new JsonObject().put("*", new JsonObject().put("admin", true)),
        new JsonObject().put("* ", "admin")}) {
      String t = hs256(new JsonObject().put("sub", "ops").put("exp", now + 60).put("rooms", rooms), TestCluster.JWT_SECRET);
      cases.add(auth("Bearer " + t, path, 403, "FORBIDDEN"));
    }
    cases.add(auth("Bearer " + hs256(new JsonObject().put("sub", "ops").put("exp", now + 60).put("rooms", "admin"),
        TestCluster.JWT_SECRET), path, 403, "FORBIDDEN"));
    cases.add(new Case("no Authorization", "GET", path, List.<String[]>of(new String[] {"Authorization", null}), null, 401,
        "UNAUTHORIZED", null));
    cases.add(new Case("non-ASCII bytes in the header", "GET", path,
        List.<String[]>of(new String[] {"Authorization", "Bearer caf\u00e9\u00ff"}), null, 401, "UNAUTHORIZED", null));
    // two Authorization headers: the first one counts
    cases.add(new Case("a wrong then a right Authorization", "GET", path, List.<String[]>of(
        new String[] {"Authorization", "Bearer wrong-key"}, new String[] {"Authorization", "Bearer " + KEY}), null, 401,
        "UNAUTHORIZED", null));
    cases.add(new Case("a right then a wrong Authorization", "GET", path, List.<String[]>of(
        new String[] {"Authorization", "Bearer " + KEY}, new String[] {"Authorization", "Bearer wrong-key"}), null, 200, null, null));
    // auth comes before validation: a bad request without credentials is a 401
    cases.add(new Case("bad JSON without credentials", "POST", ROOMS, List.<String[]>of(new String[] {"Authorization", null}),
        utf8("{"), 401, "UNAUTHORIZED", null));
    cases.add(new Case("a bad id without credentials", "GET", ROOMS + "/a%2Fb", List.<String[]>of(new String[] {"Authorization", null}),
        null, 401, "UNAUTHORIZED", null));
    assertCases(cases);
  }

  @Test
  void badPercentEscapesInThePathAreAJson400WithoutAnErrorInTheLog() throws Exception {
    List<String> failures = new ArrayList<>();
    for (String path : new String[] {ROOMS + "/%ZZ", ROOMS + "/%", ROOMS + "/%C", ROOMS + "/r1%", "/api/v1/%ZZ", "/rt/%ZZ",
        "/rt/info%", "/%ZZ", "/rt/000/%G0/xhr", ROOMS + "?limit=%ZZ", ROOMS + "/%C3", ROOMS + "/%FF%FE", "/rt/%C3/%C3/xhr",
        ROOMS + "/%ED%A0%80"}) {
      logs.clear();
      Reply r = request("GET", path, List.of(), null);
      if (r.status() != (path.startsWith("/rt/%C3") ? 404 : 400)) {
        failures.add(path + " -> " + r.status());
      }
      if (path.startsWith("/api/") && !isError(r, "BAD_REQUEST")) {
        failures.add(path + " -> not a JSON error: " + r.body());
      }
      Await.quietPeriod(Duration.ofMillis(50), "an ERROR logged after the answer shows by then");
      if (!logs.errors().isEmpty()) {
        failures.add(path + " -> logged " + logs.describeErrors());
      }
    }
    logs.clear();
    assertEquals(List.of(), failures);
  }

  @Test
  void adminTokensWithMistypedTimeClaimsAreUnauthorized() throws Exception {
    List<String> failures = new ArrayList<>();
    for (JsonObject odd : new JsonObject[] {new JsonObject().put("exp", "never"), new JsonObject().put("nbf", "x"),
        new JsonObject().put("iat", "x"), new JsonObject().put("exp", new JsonObject())}) {
      logs.clear();
      String t = hs256(new JsonObject().put("sub", "ops").put("rooms", new JsonObject().put("*", "admin")).mergeIn(odd),
          TestCluster.JWT_SECRET);
      Reply r = request("GET", ROOMS, List.<String[]>of(new String[] {"Authorization", "Bearer " + t}), null);
      if (!isError(r, "UNAUTHORIZED") || r.status() != 401) {
        failures.add(odd.encode() + " -> " + r.status() + " " + r.body());
      }
      Await.quietPeriod(Duration.ofMillis(50), "an ERROR logged after the answer shows by then");
      if (!logs.errors().isEmpty()) {
        failures.add(odd.encode() + " -> logged " + logs.describeErrors());
      }
    }
    logs.clear();
    assertEquals(List.of(), failures);
  }

  // --- helpers -----------------------------------------------------------------------------------

  private void assertCases(List<Case> cases) throws Exception {
    List<String> failures = new ArrayList<>();
    for (Case c : cases) {
      Reply r;
      try {
        r = request(c.method(), c.path(), c.headers(), c.body());
      } catch (Exception e) {
        failures.add(c.name() + " -> " + e);
        continue;
      }
      if (r.status() != c.status()) {
        failures.add(c.name() + " -> " + r.status() + " " + abbreviate(r.body()));
      } else if (c.code() != null && !isError(r, c.code())) {
        failures.add(c.name() + " -> not a " + c.code() + " error: " + abbreviate(r.body()));
      } else if (c.message() != null && !r.body().contains(c.message())) {
        failures.add(c.name() + " -> " + abbreviate(r.body()) + " lacks " + abbreviate(c.message()));
      }
      if (r.body().contains("Exception") || r.body().contains("\tat ")) {
        failures.add(c.name() + " -> a stack trace reached the client: " + abbreviate(r.body()));
      }
      Await.quietPeriod(Duration.ofMillis(5), "an ERROR logged just after the answer shows by then");
      if (!logs.errors().isEmpty()) {
        failures.add(c.name() + " -> logged " + logs.describeErrors());
        logs.clear();
      }
    }
    assertEquals(List.of(), failures, failures.size() + " of " + cases.size() + " cases failed");
  }

  private static boolean isError(Reply r, String code) {
    try {
      JsonObject o = new JsonObject(r.body());
      return o.fieldNames().equals(java.util.Set.of("error")) && code.equals(o.getJsonObject("error").getString("code"))
          && o.getJsonObject("error").getString("message") != null
          && r.header("Content-Type") != null && r.header("Content-Type").startsWith("application/json");
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Case post(String name, String body, int status, String code, String message) {
    return new Case(name, "POST", ROOMS, List.of(), utf8(body), status, code, message);
  }

  private static Case auth(String header, String path, int status, String code) {
    return new Case("Authorization: " + abbreviate(header), "GET", path,
        List.<String[]>of(new String[] {"Authorization", header}), null, status, code, null);
  }

  /** A valid create body with a fresh id. */
  private static String created() {
    return "{\"title\":\"t\",\"ownerId\":\"host-1\",\"id\":\"" + nextId() + "\"}";
  }

  private static String nextId() {
    return "hostile-" + ++created;
  }

  private record Reply(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }

  /**
   * Sends one HTTP/1.1 request over a fresh socket, exactly as given (see {@link Case} for the
   * headers), and reads the answer until the server closes the connection.
   */
  private static Reply request(String method, String path, List<String[]> headers, byte[] body) throws Exception {
    List<String[]> h = new ArrayList<>();
    h.add(new String[] {"Host", "127.0.0.1:" + port});
    h.add(new String[] {"Authorization", "Bearer " + KEY});
    if (body != null) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    boolean chunked = false;
    boolean lengthGiven = false;
    java.util.Set<String> replaced = new java.util.HashSet<>();
    for (String[] kv : headers) {
      if (replaced.add(kv[0].toLowerCase(Locale.ROOT))) {
        h.removeIf(e -> e[0].equalsIgnoreCase(kv[0]));
      }
      if (kv[1] != null) {
        h.add(kv);
        chunked |= kv[0].equalsIgnoreCase("Transfer-Encoding");
        lengthGiven |= kv[0].equalsIgnoreCase("Content-Length");
      }
    }
    if (body != null && !chunked && !lengthGiven) {
      h.add(new String[] {"Content-Length", Integer.toString(body.length)});
    }
    h.add(new String[] {"Connection", "close"});
    ByteArrayOutputStream req = new ByteArrayOutputStream();
    req.writeBytes((method + " " + path + " HTTP/1.1\r\n").getBytes(StandardCharsets.ISO_8859_1));
    for (String[] kv : h) {
      // header bytes as UTF-8, so that non-ASCII values arrive as raw bytes
      req.writeBytes((kv[0] + ": " + kv[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    req.writeBytes(utf8("\r\n"));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(req.toByteArray());
      if (body != null) {
        try {
          if (chunked) {
            for (int at = 0; at < body.length; at += 65536) {
              int n = Math.min(65536, body.length - at);
              out.write(utf8(Integer.toHexString(n) + "\r\n"));
              out.write(body, at, n);
              out.write(utf8("\r\n"));
            }
            out.write(utf8("0\r\n\r\n"));
          } else {
            out.write(body);
          }
          out.flush();
        } catch (java.io.IOException refusedMidway) {
          // the server answered (413) and closed before the whole body was sent: read the answer
        }
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[65536];
      try {
        int n;
        while (!complete(got.toByteArray()) && (n = in.read(buf)) >= 0) {
          got.write(buf, 0, n);
        }
      } catch (java.net.SocketException reset) {
        // a reset after the answer: keep what came
      }
      String all = got.toString(StandardCharsets.UTF_8);
      int end = all.indexOf("\r\n\r\n");
      if (end < 0) {
        throw new IllegalStateException("no HTTP answer: " + abbreviate(all));
      }
      String head = all.substring(0, end);
      String rest = all.substring(end + 4);
      Reply r = new Reply(Integer.parseInt(head.split(" ")[1]), head, rest);
      if ("chunked".equalsIgnoreCase(r.header("Transfer-Encoding"))) {
        r = new Reply(r.status(), head, dechunk(rest));
      }
      return r;
    }
  }

  /**
   * Whether the bytes hold a whole answer with a Content-Length (the server may keep the
   * connection open, e.g. while a declared request body never comes); otherwise read to EOF.
   */
  private static boolean complete(byte[] b) {
    String s = new String(b, StandardCharsets.ISO_8859_1);
    int end = s.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    for (String line : s.substring(0, end).split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return b.length - end - 4 >= Integer.parseInt(line.substring(15).trim());
      }
    }
    return false;
  }

  private static String dechunk(String s) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < s.length()) {
      int eol = s.indexOf("\r\n", at);
      if (eol < 0) {
        break;
      }
      int n = Integer.parseInt(s.substring(at, eol).split(";")[0].trim(), 16);
      if (n == 0) {
        break;
      }
      out.append(s, eol + 2, Math.min(s.length(), eol + 2 + n));
      at = eol + 2 + n + 2;
    }
    return out.toString();
  }

  private static String admin(String secret, long expiresInSec) {
    return hs256(new JsonObject().put("sub", "ops").put("exp", System.currentTimeMillis() / 1000 + expiresInSec)
        .put("rooms", new JsonObject().put("*", "admin")), secret);
  }

  private static String hs256(JsonObject claims, String secret) {
    try {
      String in = b64(utf8("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")) + "." + b64(utf8(claims.encode()));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(utf8(secret), "HmacSHA256"));
      return in + "." + b64(mac.doFinal(utf8(in)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String unsigned(JsonObject claims) {
    return b64(utf8("{\"alg\":\"none\",\"typ\":\"JWT\"}")) + "." + b64(utf8(claims.encode())) + ".";
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

  private static String abbreviate(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      if (sb.length() > 100) {
        return sb.substring(0, 100) + "...(" + s.length() + " chars)";
      }
    }
    return sb.toString();
  }
}
