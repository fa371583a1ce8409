package io.liveroom.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.edge.internals.RawWebSocket;
import io.liveroom.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WebSocket conformance of {@code /rt/websocket} with the Autobahn|Testsuite fuzzing client, the
 * one Netty runs, taken from Maven Central's {@code autobahntestsuite-maven-plugin} jar and run
 * in Jython. Only with {@code -Pautobahn}, which puts both on the test classpath.
 *
 * <p>Autobahn expects an echo server, and {@code /rt} speaks liveroom's protocol, so the server
 * here is the edge's own ({@link EdgeVerticle#createServer} with its raw WebSocket endpoint,
 * {@link RtTransport#raw}, the default config) with an echo where {@code Realtime.onSocket}
 * would be. The report goes to {@code target/autobahn/index.html}; the test fails on any case
 * that is not OK, NON-STRICT or INFORMATIONAL, or whose closing behaviour is not OK or
 * INFORMATIONAL.
 */
class AutobahnIT {
  private static final String AGENT = "liveroom-rt";
  private static final Set<String> PASSING = Set.of("OK", "NON-STRICT", "INFORMATIONAL");
  private static final Set<String> CLOSE_PASSING = Set.of("OK", "INFORMATIONAL");
  /**
   * Cases larger than the edge accepts: a WebSocket frame or message may be at most
   * max(64 KiB, rt.maxFrameBytes) = 64 KiB by default, so the edge fails these with close 1009
   * instead of echoing them. 9.1.1 and 9.2.1 (64 KiB), 9.7.* and 9.8.* (up to 4 KiB) and 10.1.1
   * (64 KiB in fragments) stay. This Autobahn|Testsuite (0.6.4) has no permessage-deflate cases
   * (12.*, 13.*), and the edge refuses the extension anyway.
   */
  private static final List<String> EXCLUDED = List.of(
      "9.1.2", "9.1.3", "9.1.4", "9.1.5", "9.1.6", // one text frame of 256 KiB .. 16 MiB
      "9.2.2", "9.2.3", "9.2.4", "9.2.5", "9.2.6", // one binary frame of 256 KiB .. 16 MiB
      "9.3.*", "9.4.*", // 4 MiB text / binary messages in fragments of 64 B .. 4 MiB
      "9.5.*", "9.6.*"); // 1 MiB text / binary frames written in small chops
  /** The 301 cases of Autobahn|Testsuite 0.6.4 less the 40 above: fewer means the run broke off. */
  private static final int EXPECTED_CASES = 261;

  @Test
  @Timeout(value = 20, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void everyCasePassesOrIsNonStrictOrInformational() throws Exception {
    assumeTrue(Boolean.getBoolean("liveroom.autobahn"), "Autobahn runs with -Pautobahn");
    Path outdir = Path.of(System.getProperty("liveroom.autobahn.dir", "target/autobahn")).toAbsolutePath();
    Files.createDirectories(outdir);
    Files.deleteIfExists(outdir.resolve("index.json"));
    // the defaults, on loopback; auth is required by the config but unused by the echo
    LiveroomConfig config = ConfigLoader.fromJson(new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", RedisServer.freePort()))
        .put("auth", new JsonObject().put("apiKeys", new JsonArray().add("autobahn-unused"))
            .put("jwt", new JsonObject().put("secret", "autobahn-unused-0123456789abcdef"))));
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new EchoEdge(config)).await(30, TimeUnit.SECONDS);
      String url = "ws://127.0.0.1:" + config.http().port() + "/rt/websocket";
      JsonObject spec = new JsonObject()
          .put("options", new JsonObject().put("failByDrop", false).put("version", 18))
          .put("outdir", outdir.toString())
          .put("servers", new JsonArray().add(new JsonObject().put("agent", AGENT).put("url", url)))
          .put("cases", new JsonArray().add("*"))
          .put("exclude-cases", new JsonArray(new ArrayList<>(EXCLUDED)))
          .put("exclude-agent-cases", new JsonObject());
      long start = System.nanoTime();
      runFuzzingClient(spec);
      System.out.printf("Autobahn: %d s against %s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), url);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }

    JsonObject cases = new JsonObject(Files.readString(outdir.resolve("index.json"))).getJsonObject(AGENT);
    assertTrue(cases != null, "no results for " + AGENT + " in " + outdir.resolve("index.json"));
    Map<String, Integer> byBehavior = new TreeMap<>();
    Map<String, Integer> byClose = new TreeMap<>();
    List<String> failed = new ArrayList<>();
    cases.fieldNames().stream().sorted(AutobahnIT::byCaseId).forEach(id -> {
      JsonObject c = cases.getJsonObject(id);
      String behavior = c.getString("behavior");
      String close = c.getString("behaviorClose");
      byBehavior.merge(behavior, 1, Integer::sum);
      byClose.merge(close, 1, Integer::sum);
      if (!PASSING.contains(behavior) || !CLOSE_PASSING.contains(close)) {
        failed.add(id + " " + behavior + "/" + close + " (close code " + c.getValue("remoteCloseCode") + ", "
            + outdir.resolve(c.getString("reportfile")) + ")");
      }
    });
    System.out.printf("Autobahn: %d cases, behavior %s, closing behavior %s, report %s%n", cases.size(), byBehavior,
        byClose, outdir.resolve("index.html"));
    assertEquals(List.of(), failed, failed.size() + " of " + cases.size() + " Autobahn cases failed");
    assertEquals(EXPECTED_CASES, cases.size(), "Autobahn cases run");
  }

  /** wstest in Jython on this thread; it returns when every case has run and its report is written. */
  private static void runFuzzingClient(JsonObject spec) throws Exception {
    // through reflection: Jython and the plugin jar are on the test classpath only with -Pautobahn
    Class<?> interpreter = Class.forName("org.python.util.PythonInterpreter");
    try (AutoCloseable python = (AutoCloseable) interpreter.getConstructor().newInstance()) {
      interpreter.getMethod("set", String.class, Object.class).invoke(python, "spec_json", spec.encode());
      interpreter.getMethod("exec", String.class).invoke(python, String.join("\n",
          // first: Twisted's own "from io import BytesIO" would find the Java package io (io.vertx, ...)
          "import io",
          "import json",
          "from autobahntestsuite import wstest",
          "wstest.start({'mode': 'fuzzingclient'}, json.loads(spec_json))"));
    }
  }

  /** "6.10.2" before "6.2.1". */
  private static int byCaseId(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(x.length, y.length);
  }

  /** The edge's HTTP server and SockJS chain at /rt, with an echo for a socket handler. */
  private static final class EchoEdge extends VerticleBase {
    private final LiveroomConfig config;
    private HttpServer server;

    EchoEdge(LiveroomConfig config) {
      this.config = config;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      RtTransport.mount(vertx, router, config.rt(), socket -> socket.handler(socket::write));
      server = EdgeVerticle.createServer(vertx, config, router, RtTransport.raw(config.rt(), EchoEdge::echo));
      return server.listen();
    }

    @Override
    public Future<?> stop() {
      return server.close();
    }

    /** Echoes each message with its own opcode: everything below the handlers is what liveroom runs on. */
    private static void echo(RawWebSocket ws) {
      ws.handler(text -> ws.write(text.toString(StandardCharsets.UTF_8)));
      ws.binaryHandler(ws::writeBinary);
    }
  }
}
