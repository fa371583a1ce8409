package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.LogCapture;
import io.liveroom.testing.RawWebSocket;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The essential checks of the SockJS protocol test suite (sockjs-protocol-0.3.3.py) against
 * {@code /rt} of a real node. The reference suite talks to an echo server; liveroom is not one, so
 * where the suite expects an echo of {@code "a"} these tests send a liveroom command and expect
 * liveroom's reply to it through the same transport. Where vertx-web's SockJS server deliberately
 * differs from the reference (or liveroom does, on purpose), the test asserts what it does and
 * says so in a comment. Every test also checks that nothing reached the server log as an ERROR.
 */
@RedisAndCluster(nodes = 1)
class SockJsProtocolIT {
  private static final long HEARTBEAT_MS = 1000;
  private static final long IDLE_TIMEOUT_MS = 4000;
  private static final String PING = "{\"id\":1,\"op\":\"ping\"}";

  private static TestCluster cluster;
  private static HttpClient client;
  private static int port;
  private static LogCapture logs;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    cluster.start(0, new JsonObject().put("rt", new JsonObject()
        .put("heartbeatMs", HEARTBEAT_MS).put("idleTimeoutMs", IDLE_TIMEOUT_MS)
        .put("ipConnectRatePerSec", 10_000).put("ipConnectBurst", 10_000)));
    port = cluster.node(0).httpPort();
    client = cluster.client().createHttpClient(new HttpClientOptions().setKeepAlive(false),
        new PoolOptions().setHttp1MaxSize(64));
    logs = LogCapture.attach();
  }

  @AfterAll
  static void down() throws Exception {
    if (logs != null) {
      logs.close();
    }
    if (client != null) {
      client.close().await(10, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void clearLogs() {
    logs.clear();
  }

  @AfterEach
  void nothingWasLoggedAsAnError() throws Exception {
    Await.quietPeriod(Duration.ofMillis(100), "no ERROR in the server log (one logged after the test's last answer "
        + "shows by then)", () -> logs.errors().isEmpty());
    assertEquals("", logs.describeErrors(), "no ERROR in the server log");
  }

  // --- base URL, iframe, info --------------------------------------------------------------

  @Test
  void theBaseUrlGreetsAndUnknownPathsAre404() {
    Resp r = http(HttpMethod.GET, "/rt/", null, null);
    assertEquals(200, r.status());
    assertEquals("text/plain; charset=UTF-8", r.header("Content-Type"));
    assertEquals("Welcome to SockJS!\n", r.body());
    assertNull(r.header("Set-Cookie"), "the greeting sets no cookie");
    // vertx-web normalises "/rt//" and "/rt///" to "/rt/", which greets
    for (String path : new String[] {"/rt/a", "/rt/a.html", "/rt/a/a", "/rt/a/a/", "/rt/a/"}) {
      assertEquals(404, http(HttpMethod.GET, path, null, null).status(), path);
    }
  }

  @Test
  void theBaseUrlWithoutATrailingSlashGreetsToo() {
    Resp r = http(HttpMethod.GET, "/rt", null, null);
    assertEquals(200, r.status(), r.body());
    assertEquals("Welcome to SockJS!\n", r.body());
  }

  @Test
  void theIframePageIsCacheableAndVersioned() {
    Resp r = http(HttpMethod.GET, "/rt/iframe.html", null, null);
    assertEquals(200, r.status());
    assertEquals("text/html; charset=UTF-8", r.header("Content-Type"));
    // the reference writes "public, max-age=31536000"; vertx-web leaves out the space
    assertEquals("public,max-age=31536000", r.header("Cache-Control"));
    assertNotNull(r.header("Expires"));
    assertNull(r.header("Set-Cookie"));
    String etag = r.header("ETag");
    assertNotNull(etag);
    assertTrue(r.body().contains("SockJS.bootstrap_iframe();"), r.body());
    // the iframe loads the sockjs-client this server serves, not vertx-web's default (a CDN)
    assertTrue(r.body().contains("<script src=\"/vendor/sockjs/sockjs.min.js\">"), r.body());
    assertFalse(r.body().contains("cdn."), r.body());
    Resp lib = http(HttpMethod.GET, "/vendor/sockjs/sockjs.min.js", null, null);
    assertEquals(200, lib.status());
    assertTrue(lib.body().contains("1.6.1"), "the sockjs-client version the iframe and liveroom.js expect");

    Resp cached = http(HttpMethod.GET, "/rt/iframe.html", MultiMap.caseInsensitiveMultiMap().add("If-None-Match", etag), null);
    assertEquals(304, cached.status());
    assertEquals("", cached.body());
    for (String path : new String[] {"/rt/iframe-a.html", "/rt/iframe-.html", "/rt/iframe-0.1.2.html",
        "/rt/iframe-0.1.2abc-dirty.2144.html"}) {
      Resp v = http(HttpMethod.GET, path, null, null);
      assertEquals(200, v.status(), path);
      assertEquals(r.body(), v.body(), path);
    }
    for (String path : new String[] {"/rt/iframe.htm", "/rt/iframe", "/rt/IFRAME.HTML", "/rt/iframe.HTML", "/rt/iframe.xml"}) {
      assertEquals(404, http(HttpMethod.GET, path, null, null).status(), path);
    }
  }

  @Test
  void infoDescribesTheServerWithCorsAndNoCaching() {
    Resp r = http(HttpMethod.GET, "/rt/info", null, null);
    assertEquals(200, r.status());
    assertEquals("application/json; charset=UTF-8", r.header("Content-Type"));
    assertEquals("no-store, no-cache, no-transform, must-revalidate, max-age=0", r.header("Cache-Control"));
    assertEquals("*", r.header("Access-Control-Allow-Origin"));
    // the reference sends no Access-Control-Allow-Credentials with "*"; vertx-web sends "false"
    assertEquals("false", r.header("Access-Control-Allow-Credentials"));
    JsonObject info = new JsonObject(r.body());
    assertEquals(java.util.Set.of("websocket", "origins", "cookie_needed", "entropy"), info.fieldNames());
    assertEquals(Boolean.TRUE, info.getValue("websocket"));
    assertEquals(new JsonArray().add("*:*"), info.getJsonArray("origins"));
    // liveroom switches the JSESSIONID cookie off (no sticky sessions needed per transport)
    assertEquals(Boolean.FALSE, info.getValue("cookie_needed"));
    assertTrue(info.getValue("entropy") instanceof Number);
    long entropy2 = new JsonObject(http(HttpMethod.GET, "/rt/info", null, null).body()).getLong("entropy");
    assertNotEquals(info.getLong("entropy"), entropy2, "entropy is random per request");

    Resp fromPage = http(HttpMethod.GET, "/rt/info", headers("Origin", "http://localhost:3000"), null);
    assertEquals(200, fromPage.status());
    assertEquals("http://localhost:3000", fromPage.header("Access-Control-Allow-Origin"));
    assertEquals("true", fromPage.header("Access-Control-Allow-Credentials"));

    Resp options = http(HttpMethod.OPTIONS, "/rt/info",
        headers("Origin", "http://localhost:3000", "Access-Control-Request-Headers", "a, b, c"), null);
    assertEquals(204, options.status());
    assertEquals("OPTIONS, GET", options.header("Access-Control-Allow-Methods"));
    assertEquals("public,max-age=31536000", options.header("Cache-Control"));
    assertEquals("31536000", options.header("Access-Control-Max-Age"));
    assertNotNull(options.header("Expires"));
    assertEquals("a, b, c", options.header("Access-Control-Allow-Headers"));
    assertEquals("http://localhost:3000", options.header("Access-Control-Allow-Origin"));
    assertEquals("", options.body());

    // The reference answers "Origin: null" (sandboxed iframes, file://) with CORS for "null";
    // liveroom refuses every foreign origin before SockJS sees the request (protocol-notes.md).
    Resp nullOrigin = http(HttpMethod.OPTIONS, "/rt/info", headers("Origin", "null"), null);
    assertEquals(403, nullOrigin.status());
    assertEquals(403, http(HttpMethod.GET, "/rt/info", headers("Origin", "null"), null).status());
  }

  // --- session URLs and xhr polling ------------------------------------------------------------

  @Test
  void anyServerAndSessionIdWithoutDotsOrSlashesIsASession() {
    for (String part : new String[] {"/a/a", "/_/_", "/1/" + "1".repeat(70), "/" + "1".repeat(70) + "/1", "/a-b/c~d"}) {
      Resp r = http(HttpMethod.POST, "/rt" + part + "/xhr", null, null);
      assertEquals(200, r.status(), part);
      assertEquals("o\n", r.body(), part);
    }
    for (String part : new String[] {"//", "/a./a", "/a/a.", "/./.", "/", "///"}) {
      assertEquals(404, http(HttpMethod.GET, "/rt" + part + "/xhr", null, null).status(), "GET " + part);
      assertEquals(404, http(HttpMethod.POST, "/rt" + part + "/xhr", null, null).status(), "POST " + part);
    }
  }

  @Test
  void theServerIdIsIgnoredOnlyTheSessionIdCounts() {
    String sid = sessionId();
    assertEquals("o\n", http(HttpMethod.POST, "/rt/000/" + sid + "/xhr", null, null).body());
    Resp sent = http(HttpMethod.POST, "/rt/000/" + sid + "/xhr_send", null, sockJs(PING));
    assertEquals(204, sent.status());
    assertEquals("", sent.body());
    List<JsonObject> replies = messages(http(HttpMethod.POST, "/rt/999/" + sid + "/xhr", null, null).body());
    assertEquals(1, replies.size());
    assertEquals(1, replies.get(0).getInteger("id"));
  }

  @Test
  void xhrPollingOpensSendsAndReceives() {
    String sid = sessionId();
    String base = "/rt/000/" + sid;
    Resp open = http(HttpMethod.POST, base + "/xhr", null, null);
    assertEquals(200, open.status());
    assertEquals("o\n", open.body());
    assertEquals("application/javascript; charset=UTF-8", open.header("Content-Type"));
    assertEquals("*", open.header("Access-Control-Allow-Origin"));
    assertNull(open.header("Set-Cookie"), "insertJSESSIONID is off");
    // liveroom's addition: vertx-web closes the connection after each poll, so it says so
    assertEquals("close", open.header("Connection"));

    for (String path : new String[] {base + "/xhr", base + "/xhr_send", base + "/xhr_streaming"}) {
      Resp options = http(HttpMethod.OPTIONS, path, headers("Access-Control-Request-Headers", "x-test"), null);
      assertEquals(204, options.status(), path);
      assertEquals("OPTIONS, POST", options.header("Access-Control-Allow-Methods"), path);
      assertEquals("x-test", options.header("Access-Control-Allow-Headers"), path);
    }

    Resp sent = http(HttpMethod.POST, base + "/xhr_send", null,
        sockJs("{\"id\":1,\"op\":\"ping\"}", "{\"id\":2,\"op\":\"hello\",\"v\":1}", "{\"id\":3,\"op\":\"ping\"}"));
    assertEquals(204, sent.status());
    assertEquals("", sent.body());
    assertEquals("text/plain; charset=UTF-8", sent.header("Content-Type"));
    List<JsonObject> replies = pollUntil(base, 3);
    assertEquals("UNAUTHORIZED", replies.get(0).getJsonObject("error").getString("code"), "ping before hello");
    assertEquals(2, replies.get(1).getInteger("id"));
    assertTrue(replies.get(1).getBoolean("ok"));
    assertEquals(3, replies.get(2).getInteger("id"));
    assertTrue(replies.get(2).getLong("ts") > 0);

    // every Content-Type of the reference suite is accepted by xhr_send
    for (String type : new String[] {"text/plain", "T", "application/json", "application/xml", "",
        "application/json; charset=utf-8", "text/xml; charset=utf-8", "text/xml"}) {
      Resp r = http(HttpMethod.POST, base + "/xhr_send", headers("Content-Type", type), sockJs(PING));
      assertEquals(204, r.status(), "Content-Type " + type);
    }
    assertEquals(8, pollUntil(base, 8).size());
  }

  @Test
  void xhrSendRejectsBrokenFramesAndUnknownSessions() {
    assertEquals(404, http(HttpMethod.POST, "/rt/000/" + sessionId() + "/xhr_send", null, sockJs(PING)).status());
    String base = "/rt/000/" + sessionId();
    assertEquals("o\n", http(HttpMethod.POST, base + "/xhr", null, null).body());

    Resp broken = http(HttpMethod.POST, base + "/xhr_send", null, "[\"x");
    assertEquals(500, broken.status());
    assertEquals("Broken JSON encoding.", broken.body());
    Resp empty = http(HttpMethod.POST, base + "/xhr_send", null, "");
    assertEquals(500, empty.status());
    assertEquals("Payload expected.", empty.body());
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, "[]").status(), "an empty frame is fine");
    // The reference echo server answers [""] with a[""]; liveroom answers the empty message as a
    // frame that is not JSON.
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, "[\"\"]").status());
    List<JsonObject> replies = pollUntil(base, 1);
    assertEquals("BAD_REQUEST", replies.get(0).getJsonObject("error").getString("code"));
    assertNull(replies.get(0).getValue("id"));
    // the session survived all of it
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, sockJs(PING)).status());
    assertEquals(1, pollUntil(base, 1).get(0).getInteger("id"));
  }

  @Test
  void theServerEscapesEveryNonAsciiCharacter() {
    String base = "/rt/000/" + sessionId();
    http(HttpMethod.POST, base + "/xhr", null, null);
    String op = "\u00e9\u20ac\ud83d\ude00\u2028\u0000";
    String cmds = new JsonArray().add("{\"id\":1,\"op\":\"hello\"}")
        .add(new JsonObject().put("id", 2).put("op", op).encode()).encode();
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, cmds).status());
    StringBuilder raw = new StringBuilder();
    List<JsonObject> replies = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 5000;
    while (replies.size() < 2 && System.currentTimeMillis() < deadline) {
      String body = http(HttpMethod.POST, base + "/xhr", null, null).body();
      raw.append(body);
      replies.addAll(messages(body));
    }
    for (int i = 0; i < raw.length(); i++) {
      assertTrue(raw.charAt(i) < 0x80, "only ASCII on the wire: " + raw);
    }
    // the reply's own JSON escapes only the control character; SockJS escapes the rest
    assertTrue(raw.toString().contains("\\u00e9\\u20ac\\ud83d\\ude00\\u2028\\\\u0000"), raw.toString());
    assertEquals("unknown op '" + op + "'", replies.get(1).getJsonObject("error").getString("message"),
        "it decodes back to the same characters");
  }

  // --- streaming transports ---------------------------------------------------------------------

  @Test
  void xhrStreamingSendsThePreludeThenFrames() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      assertEquals(200, s.status);
      assertEquals("application/javascript; charset=UTF-8", s.headers.get("Content-Type"));
      assertEquals("*", s.headers.get("Access-Control-Allow-Origin"));
      String prelude = "h".repeat(2048) + "\n";
      assertTrue(s.await(t -> t.length() >= prelude.length() + 2, 5000).startsWith(prelude + "o\n"));
      assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, sockJs(PING)).status());
      String text = s.await(t -> t.contains("a["), 5000);
      String frame = text.substring(text.indexOf("a["));
      assertTrue(frame.endsWith("\n"), frame);
      assertEquals(1, messages(frame).get(0).getInteger("id"));
    }
  }

  @Test
  void xhrStreamingEndsTheResponseAfterMaxBytesStreaming() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      fillPastTheStreamingLimit(base, s);
      assertTrue(s.awaitEnd(10_000), "the stream ends after 128 KiB");
      int total = s.text().length();
      assertTrue(total >= 128 * 1024 && total < 128 * 1024 + 65_536, "ended at " + total + " characters");
    }
  }

  @Test
  @Disabled("server bug: a streaming receiver ended at maxBytesStreaming (128 KiB) kills its SockJS session")
  void aStreamEndedAtItsByteLimitKeepsItsSession() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      fillPastTheStreamingLimit(base, s);
      assertTrue(s.awaitEnd(10_000));
    }
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, sockJs(PING)).status(), "the session is still there");
    try (Stream again = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      String prelude = "h".repeat(2048) + "\n";
      String text = again.await(t -> t.length() > prelude.length() + 2, 5000);
      assertTrue(text.startsWith(prelude + "a["), "the same session, no second open frame: "
          + text.substring(prelude.length(), Math.min(text.length(), prelude.length() + 40)));
    }
  }

  /** Sends pings to the session until its streaming receiver has had more than 128 KiB of replies. */
  private static void fillPastTheStreamingLimit(String base, Stream s) throws InterruptedException {
    s.await(t -> t.endsWith("o\n"), 5000);
    // hello first: pings before it would be violations, and 20 of them close the session
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, sockJs("{\"id\":0,\"op\":\"hello\"}")).status());
    int id = 1;
    while (s.text().length() < 128 * 1024 && id < 6000) {
      JsonArray pings = new JsonArray();
      for (int i = 0; i < 500; i++) {
        pings.add("{\"id\":" + id++ + ",\"op\":\"ping\"}");
      }
      assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, pings.encode()).status());
      int expected = id;
      s.await(t -> t.contains("\\\"id\\\":" + (expected - 1) + ",") || t.length() >= 128 * 1024, 5000);
    }
  }

  @Test
  void eventSourceStreamsDataLines() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.GET, base + "/eventsource", null)) {
      assertEquals(200, s.status);
      // the reference expects "text/event-stream; charset=UTF-8"; vertx-web leaves the charset
      // out on purpose (event streams are always UTF-8)
      assertEquals("text/event-stream", s.headers.get("Content-Type"));
      assertEquals("no-store, no-cache, no-transform, must-revalidate, max-age=0", s.headers.get("Cache-Control"));
      assertTrue(s.await(t -> t.length() >= 13, 5000).startsWith("\r\ndata: o\r\n\r\n"));
      assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, sockJs(PING)).status());
      String text = s.await(t -> t.contains("data: a["), 5000);
      String frame = text.substring(text.indexOf("data: a[") + 6);
      assertTrue(frame.endsWith("\r\n\r\n"), frame);
      assertEquals(1, messages(frame.strip()).get(0).getInteger("id"));
    }
  }

  @Test
  void htmlFileWrapsFramesInEscapedScriptCalls() throws Exception {
    Resp noCallback = http(HttpMethod.GET, "/rt/000/" + sessionId() + "/htmlfile", null, null);
    assertEquals(500, noCallback.status());
    assertEquals("\"callback\" parameter required\n", noCallback.body());
    Resp invalid = http(HttpMethod.GET, "/rt/000/" + sessionId() + "/htmlfile?c=%20", null, null);
    assertEquals(500, invalid.status());
    assertEquals("invalid \"callback\" parameter\n", invalid.body());

    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.GET, base + "/htmlfile?c=%63allback", null)) {
      assertEquals(200, s.status);
      assertEquals("text/html; charset=UTF-8", s.headers.get("Content-Type"));
      String text = s.await(t -> t.contains("p(\"o\");"), 5000);
      assertTrue(text.startsWith("<!doctype html>"), text);
      assertTrue(text.contains("var c = parent.callback;"), text);
      assertTrue(text.indexOf("<script>\np(\"o\");\n</script>\r\n") > 1024, "the head is padded to 1 KiB");
      // a message carrying a closing script tag must not close the page's script element
      String op = "</script><script>alert(1)</script>";
      String cmds = new JsonArray().add("{\"id\":1,\"op\":\"hello\"}").add(new JsonObject().put("id", 2).put("op", op).encode()).encode();
      assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, cmds).status());
      String all = s.await(t -> t.contains("alert(1)"), 5000);
      String tail = all.substring(all.indexOf("p(\"o\");"));
      assertFalse(tail.contains("</script><script>alert(1)"), tail);
      // (the error message cuts the unknown op at 32 characters)
      assertTrue(tail.contains("<\\/script><script>alert(1)<\\/scrip"), tail);
    }
  }

  @Test
  void jsonpPollsWithACallbackAndSendsFormEncodedFrames() {
    String base = "/rt/000/" + sessionId();
    assertEquals(500, http(HttpMethod.GET, base + "/jsonp", null, null).status());
    Resp open = http(HttpMethod.GET, base + "/jsonp?c=%63allback", null, null);
    assertEquals(200, open.status());
    assertEquals("application/javascript; charset=UTF-8", open.header("Content-Type"));
    assertEquals("nosniff", open.header("X-Content-Type-Options"));
    assertEquals("/**/callback(\"o\");\r\n", open.body());
    Resp form = http(HttpMethod.POST, base + "/jsonp_send", headers("Content-Type", "application/x-www-form-urlencoded"),
        "d=" + java.net.URLEncoder.encode(sockJs(PING), StandardCharsets.UTF_8));
    assertEquals(200, form.status());
    assertEquals("ok", form.body());
    Resp text = http(HttpMethod.POST, base + "/jsonp_send", headers("Content-Type", "text/plain"), sockJs(PING));
    assertEquals("ok", text.body());
    Resp wrongType = http(HttpMethod.POST, base + "/jsonp_send", headers("Content-Type", "application/json"), sockJs(PING));
    assertEquals(500, wrongType.status());
    assertEquals("Invalid Content-Type", wrongType.body());
    Resp noPayload = http(HttpMethod.POST, base + "/jsonp_send", headers("Content-Type", "application/x-www-form-urlencoded"), "d=");
    assertEquals(500, noPayload.status());
    assertEquals("Payload expected.", noPayload.body());
    String poll = http(HttpMethod.GET, base + "/jsonp?c=callback", null, null).body();
    assertTrue(poll.startsWith("/**/callback(\"") && poll.endsWith("\");\r\n"), poll);
    List<JsonObject> replies = messages(jsUnescape(poll.substring(14, poll.length() - 5)));
    assertEquals(2, replies.size(), poll);
    assertEquals("UNAUTHORIZED", replies.get(0).getJsonObject("error").getString("code"), "ping before hello");
  }

  // --- heartbeats and closing ----------------------------------------------------------------

  @Test
  void heartbeatsComeAtTheConfiguredIntervalAndAnIdleSessionGetsGoAway() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      String text = s.await(t -> t.contains("c[3000,\"Go away!\"]\n"), IDLE_TIMEOUT_MS + 4000);
      List<Long> beats = s.heartbeatTimes();
      assertTrue(beats.size() >= 3, "heartbeats before the idle timeout: " + beats.size() + " in " + text.substring(2049));
      for (int i = 1; i < beats.size(); i++) {
        long gap = beats.get(i) - beats.get(i - 1);
        assertTrue(gap > HEARTBEAT_MS - 300 && gap < HEARTBEAT_MS + 600, "h every " + HEARTBEAT_MS + " ms, got a gap of " + gap);
      }
      // liveroom's idle timeout: a bye push, then SockJS's close frame for a closed session
      String frames = text.substring(2049);
      int bye = frames.indexOf("a[\"{\\\"push\\\":\\\"bye\\\",\\\"reason\\\":\\\"IDLE_TIMEOUT\\\"}\"]\n");
      assertTrue(bye > 0, frames);
      assertTrue(frames.indexOf("c[3000,\"Go away!\"]\n") > bye, frames);
      assertTrue(s.awaitEnd(3000));
    }
    // the closed session answers every later request with the same close frame until it expires
    assertEquals("c[3000,\"Go away!\"]\n", http(HttpMethod.POST, base + "/xhr", null, null).body());
    assertEquals(404, http(HttpMethod.POST, base + "/xhr_send", null, sockJs(PING)).status(), "a closed session takes no frames");
  }

  @Test
  void aSessionClosedByTheServerSaysGoAwayOnEveryLaterPoll() {
    String base = "/rt/000/" + sessionId();
    assertEquals("o\n", http(HttpMethod.POST, base + "/xhr", null, null).body());
    JsonArray garbage = new JsonArray();
    for (int i = 0; i < 20; i++) {
      garbage.add("garbage " + i);
    }
    assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, garbage.encode()).status());
    List<JsonObject> got = new ArrayList<>();
    String last = "";
    long deadline = System.currentTimeMillis() + 5000;
    while (!last.startsWith("c[") && System.currentTimeMillis() < deadline) {
      last = http(HttpMethod.POST, base + "/xhr", null, null).body();
      if (last.startsWith("a[")) {
        got.addAll(messages(last));
      }
    }
    assertEquals("c[3000,\"Go away!\"]\n", last);
    assertEquals(21, got.size(), "20 errors and the bye: " + got);
    assertEquals("ABUSE", got.get(20).getString("reason"));
    assertEquals("c[3000,\"Go away!\"]\n", http(HttpMethod.POST, base + "/xhr", null, null).body());
    assertEquals("c[3000,\"Go away!\"]\n", http(HttpMethod.POST, base + "/xhr_streaming", null, null).body()
        .substring(2049), "every transport gets the close frame");
  }

  @Test
  void aSecondReceiverOnTheSameSessionIsTurnedAwayWith2010() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream first = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      first.await(t -> t.endsWith("o\n"), 5000);
      assertEquals("c[2010,\"Another connection still open\"]\n", http(HttpMethod.POST, base + "/xhr", null, null).body());
    }
    String other = "/rt/000/" + sessionId();
    try (Stream first = stream(HttpMethod.POST, other + "/xhr_streaming", null)) {
      first.await(t -> t.endsWith("o\n"), 5000);
      String second = http(HttpMethod.POST, other + "/xhr_streaming", null, null).body();
      assertEquals("c[2010,\"Another connection still open\"]\n", second.substring(2049));
    }
  }

  @Test
  @Disabled("server bug: a receiver turned away with c[2010] detaches the session's open receiver")
  void theFirstReceiverKeepsReceivingAfterASecondWasTurnedAway() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream first = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      first.await(t -> t.endsWith("o\n"), 5000);
      assertEquals("c[2010,\"Another connection still open\"]\n", http(HttpMethod.POST, base + "/xhr", null, null).body());
      assertEquals(204, http(HttpMethod.POST, base + "/xhr_send", null, sockJs(PING)).status());
      String text = first.await(t -> t.contains("a["), 3000);
      assertEquals(1, messages(text.substring(text.indexOf("a["))).get(0).getInteger("id"));
    }
  }

  @Test
  void anAbortedStreamEndsTheSession() throws Exception {
    String base = "/rt/000/" + sessionId();
    try (Stream s = stream(HttpMethod.POST, base + "/xhr_streaming", null)) {
      s.await(t -> t.endsWith("o\n"), 5000);
      s.abort();
    }
    // The reference expects c[1002,"Connection interrupted"] for the interrupted session; vertx-web
    // removes a session whose receiving request was aborted, so the same id opens a new session.
    String[] next = {""};
    Await.until(() -> (next[0] = http(HttpMethod.POST, base + "/xhr", null, null).body()).equals("o\n"),
        Duration.ofSeconds(5), () -> "the aborted session's id opens a new session (last answer: " + next[0] + ")");
  }

  // --- WebSockets -------------------------------------------------------------------------

  @Test
  void theRawWebSocketCarriesPlainFramesWithoutSockJsFraming() throws Exception {
    WebSocketClient wsClient = cluster.client().createWebSocketClient();
    try {
      WebSocket ws = wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
          .setURI("/rt/websocket").setAllowOriginHeader(false)).await(10, TimeUnit.SECONDS);
      LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
      ws.textMessageHandler(in::add);
      ws.writeTextMessage("{\"id\":1,\"op\":\"hello\",\"v\":1}").await(5, TimeUnit.SECONDS);
      JsonObject hello = new JsonObject(in.poll(5, TimeUnit.SECONDS));
      assertTrue(hello.getBoolean("ok"), hello.encode());
      assertEquals(HEARTBEAT_MS, hello.getLong("heartbeatMs"));
      ws.writeTextMessage(PING.replace("1", "2")).await(5, TimeUnit.SECONDS);
      assertEquals(2, new JsonObject(in.poll(5, TimeUnit.SECONDS)).getInteger("id"));
      // no "o", no "h": the raw transport has no SockJS framing and no heartbeat frames, which
      // is why clients there should ping every heartbeatMs (hello says how often)
      assertNull(in.poll(HEARTBEAT_MS * 2 + 500, TimeUnit.MILLISECONDS));
      ws.close().await(5, TimeUnit.SECONDS);
    } finally {
      wsClient.close().await(5, TimeUnit.SECONDS);
    }
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/websocket")) {
      for (int i = 0; i < 20; i++) {
        ws.sendText("garbage " + i);
      }
      RawWebSocket.Message m;
      String bye = null;
      while ((m = ws.read(5000)) != null && !m.ended()) {
        bye = m.text();
      }
      assertNotNull(m, "the server closes the socket");
      assertEquals("{\"push\":\"bye\",\"reason\":\"ABUSE\"}", bye);
      assertEquals(RawWebSocket.CLOSE, m.opcode(), "with a close frame: " + m);
      assertEquals(1000, m.closeCode());
    }
  }

  @Test
  void theRawWebSocketEndpointRefusesWhatIsNotAnUpgrade() throws Exception {
    Resp get = http(HttpMethod.GET, "/rt/websocket", null, null);
    assertEquals(400, get.status());
    assertEquals("Can \"Upgrade\" only to \"WebSocket\".", get.body());
    Resp post = http(HttpMethod.POST, "/rt/websocket", null, "x");
    assertEquals(405, post.status());
    assertEquals("GET", post.header("Allow"));
    Resp framedPost = http(HttpMethod.POST, "/rt/000/" + sessionId() + "/websocket", null, "x");
    assertEquals(405, framedPost.status());
    assertEquals("GET", framedPost.header("Allow"));
    // the reference answers 400 '"Connection" must be "Upgrade".'; vertx-web does not upgrade either
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/websocket", Map.of("Connection", "close"))) {
      assertEquals(400, ws.handshake().status());
      assertEquals("Can \"Upgrade\" only to \"WebSocket\".", ws.handshake().body());
    }
    // Firefox sends "Connection: keep-alive, Upgrade"
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/websocket", Map.of("Connection", "keep-alive, Upgrade"))) {
      assertEquals(101, ws.handshake().status());
      ws.sendText(PING);
      assertTrue(ws.readText(5000).contains("\"id\":1"));
    }
  }

  @Test
  void malformedUpgradesAreAnsweredWithoutAnErrorInTheLog() throws Exception {
    Object[][] cases = {
        {Map.of("Sec-WebSocket-Version", "99"), 426},
        {headersWithout("Sec-WebSocket-Key"), 400},
        {Map.of("Upgrade", "h2c"), 400},
    };
    List<String> logged = new ArrayList<>();
    for (String path : new String[] {"/rt/websocket", "/rt/000/" + sessionId() + "/websocket"}) {
      for (Object[] c : cases) {
        @SuppressWarnings("unchecked")
        Map<String, String> h = (Map<String, String>) c[0];
        logs.clear();
        try (RawWebSocket ws = RawWebSocket.connect(port, path, h)) {
          assertNotEquals(101, ws.handshake().status(), path + " " + h);
          if (ws.handshake().status() != (int) c[1]) {
            logged.add(path + " " + h + " -> " + ws.handshake().status() + " (expected " + c[1] + ")");
          }
          if (ws.handshake().status() == 426) {
            assertEquals("13", ws.handshake().header("Sec-WebSocket-Version"));
          }
        }
        Await.quietPeriod(Duration.ofMillis(50), "an ERROR logged after the refused upgrade shows by then");
        if (!logs.errors().isEmpty()) {
          logged.add(path + " " + h + " -> " + logs.describeErrors());
        }
      }
    }
    logs.clear();
    assertEquals(List.of(), logged);
  }

  private static Map<String, String> headersWithout(String name) {
    Map<String, String> m = new java.util.HashMap<>();
    m.put(name, null);
    return m;
  }

  @Test
  void theFramedWebSocketOpensWithOAndHeartbeats() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/000/" + sessionId() + "/websocket")) {
      assertEquals(101, ws.handshake().status());
      assertEquals("o", ws.readText(5000));
      ws.sendText(sockJs(PING));
      assertEquals(1, messages(ws.readText(5000)).get(0).getInteger("id"));
      // a bare JSON string is one message too; an empty frame is ignored
      ws.sendText("[]");
      String bare = sockJs(PING.replace("1", "2"));
      ws.sendText(bare.substring(1, bare.length() - 1));
      assertEquals(2, messages(ws.readText(5000)).get(0).getInteger("id"));
      long t0 = System.nanoTime();
      assertEquals("h", ws.readText(HEARTBEAT_MS + 1000));
      assertEquals("h", ws.readText(HEARTBEAT_MS + 1000));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms > HEARTBEAT_MS - 300 && ms < 2 * HEARTBEAT_MS + 600, "two heartbeats took " + ms + " ms");
    }
  }

  @Test
  void theFramedWebSocketClosesOnBrokenJsonAndSaysGoAwayWhenTheServerCloses() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/000/" + sessionId() + "/websocket")) {
      assertEquals("o", ws.readText(5000));
      ws.sendText("[\"a");
      RawWebSocket.Message end = ws.awaitEnd(5000);
      assertNotNull(end, "broken JSON closes the session's socket");
    }
    try (RawWebSocket ws = RawWebSocket.connect(port, "/rt/000/" + sessionId() + "/websocket")) {
      assertEquals("o", ws.readText(5000));
      JsonArray garbage = new JsonArray();
      for (int i = 0; i < 20; i++) {
        garbage.add("garbage " + i);
      }
      ws.sendText(garbage.encode());
      List<String> frames = new ArrayList<>();
      RawWebSocket.Message m;
      while ((m = ws.read(5000)) != null && !m.ended()) {
        frames.add(m.text());
      }
      assertNotNull(m);
      assertEquals("c[3000,\"Go away!\"]", frames.get(frames.size() - 1), frames.toString());
      assertTrue(frames.get(frames.size() - 2).contains("\\\"reason\\\":\\\"ABUSE\\\""), frames.toString());
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  private record Resp(int status, MultiMap headers, String body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** Undoes vertx-web's JavaScript string escaping (jsonp and htmlfile frames). */
  private static String jsUnescape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char n = s.charAt(++i);
      switch (n) {
        case 'u' -> {
          sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
          i += 4;
        }
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        default -> sb.append(n);
      }
    }
    return sb.toString();
  }

  private static String sessionId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  private static String sockJs(String... messages) {
    JsonArray a = new JsonArray();
    for (String m : messages) {
      a.add(m);
    }
    return a.encode();
  }

  private static MultiMap headers(String... kv) {
    MultiMap m = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < kv.length; i += 2) {
      m.add(kv[i], kv[i + 1]);
    }
    return m;
  }

  /** The liveroom messages of one SockJS {@code a[...]} frame. */
  private static List<JsonObject> messages(String frame) {
    String f = frame.strip();
    assertTrue(f.startsWith("a["), "an array frame: " + frame);
    List<JsonObject> out = new ArrayList<>();
    new JsonArray(f.substring(1)).forEach(m -> out.add(new JsonObject((String) m)));
    return out;
  }

  /** Polls {@code base/xhr} until {@code n} messages came (or 5 s passed). */
  private static List<JsonObject> pollUntil(String base, int n) {
    List<JsonObject> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 5000;
    while (out.size() < n && System.currentTimeMillis() < deadline) {
      String body = http(HttpMethod.POST, base + "/xhr", null, null).body();
      if (body.startsWith("a[")) {
        out.addAll(messages(body));
      } else {
        assertEquals("h\n", body, "a poll answers messages or a heartbeat");
      }
    }
    assertEquals(n, out.size(), "messages: " + out);
    return out;
  }

  private static Resp http(HttpMethod method, String path, MultiMap headers, String body) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path);
    return block(client.request(o).compose(req -> {
      if (headers != null) {
        req.headers().addAll(headers);
      }
      return (body == null ? req.send() : req.send(body))
          .compose(resp -> resp.body().map(b -> new Resp(resp.statusCode(), resp.headers(), b.toString())));
    }), 15_000);
  }

  private static Stream stream(HttpMethod method, String path, String body) {
    Stream s = new Stream();
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path);
    block(client.request(o).compose(req -> {
      s.connection = req.connection();
      return (body == null ? req.send() : req.send(body)).onSuccess(resp -> {
        s.status = resp.statusCode();
        s.headers = resp.headers();
        resp.handler(s::add);
        resp.endHandler(v -> s.end());
        resp.exceptionHandler(e -> s.end());
      });
    }), 15_000);
    return s;
  }

  private static <T> T block(io.vertx.core.Future<T> f, long ms) {
    try {
      return f.await(ms, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no answer within " + ms + " ms", e);
    }
  }

  /** A streaming response: its text so far, with arrival times of each chunk. */
  private static final class Stream implements AutoCloseable {
    volatile int status;
    volatile MultiMap headers;
    volatile HttpConnection connection;
    private final StringBuilder text = new StringBuilder();
    private final List<long[]> heartbeats = new ArrayList<>();
    private boolean ended;

    synchronized void add(Buffer b) {
      long now = System.nanoTime() / 1_000_000;
      String chunk = b.toString(StandardCharsets.UTF_8);
      for (String line : chunk.split("\n", -1)) {
        if (line.equals("h")) {
          heartbeats.add(new long[] {now});
        }
      }
      text.append(chunk);
      notifyAll();
    }

    synchronized void end() {
      ended = true;
      notifyAll();
    }

    synchronized String text() {
      return text.toString();
    }

    synchronized List<Long> heartbeatTimes() {
      List<Long> out = new ArrayList<>();
      heartbeats.forEach(h -> out.add(h[0]));
      return out;
    }

    synchronized String await(Predicate<String> done, long ms) throws InterruptedException {
      long deadline = System.currentTimeMillis() + ms;
      while (!done.test(text.toString())) {
        long wait = deadline - System.currentTimeMillis();
        if (wait <= 0 || ended) {
          throw new AssertionError("stream did not get there in " + ms + " ms" + (ended ? " (it ended)" : "")
              + ": " + text.substring(Math.max(0, text.length() - 400)));
        }
        wait(wait);
      }
      return text.toString();
    }

    synchronized boolean awaitEnd(long ms) throws InterruptedException {
      long deadline = System.currentTimeMillis() + ms;
      while (!ended && System.currentTimeMillis() < deadline) {
        wait(Math.max(1, deadline - System.currentTimeMillis()));
      }
      return ended;
    }

    void abort() {
      block(connection.close(), 5000);
    }

    @Override
    public void close() {
      if (!ended) {
        try {
          block(connection.close(), 5000);
        } catch (RuntimeException | AssertionError e) {
          // already closed
        }
      }
    }
  }
}
