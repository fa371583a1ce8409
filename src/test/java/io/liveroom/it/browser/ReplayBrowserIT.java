package io.liveroom.it.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.NodeScripts;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo page's replay mode end to end, on a real node (with {@code vod.folder}) and a real
 * redis-server: a room gets danmaku with a {@code progress} over REST and ends; then
 * {@code src/test/browser/replay.mjs} records a short WebM in Debian's Chromium into the vod
 * folder, plays it in the demo page's Replay panel and checks that the danmaku show in progress
 * order, in sync with the video time. Prerequisites as {@link BrowserIT}.
 */
@RedisAndCluster(nodes = 1)
class ReplayBrowserIT {
  /** Progress (ms into the recording) of each danmaku, sent out of order on purpose. */
  private static final long[] PROGRESS = {2200, 0, 900, 3600, 400, 1800, 3100, 1300, 4000, 2700};
  private static final String[] MODES = {"scroll", "scroll", "top", "scroll", "bottom", "scroll", "scroll", "top",
      "scroll", "scroll"};
  private static final String[] COLORS = {"#ffffff", "#ffd400", "#33ccff", "#7cfc00", "#ff69b4", "#00e5ff",
      "#ff5500", "#ffffff", "#ffd400", "#7cfc00"};

  @TempDir
  static Path vod;

  @Test
  void theDemoPageReplaysAnEndedRoomsDanmakuInSyncWithItsRecording(TestCluster cluster) throws Exception {
    NodeScripts.require(Files.isExecutable(NodeScripts.chromium()), NodeScripts.chromium().toString(),
        "apt-get install chromium");
    NodeScripts.requireNodeAnd("playwright-core");
    NodeScripts.requireNodeAndClient();
    cluster.start(0, new JsonObject().put("vod", new JsonObject().put("folder", vod.toAbsolutePath().toString())));
    var api = cluster.http(0);

    String room = "replay-" + Long.toString(System.currentTimeMillis(), 36);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", room).put("title", "Replay test room")
        .put("ownerId", "host-1").put("guestsCanRead", true)).status());
    assertEquals(200, api.patch("/api/v1/rooms/" + room, new JsonObject().put("state", "live")).status());
    for (int i = 0; i < PROGRESS.length; i++) {
      String text = (i == 3 ? "<b>not bold</b> " : "") + "at " + PROGRESS[i] + " ms";
      var sent = api.post("/api/v1/rooms/" + room + "/messages", new JsonObject().put("text", text)
          .put("progress", PROGRESS[i]).put("color", COLORS[i]).put("mode", MODES[i]).put("priority", 0)
          .put("user", new JsonObject().put("id", "viewer-" + (i % 3)).put("name", "Viewer " + (i % 3))));
      assertEquals(202, sent.status(), sent.toString());
    }
    // the archive is written behind: wait for it, end the room, and it is still there to replay
    Await.until(() -> api.get("/api/v1/rooms/" + room + "/replay").json().getJsonArray("items").size()
        == PROGRESS.length, Duration.ofSeconds(10), "the archive has every item");
    var ended = api.delete("/api/v1/rooms/" + room);
    assertTrue(ended.status() / 100 == 2, ended.toString());
    var archived = api.get("/api/v1/rooms/" + room + "/replay");
    assertEquals(200, archived.status(), archived.toString());
    assertEquals(PROGRESS.length, archived.json().getJsonArray("items").size(), "the ended room keeps its archive");

    Path shot = NodeScripts.OUT.resolve("replay.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    String base = "http://127.0.0.1:" + cluster.node(0).httpPort();
    NodeScripts.Result r = NodeScripts.run("replay", List.of("replay.mjs", base, room, TestCluster.API_KEY,
        vod.toAbsolutePath().toString(), shot.toString(), Integer.toString(PROGRESS.length)), Map.of(), 60);
    System.out.println(r.output());
    assertEquals(0, r.exitCode(), "replay.mjs failed (log " + r.log() + "):\n" + r.output());
    assertTrue(Files.size(vod.resolve(room + ".webm")) > 10_000, "no recording in " + vod);
    assertTrue(Files.size(shot) > 10_000, "no screenshot at " + shot);
    System.out.printf("replay.mjs passed in %d ms%n", r.millis());
  }
}
