package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.room.StoredKey;
import io.liveroom.store.HistoryStore;
import io.liveroom.store.ModerationStore;
import io.liveroom.store.RoomIndex;
import io.liveroom.store.RoomKeys;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Redis store against a real redis-server: epochs, the fence, the index, history and moderation. */
@ExtendWith(VertxExtension.class)
@RedisAndCluster(nodes = 0)
class RoomStoreIT {
  private static final long DAY = 86_400_000;
  protected static RedisServer redis;
  protected RoomStore store;
  protected RoomIndex index;
  protected SimpleMeterRegistry registry;

  @BeforeAll
  static void up(RedisServer r) {
    redis = r;
  }

  /** The {@code redis} config of the store under test: here one Redis (standalone mode). */
  protected JsonObject redisConfig() {
    return new JsonObject().put("url", redis.url());
  }

  /** A client of the same Redis, for looking at keys directly. */
  protected io.vertx.redis.client.Redis raw(Vertx vertx) {
    return io.vertx.redis.client.Redis.createClient(vertx, redis.url());
  }

  /** Makes Redis forget its scripts, as after a restart or a failover. */
  protected void flushScripts(Vertx vertx) {
    io.vertx.redis.client.Redis flusher = raw(vertx);
    flusher.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.SCRIPT).arg("FLUSH")).await();
    flusher.close();
  }

  /** Whether appends call their script by SHA (loaded on connect), so a flush fails one batch. */
  protected boolean appendsBySha() {
    return true;
  }

  protected void stopRedis() throws Exception {
    redis.stop();
  }

  protected void startRedis() throws Exception {
    redis.start();
  }

  @BeforeEach
  void store(Vertx vertx) {
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", redisConfig().put("timeoutMs", 500)));
    registry = new SimpleMeterRegistry();
    store = new RoomStore(vertx, cfg.redis(), "test-node", registry);
    index = store.roomIndex();
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

  /** Runs {@code task} on {@code ctx}: a creator is made and used on one event loop, as a shard instance's is. */
  private static <T> Future<T> on(Context ctx, Supplier<Future<T>> task) {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> task.get().onComplete(p));
    return p.future();
  }

  private static Future<List<Boolean>> createAll(RoomStore.Creator creator, List<RoomData> rooms) {
    List<Future<Boolean>> created = new ArrayList<>();
    rooms.forEach(r -> created.add(creator.create(r)));
    return Future.all(created).map(CompositeFuture::list);
  }

  @Test
  void theCreatesOfOneTurnGoInOneBatchAndSurviveAScriptFlush(Vertx vertx) {
    Context ctx = vertx.getOrCreateContext();
    RoomStore.Creator creator = on(ctx, () -> Future.succeededFuture(store.creator())).await();
    List<RoomData> rooms = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      rooms.add(room("batch-" + i, RoomState.CREATED));
    }
    List<RoomData> withRepeat = new ArrayList<>(rooms);
    withRepeat.add(rooms.get(0));
    List<Boolean> created = on(ctx, () -> createAll(creator, withRepeat)).await();
    assertEquals(300, created.subList(0, 300).stream().filter(c -> c).count(), "every new id created");
    assertFalse(created.get(300), "an id created earlier in the same turn is refused");
    Timer batches = registry.find("liveroom.redis.requests").tag("op", "create").tag("outcome", "ok").timer();
    assertEquals(2, batches.count(), "301 creates of one turn: two batches of at most 256, one round trip each");
    assertEquals(rooms.get(7), store.hydrate("batch-7").await().data());
    assertEquals(2, store.hydrate("batch-299").await().epoch(), "created with epoch 1, as a create of its own");
    assertFalse(store.create(rooms.get(42)).await(), "and seen by the pooled create");

    // Redis loses the script: the batch's every create answered NOSCRIPT, none ran, so it goes
    // again by source (on a Redis Cluster batches send the source anyway)
    flushScripts(vertx);
    List<RoomData> more = List.of(room("batch-a", RoomState.CREATED), room("batch-b", RoomState.LIVE));
    assertEquals(List.of(true, true), on(ctx, () -> createAll(creator, more)).await());
    Timer lost = registry.find("liveroom.redis.requests").tag("op", "create").tag("outcome", "error").timer();
    assertEquals(appendsBySha() ? 1 : 0, lost == null ? 0 : lost.count(),
        "by SHA the batch failed once for NOSCRIPT, then went by source");
    assertEquals(more.get(1), store.hydrate("batch-b").await().data());
    assertEquals(List.of(false), on(ctx, () -> createAll(creator, List.of(more.get(0)))).await());
    on(ctx, () -> {
      creator.close();
      return creator.create(room("batch-c", RoomState.CREATED));
    }).transform(ar -> {
      assertTrue(ar.cause() instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE,
          "a closed creator refuses: " + ar.cause());
      return Future.succeededFuture();
    }).await();
  }

  @Test
  void aCreatorKeepsAtMostMaxWaitingCommandsInFlight(Vertx vertx) {
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", redisConfig().put("timeoutMs", 500).put("maxWaiting", 50)));
    SimpleMeterRegistry small = new SimpleMeterRegistry();
    RoomStore bounded = new RoomStore(vertx, cfg.redis(), "test-node", small);
    try {
      Context ctx = vertx.getOrCreateContext();
      RoomStore.Creator creator = on(ctx, () -> Future.succeededFuture(bounded.creator())).await();
      List<RoomData> rooms = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        rooms.add(room("bounded-" + i, RoomState.CREATED));
      }
      // 120 creates in one turn: batches of 49 (and a WAIT, with replicas), sent at once; what
      // does not fit the connection's 50 fails at once with UNAVAILABLE instead of queueing
      List<Future<Boolean>> first = on(ctx, () -> {
        List<Future<Boolean>> fs = new ArrayList<>();
        rooms.forEach(r -> fs.add(creator.create(r)));
        return Future.join(fs).transform(ar -> Future.succeededFuture(fs));
      }).await();
      List<RoomData> again = new ArrayList<>();
      for (int i = 0; i < rooms.size(); i++) {
        Future<Boolean> f = first.get(i);
        if (f.failed()) {
          assertTrue(f.cause() instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE,
              String.valueOf(f.cause()));
          again.add(rooms.get(i));
        } else {
          assertTrue(f.result(), rooms.get(i).id());
        }
      }
      assertTrue(again.size() <= 120 - 49, "the first batch fits: " + again.size() + " failed");
      long batches = small.find("liveroom.redis.requests").tag("op", "create").timers().stream()
          .mapToLong(Timer::count).sum();
      assertTrue(batches >= 3, "at most 49 creates a batch: " + batches + " batches");
      // nothing of a refused batch ran: sent again in later turns, 49 at a time, each is created
      for (int from = 0; from < again.size(); from += 49) {
        List<RoomData> part = again.subList(from, Math.min(again.size(), from + 49));
        assertTrue(on(ctx, () -> createAll(creator, part)).await().stream().allMatch(c -> c));
      }
      on(ctx, () -> {
        creator.close();
        return Future.succeededFuture();
      }).await();
    } finally {
      bounded.close().await();
    }
  }

  @Test
  void theIndexPagesEveryRoomOnceAndByState() {
    long before = index.count().await();
    List<String> created = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      assertTrue(store.create(room("page-" + i, RoomState.CREATED)).await());
      created.add("page-" + i);
    }
    assertEquals(before + 40, index.count().await(), "the counts follow creates");
    // a cursor walk in pages of 7 sees every room once, in (group, bucket, id) order
    List<String> walked = new java.util.ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 100; pages++) {
      RoomIndex.Page p = index.page(RoomState.CREATED, cursor, 7).await();
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
    sorted.sort(java.util.Comparator.comparingInt(RoomKeys::groupOf).thenComparingInt(RoomKeys::bucketOf)
        .thenComparing(java.util.Comparator.naturalOrder()));
    assertEquals(sorted, walked, "(group, bucket, id) order");

    RoomData live = new RoomData("page-3", "title of page-3", "host-1", RoomState.LIVE, 1000, 2000, 100, true, 0,
        "{\"a\":\"ü\"}");
    assertEquals(RoomStore.WriteResult.OK, store.write(live, RoomState.CREATED, 1, DAY).await());
    assertTrue(index.page(RoomState.LIVE, null, 1000).await().ids().contains("page-3"));
    assertFalse(index.page(RoomState.LIVE, null, 1000).await().ids().contains("page-2"));
    assertFalse(index.page(RoomState.CREATED, null, 1000).await().ids().contains("page-3"));
    assertTrue(index.page(null, null, 1000).await().ids().containsAll(created), "the listing of all states");
    assertEquals(before + 40, index.count().await(), "a state change moves the count, it does not add one");

    List<RoomStore.Hydrated> read = index.readAll(List.of("page-0", "page-3", "missing")).await();
    assertEquals(2, read.size());
    assertEquals(live, read.get(1).data());
    assertNull(read.get(1).pinned());
  }

  @Test
  void aColdRoomIsACompactHash(Vertx vertx) {
    // ids and titles as in BENCHMARKS.md's sweep: the hash alone stays well under 200 bytes, so
    // the room and its index entry (about 18 bytes at scale) fit the target
    RoomData d = new RoomData("room-0001234", "Speedruns all night long", "host-42", RoomState.LIVE,
        1_763_900_000_000L, 1_763_900_000_000L, 1000, true, 0, "{}");
    assertTrue(store.create(d).await());
    assertEquals(d, store.hydrate("room-0001234").await().data(), "defaults left out come back as defaults");
    io.vertx.redis.client.Redis raw = raw(vertx);
    long bytes = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.MEMORY).arg("USAGE")
        .arg(RoomKeys.roomKey("room-0001234"))).await().toLong();
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
        .arg(RoomKeys.roomKey("room-0001234"))).await().toLong();
    assertEquals(6, fields, "t o s c m e");
    raw.close();
  }

  @Test
  void anEndedRoomAndItsHistoryExpireAfterRetentionAndLeaveTheIndex(Vertx vertx) throws Exception {
    RoomData r = room("ret-1", RoomState.LIVE);
    assertTrue(store.create(room("ret-1", RoomState.CREATED)).await());
    RoomStore.Appender appender = store.appender();
    Danmaku hi = new Danmaku(1, 1, "u", "U", "hi", "#ffffff", "scroll", -1, 1, 0);
    assertEquals(List.of(RoomStore.WriteResult.OK), appender.append(List.of(new HistoryStore.RoomAppends("ret-1", 1,
        List.of(hi), Arrays.asList((String) null))), 100, 0, 120_000, 100, System.currentTimeMillis()).await());
    appender.close();
    RoomData ended = new RoomData("ret-1", r.title(), r.ownerId(), RoomState.ENDED, 1000, 3000, 100, true, 0, r.metadata());
    assertEquals(RoomStore.WriteResult.OK, store.write(ended, RoomState.CREATED, 1, 300).await());
    io.vertx.redis.client.Redis raw = raw(vertx);
    long ttl = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PTTL).arg(RoomKeys.roomKey("ret-1"))).await().toLong();
    assertTrue(ttl > 0 && ttl <= 300, "room TTL " + ttl);
    long hTtl = raw.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.PTTL).arg(RoomKeys.historyKey("ret-1"))).await().toLong();
    assertTrue(hTtl > 0 && hTtl <= 300, "history TTL " + hTtl);
    assertTrue(index.page(RoomState.ENDED, null, 100).await().ids().contains("ret-1"));
    Await.until(() -> store.hydrate("ret-1").await() == null, Duration.ofSeconds(5),
        "ret-1 expired after its retention (300 ms)");
    assertTrue(index.readAll(List.of("ret-1")).await().isEmpty());
    // the listing that found it gone removed it from the index, shortly after
    Await.until(() -> !index.page(RoomState.ENDED, null, 100).await().ids().contains("ret-1"), Duration.ofSeconds(5),
        "the ended-rooms index no longer lists ret-1");
    assertFalse(index.page(null, null, 1000).await().ids().contains("ret-1"));
    raw.close();
  }

  @Test
  void historyReplayAndModerationRoundTripUnderTheirKeys(Vertx vertx) {
    assertTrue(store.create(room("hm-1", RoomState.LIVE)).await());
    long epoch = store.hydrate("hm-1").await().epoch();
    Danmaku a = new Danmaku(epoch, 1, "u1", "U1", "first", "#ffffff", "scroll", 1000, 10, 0);
    Danmaku b = new Danmaku(epoch, 2, "u2", "U2", "second", "#ff0000", "top", 2000, 11, 3);
    Danmaku c = new Danmaku(epoch, 3, "u1", "U1", "no progress", "#ffffff", "scroll", -1, 12, 0);
    RoomStore.Appender appender = store.appender();
    long now = System.currentTimeMillis();
    List<RoomStore.WriteResult> results = appender.append(List.of(
        new HistoryStore.RoomAppends("hm-1", epoch, List.of(a, b), Arrays.asList("u1\u0000k-1", null)),
        new HistoryStore.RoomAppends("hm-1", epoch - 1, List.of(c), Arrays.asList((String) null)),
        new HistoryStore.RoomAppends("hm-1", epoch, List.of(c), Arrays.asList((String) null)),
        new HistoryStore.RoomAppends("hm-none", 1, List.of(c), Arrays.asList((String) null))),
        100, 10, 120_000, 100, now).await();
    assertEquals(List.of(RoomStore.WriteResult.OK, RoomStore.WriteResult.STALE, RoomStore.WriteResult.OK,
        RoomStore.WriteResult.MISSING), results, "one fenced script per room in one round trip");
    // Redis loses the script (SCRIPT FLUSH): by SHA, that batch fails and the next one loads it
    // again; by source (a Redis Cluster), nothing fails
    flushScripts(vertx);
    Danmaku d4 = new Danmaku(epoch, 4, "u1", "U1", "after a flush", "#ffffff", "scroll", -1, 13, 0);
    List<HistoryStore.RoomAppends> again = List.of(new HistoryStore.RoomAppends("hm-1", epoch, List.of(d4),
        Arrays.asList((String) null)));
    if (appendsBySha()) {
      Throwable lost = appender.append(again, 100, 10, 120_000, 100, now)
          .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      assertTrue(lost instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE, String.valueOf(lost));
    }
    assertEquals(List.of(RoomStore.WriteResult.OK), appender.append(again, 100, 10, 120_000, 100, now).await());
    appender.close();
    assertEquals(List.of(new StoredKey("u1\u0000k-1", epoch, 1, now)), store.idempotencyKeys("hm-1").await(),
        "the key stored with its send");
    assertEquals(List.of(c, d4), store.recentHistory("hm-1", 2).await(), "the newest, oldest first");
    HistoryStore.ReplayPage replay = store.historyStore().replay("hm-1", 0, 5000, 10).await();
    assertEquals(List.of(1L, 2L), replay.items().stream().map(o -> o.getLong("seq")).toList(), "items with a progress");

    // items are found by (epoch, seq): in history, else in the replay archive
    assertEquals(b, store.findItem("hm-1", epoch, 2, 100).await());
    assertNull(store.findItem("hm-1", epoch - 1, 2, 100).await(), "same seq, another epoch");
    assertNull(store.findItem("hm-1", epoch, 9, 100).await());
    assertEquals(a, store.findItem("hm-1", epoch, 1, 1).await(), "past the history searched: from the archive");
    assertNull(store.findItem("hm-none", 1, 1, 100).await());

    JsonObject audit = new JsonObject().put("action", "delete").put("epoch", epoch).put("seq", 1);
    String deleted = "de:" + epoch + ":1";
    ModerationStore.Change delete = new ModerationStore.Change("set", deleted, "1", a, null, false);
    assertEquals(RoomStore.WriteResult.STALE, store.moderate("hm-1", epoch - 1, delete, audit, 1000).await());
    assertEquals(RoomStore.WriteResult.OK, store.moderate("hm-1", epoch, delete, audit, 1000).await());
    ModerationStore.Change none = new ModerationStore.Change("none", null, null, null, null, false);
    assertEquals(RoomStore.WriteResult.MISSING, store.moderate("hm-none", 1, none, audit, 1000).await());
    assertEquals(Map.of(deleted, "1"), store.moderation("hm-1").await());
    assertEquals(List.of(2L), store.historyStore().replay("hm-1", 0, 5000, 10).await().items().stream()
        .map(o -> o.getLong("seq")).toList(), "a deleted item leaves the replay");
    ModerationStore.AuditPage log = store.moderationStore().auditLog("hm-1", null, 10).await();
    assertEquals(List.of(audit), log.entries(), "only the applied change is audited");
    assertNull(log.next());
    assertNull(store.moderationStore().auditLog("hm-none", null, 10).await());

    // the pinned item is kept in the room's hash: a load and a listing return it, a data write keeps it
    JsonObject pinAudit = new JsonObject().put("action", "pin");
    assertEquals(RoomStore.WriteResult.OK, store.moderate("hm-1", epoch,
        new ModerationStore.Change("none", null, null, null, b, false), pinAudit, 1000).await());
    RoomStore.Hydrated loaded = store.hydrate("hm-1").await();
    assertEquals(b, loaded.pinned());
    assertEquals(RoomStore.WriteResult.OK, store.write(loaded.data(), loaded.data().state(), loaded.epoch(), DAY)
        .await());
    assertEquals(b, store.roomIndex().readAll(List.of("hm-1")).await().get(0).pinned());
    assertEquals(RoomStore.WriteResult.OK, store.moderate("hm-1", loaded.epoch(),
        new ModerationStore.Change("none", null, null, null, null, true), pinAudit, 1000).await());
    assertNull(store.hydrate("hm-1").await().pinned());
    assertNull(store.historyStore().replay("hm-none", 0, 5000, 10).await());

    // the key layout that data already in Redis uses
    io.vertx.redis.client.Redis raw = raw(vertx);
    int g = RoomKeys.groupOf("hm-1");
    Map<String, String> types = Map.of("lr:{" + g + "}:r:hm-1", "hash", "lr:{" + g + "}:h:hm-1", "stream",
        "lr:{" + g + "}:p:hm-1", "zset", "lr:{" + g + "}:m:hm-1", "hash", "lr:{" + g + "}:a:hm-1", "stream",
        "lr:{" + g + "}:count", "hash", "lr:{" + g + "}:k:hm-1", "hash", "lr:{" + g + "}:kz:hm-1", "zset",
        "lr:{" + g + "}:claims", "stream");
    types.forEach((key, type) -> assertEquals(type, raw.send(io.vertx.redis.client.Request
        .cmd(io.vertx.redis.client.Command.TYPE).arg(key)).await().toString(), key));
    raw.close();
  }

  @Test
  void withRedisDownCallsFailFastAsUnavailable() throws Exception {
    assertTrue(store.create(room("down-1", RoomState.CREATED)).await());
    stopRedis();
    try {
      long t0 = System.nanoTime();
      Throwable e = store.hydrate("down-1").transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE, String.valueOf(e));
      assertTrue(ms < 2000, "failed after " + ms + " ms");
    } finally {
      startRedis();
    }
    store.ping().await();
  }
}
