package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Redis store against a real redis-server: epochs, the fence, the index. */
@ExtendWith(VertxExtension.class)
@RedisAndCluster(nodes = 0)
class RoomStoreIT {
  private static final long DAY = 86_400_000;
  private static RedisServer redis;
  private RoomStore store;

  @BeforeAll
  static void up(RedisServer r) {
    redis = r;
  }

  @BeforeEach
  void store(Vertx vertx) {
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", new JsonObject().put("url", redis.url()).put("timeoutMs", 500)));
    store = new RoomStore(vertx, cfg.redis(), new SimpleMeterRegistry());
  }

  private static RoomData room(String id, RoomState state) {
    return new RoomData(id, "title of " + id, "host-1", state, 1000, 1000, 100, true, 0, "{\"a\":\"ü\"}");
  }

  @Test
  void createHydrateAndTheEpochFence() {
    RoomData r = room("store-1", RoomState.CREATED);
    assertTrue(store.create(r).await());
    assertFalse(store.create(r).await(), "a second create of the same id is refused");

    RoomStore.Hydrated h = store.hydrate("store-1").await();
    assertEquals(r, h.data());
    assertEquals(2, h.epoch(), "each load takes a new epoch");
    assertEquals(3, store.hydrate("store-1").await().epoch());

    RoomData live = new RoomData("store-1", "renamed", "host-1", RoomState.LIVE, 1000, 2000, 100, true, 0, "{}");
    assertEquals(RoomStore.WriteResult.STALE, store.write(live, RoomState.CREATED, 2, DAY).await(),
        "a write from an older epoch is rejected");
    assertEquals(r, store.hydrate("store-1").await().data(), "and changed nothing");
    assertEquals(RoomStore.WriteResult.OK, store.write(live, RoomState.CREATED, 4, DAY).await());
    assertEquals(live, store.hydrate("store-1").await().data());
    assertEquals(RoomStore.WriteResult.MISSING, store.write(room("store-none", RoomState.LIVE), RoomState.LIVE, 1, DAY).await());
    assertNull(store.hydrate("store-none").await());
  }

  @Test
  void theIndexPagesEveryRoomOnceAndByState() {
    long before = store.count().await();
    List<String> created = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      assertTrue(store.create(room("page-" + i, RoomState.CREATED)).await());
      created.add("page-" + i);
    }
    assertEquals(before + 40, store.count().await(), "lr:count follows creates");
    // a cursor walk in pages of 7 sees every room once, in (bucket, id) order
    List<String> walked = new java.util.ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 100; pages++) {
      RoomStore.Page p = store.page(RoomState.CREATED, cursor, 7).await();
      walked.addAll(p.ids());
      if (!p.more()) {
        break;
      }
      assertEquals(7, p.ids().size(), "a page with more after it is full");
      cursor = p.ids().get(p.ids().size() - 1);
    }
    List<String> ours = walked.stream().filter(id -> id.startsWith("page-")).toList();
    assertEquals(new java.util.HashSet<>(created), new java.util.HashSet<>(ours), "every room once");
    assertEquals(created.size(), ours.size(), "no room twice");
    List<String> sorted = new java.util.ArrayList<>(walked);
    sorted.sort(java.util.Comparator.comparingInt(RoomStore::bucketOf).thenComparing(java.util.Comparator.naturalOrder()));
    assertEquals(sorted, walked, "(bucket, id) order");

    RoomData live = new RoomData("page-3", "title of page-3", "host-1", RoomState.LIVE, 1000, 2000, 100, true, 0,
        "{\"a\":\"ü\"}");
    assertEquals(RoomStore.WriteResult.OK, store.write(live, RoomState.CREATED, 1, DAY).await());
    assertTrue(store.page(RoomState.LIVE, null, 1000).await().ids().contains("page-3"));
    assertFalse(store.page(RoomState.LIVE, null, 1000).await().ids().contains("page-2"));
    assertFalse(store.page(RoomState.CREATED, null, 1000).await().ids().contains("page-3"));
    assertTrue(store.page(null, null, 1000).await().ids().containsAll(created), "the listing of all states");
    assertEquals(before + 40, store.count().await(), "a state change moves the count, it does not add one");

    List<RoomData> read = store.readAll(List.of("page-0", "page-3", "missing")).await();
    assertEquals(2, read.size());
    assertEquals(live, read.get(1));
  }

  @Test
  void aColdRoomIsACompactHash(Vertx vertx) {
    // ids and titles as in BENCHMARKS.md's sweep: the hash alone stays well under 200 bytes, so
    // the room and its index entry (about 18 bytes at scale) fit the target
    RoomData d = new RoomData("room-0001234", "Speedruns all night long", "host-42", RoomState.LIVE,
        1_763_900_000_000L, 1_763_900_000_000L, 1000, true, 0, "{}");
    assertTrue(store.create(d).await());
    assertEquals(d, store.hydrate("room-0001234").await().data(), "defaults left out come back as defaults");
    io.vertx.redis.client.Redis raw = io.vertx.redis.client.Redis.createClient(vertx, redis.url());
    long bytes = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.MEMORY).arg("USAGE")
        .arg("lr:r:room-0001234")).await().toLong();
    assertTrue(bytes <= 176, "MEMORY USAGE of a cold room's hash: " + bytes);
    // a write that sets non-defaults and back removes them again
    RoomData odd = new RoomData("room-0001234", d.title(), d.ownerId(), RoomState.LIVE, d.createdAt(),
        d.createdAt() + 5, 1000, false, 3, "{\"k\":1}", "reject", 60);
    // the hydrate above took epoch 2
    assertEquals(RoomStore.WriteResult.OK, store.write(odd, RoomState.LIVE, 2, DAY).await());
    assertEquals(odd, store.hydrate("room-0001234").await().data());
    RoomData back = new RoomData("room-0001234", d.title(), d.ownerId(), RoomState.LIVE, d.createdAt(),
        d.createdAt(), 1000, true, 0, "{}");
    assertEquals(RoomStore.WriteResult.OK, store.write(back, RoomState.LIVE, 3, DAY).await());
    assertEquals(back, store.hydrate("room-0001234").await().data());
    long fields = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.HLEN)
        .arg("lr:r:room-0001234")).await().toLong();
    assertEquals(6, fields, "t o s c m e");
    raw.close();
  }

  @Test
  void anEndedRoomAndItsHistoryExpireAfterRetentionAndLeaveTheIndex(Vertx vertx) throws Exception {
    RoomData r = room("ret-1", RoomState.LIVE);
    assertTrue(store.create(room("ret-1", RoomState.CREATED)).await());
    RoomStore.HistoryWriter history = store.historyWriter();
    history.append("ret-1", new io.liveroom.room.Danmaku(1, 1, "u", "U", "hi", "#ffffff", "scroll", -1, 1, 0), 100).await();
    history.close();
    RoomData ended = new RoomData("ret-1", r.title(), r.ownerId(), RoomState.ENDED, 1000, 3000, 100, true, 0, r.metadata());
    assertEquals(RoomStore.WriteResult.OK, store.write(ended, RoomState.CREATED, 1, 300).await());
    io.vertx.redis.client.Redis raw = io.vertx.redis.client.Redis.createClient(vertx, redis.url());
    long ttl = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PTTL).arg("lr:r:ret-1")).await().toLong();
    assertTrue(ttl > 0 && ttl <= 300, "room TTL " + ttl);
    long hTtl = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PTTL).arg("lr:h:ret-1")).await().toLong();
    assertTrue(hTtl > 0 && hTtl <= 300, "history TTL " + hTtl);
    assertTrue(store.page(RoomState.ENDED, null, 100).await().ids().contains("ret-1"));
    Await.until(() -> store.hydrate("ret-1").await() == null, Duration.ofSeconds(5),
        "ret-1 expired after its retention (300 ms)");
    assertTrue(store.readAll(List.of("ret-1")).await().isEmpty());
    // the listing that found it gone removed it from the index, shortly after
    Await.until(() -> !store.page(RoomState.ENDED, null, 100).await().ids().contains("ret-1"), Duration.ofSeconds(5),
        "the ended-rooms index no longer lists ret-1");
    assertFalse(store.page(null, null, 1000).await().ids().contains("ret-1"));
    raw.close();
  }

  @Test
  void withRedisDownCallsFailFastAsUnavailable() throws Exception {
    assertTrue(store.create(room("down-1", RoomState.CREATED)).await());
    redis.stop();
    try {
      long t0 = System.nanoTime();
      Throwable e = store.hydrate("down-1").transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE, String.valueOf(e));
      assertTrue(ms < 2000, "failed after " + ms + " ms");
    } finally {
      redis.start();
    }
    store.ping().await();
  }
}
