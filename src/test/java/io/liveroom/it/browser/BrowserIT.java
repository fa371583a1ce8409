package io.liveroom.it.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.NodeScripts;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The browser side end to end, on a real 2-node cluster with a real redis-server: the demo page in
 * Debian's Chromium driven by Playwright (two pages, one per node, chat with each other; the
 * client's websocket transport, room subscriptions, moderation and token refresh in a page), and
 * the Node tests of the JS client with sockjs-client. The scripts are in src/test/browser; their
 * npm packages come from {@code npm ci} there, and the client is the package {@code npm pack}
 * built in clients/js, installed there with {@code npm install --no-save}: .ci/run does both (as it
 * installs Chromium).
 */
@RedisAndCluster(nodes = 2)
class BrowserIT {
  private static final int IDLE_MS = 3000;
  private static TestCluster cluster;
  private static boolean started;

  @BeforeAll
  static void cluster(TestCluster c) {
    cluster = c;
  }

  /** Starts the nodes on first use, after a test checked what it needs (so a skip costs nothing). */
  private static synchronized void up() throws Exception {
    if (started) {
      return;
    }
    started = true;
    // short heartbeat and idle timeout, so the Node tests see the client's pings keep it open; and
    // permessage-deflate on /rt/websocket for every message, which Chromium and Node's clients offer
    JsonObject rt = new JsonObject().put("rt", new JsonObject().put("heartbeatMs", 1000).put("idleTimeoutMs", IDLE_MS)
        .put("deflateLevel", 6).put("deflateMinBytes", 0));
    cluster.start(0, rt);
    cluster.start(1, rt);
    cluster.awaitClusterSafe();
  }

  private static String base(int node) {
    return "http://127.0.0.1:" + cluster.node(node).httpPort();
  }

  private static void createLiveRoom(String id) {
    var created = cluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", id).put("title", "Browser test room")
        .put("ownerId", "host-1").put("guestsCanRead", true));
    assertEquals(201, created.status(), created.toString());
    var live = cluster.http(1).patch("/api/v1/rooms/" + id, new JsonObject().put("state", "live"));
    assertEquals(200, live.status(), live.toString());
  }

  @Test
  void twoPagesOnTwoNodesChatThroughTheDemoPage() throws Exception {
    NodeScripts.require(Files.isExecutable(NodeScripts.chromium()), NodeScripts.chromium().toString(),
        "apt-get install chromium");
    NodeScripts.requireNodeAnd("playwright-core");
    NodeScripts.requireNodeAndClient();
    up();
    String room = "browser-" + Long.toString(System.currentTimeMillis(), 36);
    createLiveRoom(room);
    Path shot = NodeScripts.OUT.resolve("two-pages.png").toAbsolutePath();
    Files.deleteIfExists(shot);

    NodeScripts.Result r = NodeScripts.run("two-pages",
        List.of("two-pages.mjs", base(0), base(1), room, TestCluster.JWT_SECRET, shot.toString()), Map.of(), 90);
    System.out.println(r.output());
    assertEquals(0, r.exitCode(), "two-pages.mjs failed (log " + r.log() + "):\n" + r.output());
    assertTrue(Files.size(shot) > 10_000, "no screenshot at " + shot);
    System.out.printf("two-pages.mjs passed in %d ms%n", r.millis());
  }

  /**
   * The websocket transport, lr.room(id), once(), moderate() and token refresh in Chromium. Some
   * checks need the server side of the (epoch, seq) items and pins and of {@code refresh}: the
   * script tags them and prints each check.
   */
  @Test
  void theClientApiWorksInAPageOverTheRawWebSocket() throws Exception {
    NodeScripts.require(Files.isExecutable(NodeScripts.chromium()), NodeScripts.chromium().toString(),
        "apt-get install chromium");
    NodeScripts.requireNodeAnd("playwright-core");
    NodeScripts.requireNodeAndClient();
    up();
    String stamp = Long.toString(System.currentTimeMillis(), 36);
    String room = "api-" + stamp;
    String room2 = "api2-" + stamp;
    createLiveRoom(room);
    createLiveRoom(room2);
    Path shot = NodeScripts.OUT.resolve("client-page.png").toAbsolutePath();
    Files.deleteIfExists(shot);

    NodeScripts.Result r = NodeScripts.run("client-page",
        List.of("client-page.mjs", base(0), base(1), room, room2, TestCluster.JWT_SECRET, shot.toString()), Map.of(), 100);
    System.out.println(r.output());
    assertEquals(0, r.exitCode(), "client-page.mjs failed (log " + r.log() + "):\n" + r.output());
    assertTrue(Files.size(shot) > 10_000, "no screenshot at " + shot);
    // page B's websocket transport on node 1 took compressed fan-out frames, and Chromium read them
    String metrics = cluster.http(1).withToken(null).get("/metrics").body();
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("liveroom_fanout_raw_bytes_total{encoding=\"deflate\"")
        && !l.endsWith(" 0.0")), "no compressed fan-out on node 1:\n" + metrics.lines()
        .filter(l -> l.startsWith("liveroom_fanout_raw")).toList());
  }

  @Test
  void theJsClientPassesItsNodeTestsAgainstTheCluster() throws Exception {
    NodeScripts.requireNodeAndClient();
    up();
    NodeScripts.Result r = NodeScripts.run("client-test", List.of("--test", "--test-reporter=spec", "client.test.mjs"),
        Map.of("LR_URL1", base(0), "LR_URL2", base(1), "LR_API_KEY", TestCluster.API_KEY,
            "LR_JWT_SECRET", TestCluster.JWT_SECRET, "LR_IDLE_TIMEOUT_MS", Integer.toString(IDLE_MS)), 120);
    System.out.println(r.output());
    assertEquals(0, r.exitCode(), "node --test client.test.mjs failed (log " + r.log() + "):\n" + r.output());
    assertTrue(!r.output().contains("is not set"), "some live Node tests were skipped:\n" + r.output());
  }
}
