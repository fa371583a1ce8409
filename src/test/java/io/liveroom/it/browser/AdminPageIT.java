package io.liveroom.it.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.NodeScripts;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The admin page (/admin/) in Debian's Chromium driven by Playwright, on a real node with a real
 * redis-server: src/test/browser/admin-page.mjs signs in (a wrong key first), reads the cluster
 * figures and the room directory, opens a room that a SockJS client has joined and sent to, deletes
 * a message, mutes the user, sets slow mode and ends the room. This class makes the rooms and
 * checks over REST, after the script, that what the page did is what the node stored.
 */
@RedisAndCluster(nodes = 1)
class AdminPageIT {
  @Test
  void anOperatorModeratesARoomThroughTheAdminPage(TestCluster cluster) throws Exception {
    NodeScripts.require(Files.isExecutable(NodeScripts.chromium()), NodeScripts.chromium().toString(),
        "apt-get install chromium");
    NodeScripts.requireNodeAnd("playwright-core");
    NodeScripts.requireNodeAndClient();
    cluster.start(0, new JsonObject());
    var api = cluster.http(0);
    String run = Long.toString(System.currentTimeMillis(), 36);
    String room = "admin-" + run;
    String other = "admin-other-" + run;
    var created = api.post("/api/v1/rooms", new JsonObject().put("id", room)
        .put("title", "<b>Admin</b> & \"test\" room").put("ownerId", "host-1"));
    assertEquals(201, created.status(), created.toString());
    var live = api.patch("/api/v1/rooms/" + room, new JsonObject().put("state", "live"));
    assertEquals(200, live.status(), live.toString());
    var second = api.post("/api/v1/rooms", new JsonObject().put("id", other).put("title", "not live yet")
        .put("ownerId", "host-2"));
    assertEquals(201, second.status(), second.toString());
    Path shot = NodeScripts.OUT.resolve("admin-page.png").toAbsolutePath();
    Files.deleteIfExists(shot);

    String base = "http://127.0.0.1:" + cluster.node(0).httpPort();
    NodeScripts.Result r = NodeScripts.run("admin-page", List.of("admin-page.mjs", base, TestCluster.API_KEY,
        TestCluster.JWT_SECRET, room, other, shot.toString()), Map.of(), 120);
    System.out.println(r.output());
    assertEquals(0, r.exitCode(), "admin-page.mjs failed (log " + r.log() + "):\n" + r.output());
    assertTrue(Files.size(shot) > 10_000, "no screenshot at " + shot);

    // what the page did, as the node stored it
    JsonObject ended = api.get("/api/v1/rooms/" + room).json();
    assertEquals("ended", ended.getString("state"), ended.encode());
    assertEquals(5, ended.getInteger("slowModeSec"), ended.encode());
    JsonArray audit = api.get("/api/v1/rooms/" + room + "/moderation/log").json().getJsonArray("entries");
    JsonObject mute = entry(audit, "mute");
    assertEquals("viewer-1", mute.getString("user"), audit.encode());
    assertEquals(600, mute.getInteger("durationSec"), audit.encode());
    assertEquals("api", mute.getString("by"), audit.encode());
    long deleted = entry(audit, "delete").getLong("seq");
    JsonArray items = api.get("/api/v1/rooms/" + room + "/messages").json().getJsonArray("items");
    assertEquals(2, items.size(), items.encode());
    for (int i = 0; i < items.size(); i++) {
      assertTrue(items.getJsonObject(i).getLong("seq") != deleted, "deleted seq " + deleted + " in " + items.encode());
    }
    assertEquals("created", api.get("/api/v1/rooms/" + other).json().getString("state"));
    System.out.printf("admin-page.mjs passed in %d ms%n", r.millis());
  }

  private static JsonObject entry(JsonArray audit, String action) {
    for (int i = 0; i < audit.size(); i++) {
      if (action.equals(audit.getJsonObject(i).getString("action"))) {
        return audit.getJsonObject(i);
      }
    }
    throw new AssertionError("no " + action + " in the audit log " + audit.encode());
  }
}
