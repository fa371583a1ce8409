package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomState;
import io.liveroom.store.RoomKeys;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Data written in the key layout before slot groups ({@code lr:r:<id>}, {@code lr:ix:*},
 * {@code lr:count}, {@code lr:claims}), as that version's scripts wrote it, moves to the slot
 * group layout once, keeping TTLs, and reads back through the store.
 */
@ExtendWith(VertxExtension.class)
@RedisAndCluster(nodes = 0)
class KeyMigrationIT {
  @Test
  void roomsOfTheOldLayoutMoveOnceAndReadBack(Vertx vertx, RedisServer redis) {
    Redis raw = Redis.createClient(vertx, redis.url());
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", new JsonObject().put("url", redis.url()).put("timeoutMs", 2000)));
    RoomStore store = new RoomStore(vertx, cfg.redis(), "test-node", new SimpleMeterRegistry());
    send(raw, "DEL", "lr:layout");
    long roomsBefore = store.roomIndex().count().await();

    // the old layout, as the create and write scripts of the version before wrote it
    for (int i = 0; i < 30; i++) {
      String id = "old-" + i;
      String state = i % 3 == 0 ? "live" : "created";
      int b = RoomKeys.bucketOf(id);
      send(raw, "HSET", "lr:r:" + id, "t", "title " + i, "o", "host", "s", i % 3 == 0 ? "1" : "0", "c", "1000",
          "m", "100", "e", "3");
      send(raw, "ZADD", "lr:ix:" + state + ":" + b, "0", id);
      send(raw, "ZADD", "lr:ix:" + state, Integer.toString(b), Integer.toString(b));
      send(raw, "HINCRBY", "lr:count", state, "1");
      send(raw, "XADD", "lr:claims", "*", "r", id, "e", "3", "n", "old-node");
    }
    // an ended room with a TTL, a history item and a moderation entry; and a state stored by name
    send(raw, "PEXPIRE", "lr:r:old-0", "600000");
    send(raw, "XADD", "lr:h:old-0", "*", "j", new JsonObject().put("seq", 1).put("epoch", 3).put("text", "kept")
        .put("user", new JsonObject().put("id", "u").put("name", "U")).put("ts", 1).encode());
    send(raw, "HSET", "lr:m:old-0", "ba:troll", "1");
    send(raw, "HSET", "lr:r:old-1", "s", "created");

    assertEquals(30L, store.migrateLayout().await(), "every room of the old layout moved");
    assertEquals("2", send(raw, "GET", "lr:layout").toString());
    assertEquals(roomsBefore + 30, store.roomIndex().count().await(), "the counts moved with the rooms");
    RoomStore.Hydrated h = store.hydrate("old-3").await();
    assertNotNull(h);
    assertEquals("title 3", h.data().title());
    assertEquals(RoomState.LIVE, h.data().state());
    assertEquals(4, h.epoch(), "the epoch goes on from the old one");
    List<Danmaku> history = store.recentHistory("old-0", 10).await();
    assertEquals(1, history.size());
    assertEquals("kept", history.get(0).text());
    assertEquals("1", store.moderation("old-0").await().get("ba:troll"));
    long ttl = send(raw, "PTTL", RoomKeys.roomKey("old-0")).toLong();
    assertTrue(ttl > 0 && ttl <= 600_000, "the TTL moved with the key: " + ttl);
    List<String> live = store.roomIndex().page(RoomState.LIVE, null, 1000).await().ids();
    List<String> created = store.roomIndex().page(RoomState.CREATED, null, 1000).await().ids();
    for (int i = 0; i < 30; i++) {
      assertTrue((i % 3 == 0 ? live : created).contains("old-" + i), "old-" + i + " listed in its state");
      assertEquals(0, send(raw, "EXISTS", "lr:r:old-" + i).toInteger(), "old key of old-" + i + " gone");
    }
    assertEquals(0, send(raw, "EXISTS", "lr:count", "lr:claims", "lr:ix:live", "lr:ix:created").toInteger(),
        "the old index, counts and claim log are gone");

    assertEquals(0L, store.migrateLayout().await(), "done once");
    store.close().await();
    raw.close();
  }

  private static Response send(Redis raw, String cmd, String... args) {
    Request r = Request.cmd(Command.create(cmd));
    for (String a : args) {
      r.arg(a);
    }
    return raw.send(r).await();
  }
}
