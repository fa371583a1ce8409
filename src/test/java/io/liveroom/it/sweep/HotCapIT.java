package io.liveroom.it.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.store.RoomKeys;
import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.Ledger;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sweeper.maxHotRooms} on a real node over a real Redis: 3,000 rooms created and used
 * through the REST API against a cap of 500 (nothing is idle: {@code idleAfterMs} is an hour).
 * The hot count comes down under the cap and stays there, the heap does not grow with the rooms,
 * the least recently used rooms are the ones demoted, rooms with members stay, and every demoted
 * room comes back with its data and every acknowledged item, checked in Redis and over the API
 * item by item.
 */
@RedisAndCluster(nodes = 1)
class HotCapIT {
  private static final int CAP = 500;
  private static final int ROOMS = 3000;
  /** Every 10th room is made live and gets messages. */
  private static final int TALK_EVERY = 10;
  private static final int MESSAGES = 5;
  private static final int HELD = 20;
  private static final int THREADS = 8;

  private static RedisServer redis;
  private static TestCluster cluster;
  private static ExecutorService pool;

  @BeforeAll
  static void up(RedisServer r, TestCluster c) throws Exception {
    redis = r;
    cluster = c;
    cluster.start(0, new JsonObject()
        .put("sweeper", new JsonObject().put("maxHotRooms", CAP).put("intervalMs", 200).put("batchSize", 100)
            .put("idleAfterMs", 3_600_000))
        .put("rt", new JsonObject().put("presenceRefreshMs", 500)));
    pool = Executors.newFixedThreadPool(THREADS);
  }

  @AfterAll
  static void down() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private static String id(int i) {
    return String.format("cap-%04d", i);
  }

  private static MeterRegistry registry() {
    return cluster.node(0).services().metrics().registry();
  }

  private static long hot() {
    return cluster.node(0).services().metrics().roomsHot();
  }

  private static double counter(String name, String reason) {
    Counter c = registry().find(name).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private static double gauge(String name) {
    Gauge g = registry().find(name).gauge();
    return g == null ? Double.NaN : g.value();
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      ManagementFactory.getMemoryMXBean().gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Runs {@code task(i)} for i in [from, to) on the pool, {@link #THREADS} at a time; fails on the first failure. */
  private static void parallel(int from, int to, IntConsumer task) throws Exception {
    List<Callable<Void>> calls = new ArrayList<>();
    for (int i = from; i < to; i++) {
      int n = i;
      calls.add(() -> {
        task.accept(n);
        return null;
      });
    }
    for (Future<Void> f : pool.invokeAll(calls, 120, TimeUnit.SECONDS)) {
      f.get(1, TimeUnit.SECONDS);
    }
  }

  /** Every room's hot flag, as the REST listing shows it (the owner's table, not a load). */
  private static Map<String, Boolean> hotFlags() {
    Map<String, Boolean> out = new HashMap<>();
    String cursor = null;
    do {
      JsonObject page = cluster.http(0).get("/api/v1/rooms?limit=200" + (cursor == null ? "" : "&cursor=" + cursor))
          .json();
      page.getJsonArray("rooms").forEach(o -> out.put(((JsonObject) o).getString("id"),
          ((JsonObject) o).getBoolean("hot")));
      cursor = page.getString("next");
    } while (cursor != null);
    return out;
  }

  /** The hot count is under the cap, and no cap demotion happens for a while: the sweeps have settled. */
  private static void awaitSettled() {
    Await.until(() -> hot() <= CAP, Duration.ofSeconds(30), () -> "hot rooms down to the cap of " + CAP + ": " + hot());
    double capped = counter("liveroom.rooms.demotions", "cap");
    // 1 s is five sweep cycles (every 200 ms)
    Await.quietPeriod(Duration.ofSeconds(1), "hot rooms stay under the cap and nothing more is demoted",
        () -> hot() <= CAP && counter("liveroom.rooms.demotions", "cap") == capped);
  }

  @Test
  void overTheCapTheLeastRecentlyUsedRoomsGoColdAndComeBackIntact() throws Exception {
    Http api = cluster.http(0);
    long heapBefore = usedHeapAfterGc();
    assertEquals(CAP, gauge("liveroom.rooms.hot.cap"), 0.0);

    // the oldest rooms of all, but with a member each: never demoted
    List<RtClient> members = new ArrayList<>();
    for (int i = 0; i < HELD; i++) {
      cluster.createRoom("held-" + i);
      members.add(cluster.member(0, "viewer-" + i, "held-" + i));
    }

    Ledger ledger = new Ledger();
    AtomicLong maxHot = new AtomicLong();
    long sampler = cluster.client().setPeriodic(20, t -> maxHot.accumulateAndGet(hot(), Math::max));
    long t0 = System.nanoTime();
    parallel(0, ROOMS, i -> {
      String id = id(i);
      Http.Reply created = api.post("/api/v1/rooms", new JsonObject().put("id", id).put("title", "room " + i)
          .put("ownerId", "owner-" + i % 7));
      assertEquals(201, created.status(), created.toString());
      if (i % TALK_EVERY == 0) {
        Http.Reply live = api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "live").put("slowModeSec", 2)
            .put("metadata", new JsonObject().put("n", i)));
        assertEquals(200, live.status(), live.toString());
        for (int m = 0; m < MESSAGES; m++) {
          String text = id + " says " + m;
          Http.Reply sent = api.post("/api/v1/rooms/" + id + "/messages", new JsonObject().put("text", text)
              .put("user", "bot-" + i));
          assertEquals(202, sent.status(), sent.toString());
          ledger.acked(id, sent.json().getLong("epoch"), sent.json().getLong("seq"), text, "rest");
        }
      }
    });
    long loadMs = (System.nanoTime() - t0) / 1_000_000;
    cluster.client().cancelTimer(sampler);
    int talking = ROOMS / TALK_EVERY;
    assertEquals(talking * MESSAGES, ledger.acks().size());

    awaitSettled();
    long settled = hot();
    assertTrue(settled >= CAP * 0.9, "demoted down to the low-water mark (5% under the cap), not below: " + settled);
    double capped = counter("liveroom.rooms.demotions", "cap");
    assertTrue(capped >= ROOMS + HELD - CAP, "cap demotions: " + capped + " (load took " + loadMs + " ms)");
    assertEquals(0, counter("liveroom.rooms.demotions", "idle"), 0.0, "nothing is idle for an hour");
    assertEquals(0, gauge("liveroom.rooms.over.cap"), 0.0, "every room over the cap could go");

    // the rooms used last are kept: touch 200 rooms in the middle (cold by now), then let the sweeps work
    Set<String> touched = new HashSet<>();
    for (int i = 1000; i < 1200; i++) {
      touched.add(id(i));
    }
    parallel(1000, 1200, i -> assertEquals(200, api.get("/api/v1/rooms/" + id(i)).status()));
    awaitSettled();
    Map<String, Boolean> flags = hotFlags();
    assertEquals(ROOMS + HELD, flags.size());
    for (int i = 0; i < HELD; i++) {
      assertTrue(flags.get("held-" + i), "held-" + i + " has a member: it stays hot");
    }
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < ROOMS; i++) {
      boolean expectHot = touched.contains(id(i));
      boolean expectCold = i < 1000 || i >= 1200 && i < ROOMS - 2 * CAP;
      if (expectHot && !flags.get(id(i)) || expectCold && flags.get(id(i))) {
        wrong.add(id(i) + (flags.get(id(i)) ? " hot" : " cold"));
      }
    }
    assertTrue(wrong.isEmpty(), "the least recently used rooms go first; wrong: " + wrong);

    long heapAfter = usedHeapAfterGc();
    System.out.printf("HotCapIT: %d rooms + %d held loaded in %d ms; hot at most %d during the load, %d settled; "
        + "%.0f cap demotions; heap after GC %+.1f MiB%n", ROOMS, HELD, loadMs, maxHot.get(), settled, capped,
        (heapAfter - heapBefore) / 1048576.0);
    assertTrue(maxHot.get() < ROOMS / 2, "the cap kept up during the load: at most " + maxHot.get() + " hot");
    assertTrue(heapAfter - heapBefore < 64L << 20, "heap after GC grew by " + ((heapAfter - heapBefore) >> 20)
        + " MiB with " + hot() + " hot rooms");

    // Redis holds every acknowledged item, item by item
    Redis client = Redis.createClient(cluster.client(), redis.url());
    try {
      Map<String, Map<Ledger.Pos, String>> stored = new HashMap<>();
      for (int i = 0; i < ROOMS; i += TALK_EVERY) {
        Response stream = client.send(Request.cmd(Command.XRANGE).arg(RoomKeys.historyKey(id(i))).arg("-").arg("+"))
            .await(5, TimeUnit.SECONDS);
        Map<Ledger.Pos, String> items = new HashMap<>();
        for (Response entry : stream) {
          Response fields = entry.get(1);
          for (int f = 0; f + 1 < fields.size(); f += 2) {
            if (fields.get(f).toString().equals("j")) {
              JsonObject item = new JsonObject(fields.get(f + 1).toString());
              items.put(Ledger.posOf(item, -1), item.getString("text"));
            }
          }
        }
        stored.put(id(i), items);
      }
      for (Ledger.Ack a : ledger.acks()) {
        assertEquals(a.text(), stored.get(a.room()).get(a.pos()), a.room() + " " + a.pos() + " in Redis");
      }
    } finally {
      client.close();
    }

    // every room comes back from Redis with its data, and the talking ones with every item
    double hydrationsBefore = registry().find("liveroom.rooms.hydrations").tag("outcome", "ok").counter().count();
    parallel(0, ROOMS, i -> {
      String id = id(i);
      JsonObject room = api.get("/api/v1/rooms/" + id).json();
      assertEquals("room " + i, room.getString("title"), id);
      assertEquals("owner-" + i % 7, room.getString("ownerId"), id);
      if (i % TALK_EVERY != 0) {
        assertEquals("created", room.getString("state"), id);
        return;
      }
      assertEquals("live", room.getString("state"), id);
      assertEquals(2, room.getInteger("slowModeSec"), id);
      assertEquals(i, room.getJsonObject("metadata").getInteger("n"), id);
      JsonArray items = api.get("/api/v1/rooms/" + id + "/messages?limit=50").json().getJsonArray("items");
      List<Ledger.Ack> acks = ledger.acks(id);
      assertEquals(acks.size(), items.size(), id + " history: " + items.encode());
      for (int k = 0; k < acks.size(); k++) {
        JsonObject item = items.getJsonObject(k);
        assertEquals(acks.get(k).pos(), Ledger.posOf(item, -1), id + " item " + k);
        assertEquals(acks.get(k).text(), item.getString("text"), id + " item " + k);
      }
    });
    double hydrated = registry().find("liveroom.rooms.hydrations").tag("outcome", "ok").counter().count()
        - hydrationsBefore;
    assertTrue(hydrated >= ROOMS - CAP - 2 * CAP, "demoted rooms were loaded back from Redis: " + hydrated);

    // the members' rooms never left: their members still talk in them
    for (int i = 0; i < HELD; i++) {
      JsonObject sent = members.get(i).send("held-" + i, "still here");
      assertTrue(sent.getBoolean("ok"), sent.encode());
      members.get(i).close();
    }
    assertEquals(0, counter("liveroom.rooms.demotions", "idle"), 0.0);
  }
}
