package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.cluster.Ownership;
import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Three real nodes (three Hazelcast members in this JVM) over one real redis-server. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RedisAndCluster(nodes = 3, started = 3)
class ClusterIT {
  private static RedisServer redis;
  private static TestCluster cluster;

  @BeforeAll
  static void up(RedisServer r, TestCluster c) throws Exception {
    redis = r;
    cluster = c;
  }

  private static JsonObject room(String id, String title) {
    return new JsonObject().put("id", id).put("title", title).put("ownerId", "host-1");
  }

  @Test
  @Order(1)
  void roomCreatedOnOneNodeIsReadAndPatchedThroughTheOthers() {
    Http.Reply created = cluster.http(0).post("/api/v1/rooms",
        room("concert-1", "Friday concert").put("metadata", new JsonObject().put("lang", "en")));
    assertEquals(201, created.status(), created.toString());
    assertEquals("created", created.json().getString("state"));

    Http.Reply read = cluster.http(1).get("/api/v1/rooms/concert-1");
    assertEquals(200, read.status(), read.toString());
    assertEquals("Friday concert", read.json().getString("title"));
    assertEquals("en", read.json().getJsonObject("metadata").getString("lang"));
    assertTrue(read.json().getBoolean("hot"));

    Http.Reply patched = cluster.http(2).patch("/api/v1/rooms/concert-1",
        new JsonObject().put("title", "Friday concert (live)").put("state", "live"));
    assertEquals(200, patched.status(), patched.toString());
    assertEquals("live", patched.json().getString("state"));

    Http.Reply again = cluster.http(0).get("/api/v1/rooms/concert-1");
    assertEquals("Friday concert (live)", again.json().getString("title"));
    assertEquals("live", again.json().getString("state"));

    Http.Reply dup = cluster.http(1).post("/api/v1/rooms", room("concert-1", "again"));
    assertEquals(409, dup.status(), dup.toString());
  }

  @Test
  @Order(2)
  void eachRoomsCommandsReachExactlyOneOwner() throws Exception {
    double before = handledCommands();
    int rooms = 30;
    Set<String> owners = new HashSet<>();
    for (int i = 0; i < rooms; i++) {
      String id = "owner-check-" + i;
      assertEquals(201, cluster.http(i % 3).post("/api/v1/rooms", room(id, "room " + i)).status());
      Ownership.Target target = cluster.node(0).services().ownership().resolve(id);
      for (int n = 0; n < 3; n++) {
        Http.Reply r = cluster.http(n).get("/api/v1/rooms/" + id);
        assertEquals(200, r.status());
        assertEquals(target.nodeId(), r.owner(), "room " + id + " answered by a node that is not its owner");
      }
      owners.add(target.nodeId());
    }
    assertEquals(3, owners.size(), "30 rooms should spread over all 3 owners");
    // 30 creates + 90 reads, each handled by exactly one shard in the whole cluster
    assertEquals(before + rooms * 4, handledCommands(), 0.0);
    long hot = cluster.running().stream().mapToLong(n -> n.services().metrics().roomsHot()).sum();
    assertEquals(rooms + 1, hot, "every room is hot on exactly one node");
  }

  @Test
  @Order(3)
  void listPagesThroughAllRoomsWithACursor() {
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      Http.Reply page = cluster.http(1).get("/api/v1/rooms?limit=7" + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, page.status(), page.toString());
      page.json().getJsonArray("rooms").forEach(o -> assertTrue(seen.add(((JsonObject) o).getString("id"))));
      cursor = page.json().getString("next");
      pages++;
    } while (cursor != null && pages < 20);
    assertEquals(31, seen.size());
    assertEquals(5, pages);

    Http.Reply live = cluster.http(2).get("/api/v1/rooms?state=live");
    assertEquals(1, live.json().getJsonArray("rooms").size());
    assertEquals("concert-1", live.json().getJsonArray("rooms").getJsonObject(0).getString("id"));
  }

  @Test
  @Order(4)
  void statsCoverEveryNode() {
    Http.Reply stats = cluster.http(0).get("/api/v1/stats");
    assertEquals(200, stats.status(), stats.toString());
    JsonObject c = stats.json().getJsonObject("cluster");
    assertEquals(3, c.getInteger("members"));
    assertEquals(271, c.getInteger("partitionsOwned"));
    assertEquals(31L, c.getLong("rooms"));
    assertEquals(31L, c.getLong("roomsHot"));
    assertEquals(cluster.node(0).nodeId(), stats.json().getJsonObject("node").getString("nodeId"));
  }

  @Test
  @Order(5)
  void staleEpochWriteIsRejectedAndTheStaleCopyDropped() throws Exception {
    String id = "fenced-1";
    assertEquals(201, cluster.http(0).post("/api/v1/rooms", room(id, "fenced")).status());
    Node owner = cluster.byNodeId(cluster.node(0).services().ownership().resolve(id).nodeId());
    // another owner takes a newer epoch behind this one's back, as after a split brain
    Redis r = Redis.createClient(cluster.client(), redis.url());
    long epoch = r.send(Request.cmd(Command.HINCRBY).arg(io.liveroom.store.RoomKeys.roomKey(id)).arg("e").arg(1))
        .await(5, TimeUnit.SECONDS).toLong();
    double staleBefore = dropped(owner, "stale");

    Http.Reply patched = cluster.http(1).patch("/api/v1/rooms/" + id, new JsonObject().put("title", "after fence"));
    assertEquals(200, patched.status(), patched.toString());
    assertEquals(staleBefore + 1, dropped(owner, "stale"), 0.0, "the stale owner dropped its copy");
    long now = r.send(Request.cmd(Command.HGET).arg(io.liveroom.store.RoomKeys.roomKey(id)).arg("e")).await(5, TimeUnit.SECONDS).toLong();
    assertEquals(epoch + 1, now, "the retry re-loaded the room with a new epoch");
    assertEquals("after fence", r.send(Request.cmd(Command.HGET).arg(io.liveroom.store.RoomKeys.roomKey(id)).arg("t"))
        .await(5, TimeUnit.SECONDS).toString());
    r.close();
  }

  @Test
  @Order(6)
  void afterTheOwnerClosesASurvivorServesTheRoomIntact() throws Exception {
    String owner = cluster.http(0).get("/api/v1/rooms/concert-1").owner();
    Node ownerNode = cluster.byNodeId(owner);
    Node survivor = cluster.running().stream().filter(n -> n != ownerNode).findFirst().orElseThrow();
    cluster.stop(ownerNode);

    Http.Reply after = cluster.http(survivor).get("/api/v1/rooms/concert-1");
    assertEquals(200, after.status(), after.toString());
    assertNotNull(after.owner());
    assertNotEquals(owner, after.owner());
    assertEquals("Friday concert (live)", after.json().getString("title"));
    assertEquals("live", after.json().getString("state"));
    assertEquals("en", after.json().getJsonObject("metadata").getString("lang"));
    for (int i = 0; i < 30; i++) {
      assertEquals(200, cluster.http(survivor).get("/api/v1/rooms/owner-check-" + i).status());
    }
    Await.until(() -> cluster.http(survivor).get("/api/v1/stats").json().getJsonObject("cluster")
        .getInteger("members") == 2, Duration.ofSeconds(10), "the cluster has 2 members");
  }

  private static double handledCommands() {
    double sum = 0;
    for (Node n : cluster.running()) {
      for (Counter c : n.services().metrics().registry().find("liveroom.shard.commands").tag("outcome", "ok").counters()) {
        sum += c.count();
      }
    }
    return sum;
  }

  private static double dropped(Node n, String reason) {
    Counter c = n.services().metrics().registry().find("liveroom.rooms.dropped").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }
}
