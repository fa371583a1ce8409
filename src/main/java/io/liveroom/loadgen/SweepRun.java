package io.liveroom.loadgen;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@code sweep}: {@code --rooms} rooms created over REST (ids {@code room-0001234}, titles of 24
 * characters), left idle until the node's sweeper demotes them all, then {@code --hydrate}
 * random ones asked for again ({@code GET /api/v1/rooms/<id>}, which loads a cold room with a new
 * epoch). The node must run with a {@code sweeper.idleAfterMs} ({@code --idle-after-ms}) longer
 * than the creation takes. Rooms turn idle in creation order, so the node is paused (SIGSTOP)
 * from the end of creation until the last room is idle, then resumed: its sweeper finds a backlog
 * of every room at once, and the rate measured is the sweeper's, not the creation's. The result
 * says when creation outlasted {@code idleAfterMs}.
 *
 * <p>Figures: demotions per second (between the first and the last poll of
 * {@code liveroom_rooms_dropped_total{reason="demoted"}} that saw a change, every 100 ms),
 * heap after full GCs before creation, with every room hot and after demotion, Redis
 * {@code used_memory} per room and {@code MEMORY USAGE} of a sample of room hashes, and the
 * latency of the hydrating GETs (client side, and the server's hydration timer).
 */
final class SweepRun {
  private static final String DEMOTED = "liveroom_rooms_dropped_total{reason=\"demoted\"}";
  private static final String HOT = "liveroom_rooms_hot";
  private static final String HYDRATION = "liveroom_rooms_hydration_latency_seconds_bucket{le=\"";

  private final LoadGen.Options o;
  private final Vertx vertx;

  SweepRun(LoadGen.Options o, Vertx vertx) {
    this.o = o;
    this.vertx = vertx;
  }

  static String roomId(long i) {
    return String.format("room-%07d", i);
  }

  JsonObject run() throws Exception {
    int n = o.rooms;
    RedisConnection redis = Redis.createClient(vertx, o.redisUrl).connect().await();
    try {
      return run(n, redis);
    } finally {
      redis.close();
    }
  }

  private JsonObject run(int n, RedisConnection redis) throws Exception {
    JsonObject f = new JsonObject().put("rooms", n);
    ServerStats.fullGc(o.serverPids);
    double heapBase = ServerStats.heapBytes(o.metricsUrls);
    long redisBase = usedMemory(redis);
    double demoted0 = ServerStats.metric(o.metricsUrls, DEMOTED);
    double hot0 = ServerStats.metric(o.metricsUrls, HOT);

    // 1. create
    LoadGen.log("creating %d rooms over %d connections", n, o.connections);
    HttpDriver d = new HttpDriver(vertx, o.targets.get(0), o.connections).retries(5, true);
    long t0 = System.nanoTime();
    d.run(o.connections, n, i -> new HttpDriver.Req(HttpMethod.POST, "/api/v1/rooms", o.apiKey,
        Buffer.buffer(new JsonObject().put("id", roomId(i)).put("title", String.format("Friday night stream %04d", i % 10_000))
            .put("ownerId", "host-" + (i % 1000)).encode()))).await(30, TimeUnit.MINUTES);
    double createSeconds = (System.nanoTime() - t0) / 1e9;
    var createHist = d.latency.getIntervalHistogram();
    long created = d.ok.get();
    LoadGen.log("created %d rooms in %.1f s (%d refused, %d errors, %d retried)", created, createSeconds,
        d.non2xx.get(), d.errors.get(), d.retried.get());
    double demotedEarly = ServerStats.metric(o.metricsUrls, DEMOTED) - demoted0;
    f.put("created", created).put("createsPerSecond", LoadGen.round(created / createSeconds))
        .put("createP99Ms", LoadGen.round(createHist.getValueAtPercentile(99) / 1000.0))
        .put("createRetries", d.retried.get())
        .put("demotedDuringCreation", (long) demotedEarly);
    if (created < n) {
      throw new IllegalStateException("only " + created + " of " + n + " rooms were created (a rerun on the same Redis?"
          + " the scenario starts from an empty one)");
    }
    ServerStats.fullGc(o.serverPids);
    double heapHot = ServerStats.heapBytes(o.metricsUrls);
    double hotPeak = ServerStats.metric(o.metricsUrls, HOT);
    long createdBy = System.currentTimeMillis();
    if (demotedEarly == 0 && o.idleAfterMs > 0) {
      // Rooms turn idle in the order they were created, so a sweeper running meanwhile would demote
      // them at the creation rate. Paused (SIGSTOP) until the last one is idle, the node then finds
      // them all idle at once: a backlog, which its sweeper works off at its own pace.
      long until = createdBy + o.idleAfterMs + 1000;
      LoadGen.log("pausing the node (SIGSTOP) for %.1f s, until every room is idle", (until - createdBy) / 1000.0);
      ServerStats.signal(o.serverPids, "STOP");
      try {
        TimeUnit.MILLISECONDS.sleep(Math.max(0, until - System.currentTimeMillis()));
      } finally {
        ServerStats.signal(o.serverPids, "CONT");
      }
    }

    // 2. wait for the sweeper: poll every 100 ms until every room created is demoted
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.durationSeconds);
    double firstCount = -1;
    long firstAt = 0;
    double lastCount = -1;
    long lastAt = 0;
    double target = demoted0 + created;
    long cpu0 = 0;
    long cpuAt = 0;
    LoadGen.log("waiting up to %d s for the sweeper", o.durationSeconds);
    while (System.nanoTime() < deadline) {
      double c = ServerStats.metric(o.metricsUrls, DEMOTED);
      long now = System.nanoTime();
      if (c > demoted0 + demotedEarly && firstCount < 0) {
        firstCount = c;
        firstAt = now;
        cpu0 = ServerStats.cpuTicks(o.serverPids);
        cpuAt = now;
      } else if (firstCount >= 0 && c > lastCount) {
        lastCount = c;
        lastAt = now;
      }
      if (c >= target) {
        break;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    double demotedTotal = ServerStats.metric(o.metricsUrls, DEMOTED) - demoted0;
    f.put("demoted", (long) demotedTotal);
    if (firstCount >= 0 && lastAt > firstAt) {
      double secs = (lastAt - firstAt) / 1e9;
      f.put("demotionsPerSecond", LoadGen.round((lastCount - firstCount) / secs));
      f.put("demotionSeconds", LoadGen.round(secs));
      f.put("serverCpuPercentDuringDemotion", LoadGen.round(ServerStats.cpuPercent(
          ServerStats.cpuTicks(o.serverPids) - cpu0, (System.nanoTime() - cpuAt) / 1e9)));
    }
    if (demotedEarly > 0) {
      f.put("warning", "the sweeper demoted rooms before creation ended: raise sweeper.idleAfterMs (SWEEP_IDLE_AFTER_MS)"
          + " above the creation time, else demotions/s is bounded by the creation rate");
    }

    // 3. memory once cold
    ServerStats.fullGc(o.serverPids);
    double heapAfter = ServerStats.heapBytes(o.metricsUrls);
    long redisAfter = usedMemory(redis);
    Random random = new Random(42);
    long hashBytes = 0;
    int sample = Math.min(1000, n);
    for (int i = 0; i < sample; i++) {
      Response r = redis.send(Request.cmd(Command.MEMORY).arg("USAGE").arg("lr:r:" + roomId(random.nextInt(n)))).await();
      hashBytes += r == null ? 0 : r.toLong();
    }
    f.put("heapBaselineMiB", LoadGen.round(heapBase / 1048576.0))
        .put("heapHotMiB", LoadGen.round(heapHot / 1048576.0))
        .put("heapAfterMiB", LoadGen.round(heapAfter / 1048576.0))
        .put("heapAfterOverBaselineMiB", LoadGen.round((heapAfter - heapBase) / 1048576.0))
        .put("heapBytesPerHotRoom", Math.round((heapHot - heapBase) / created))
        .put("hotRoomsPeak", (long) (hotPeak - hot0))
        .put("hotRoomsAfter", (long) (ServerStats.metric(o.metricsUrls, HOT) - hot0))
        .put("redisBytesPerRoom", Math.round((double) (redisAfter - redisBase) / created))
        .put("redisHashBytesPerRoom", Math.round((double) hashBytes / sample));

    // 4. touch random cold rooms again
    List<Integer> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(i);
    }
    Collections.shuffle(ids, random);
    int k = Math.min(o.hydrate, n);
    double[] buckets0 = hydrationBuckets();
    LoadGen.log("hydrating %d random cold rooms, %d at a time", k, o.concurrency);
    HttpDriver h = new HttpDriver(vertx, o.targets.get(0), o.concurrency);
    long h0 = System.nanoTime();
    h.run(o.concurrency, k, i -> new HttpDriver.Req(HttpMethod.GET, "/api/v1/rooms/" + roomId(ids.get((int) i)), o.apiKey,
        null)).await(10, TimeUnit.MINUTES);
    double hydrateSeconds = (System.nanoTime() - h0) / 1e9;
    var hist = h.latency.getIntervalHistogram();
    double[] buckets1 = hydrationBuckets();
    f.put("hydrated", h.ok.get())
        .put("hydrateFailures", h.non2xx.get() + h.errors.get())
        .put("hydratesPerSecond", LoadGen.round(h.ok.get() / hydrateSeconds))
        .put("hydrateP50Ms", LoadGen.round(hist.getValueAtPercentile(50) / 1000.0))
        .put("hydrateP99Ms", LoadGen.round(hist.getValueAtPercentile(99) / 1000.0))
        .put("hydrateMaxMs", LoadGen.round(hist.getMaxValue() / 1000.0))
        .put("hydrateServerP99MsAtMost", serverP99(buckets0, buckets1))
        .put("hotRoomsAfterHydration", (long) (ServerStats.metric(o.metricsUrls, HOT) - hot0));
    d.close();
    h.close();
    return f;
  }

  private static long usedMemory(RedisConnection redis) {
    String info = redis.send(Request.cmd(Command.INFO).arg("memory")).await().toString();
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("no used_memory in INFO memory");
  }

  /** Upper bounds and cumulative counts of the hydration timer's buckets, summed over the nodes: [le0, n0, le1, n1, ...]. */
  private double[] hydrationBuckets() {
    List<Double> out = new ArrayList<>();
    for (String u : o.metricsUrls) {
      String text = ServerStats.scrape(u);
      if (text == null) {
        continue;
      }
      int i = 0;
      for (String line : text.split("\n")) {
        if (line.startsWith(HYDRATION)) {
          String le = line.substring(HYDRATION.length(), line.indexOf('"', HYDRATION.length()));
          double count = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          if (out.size() <= 2 * i) {
            out.add(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le));
            out.add(count);
          } else {
            out.set(2 * i + 1, out.get(2 * i + 1) + count);
          }
          i++;
        }
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The upper bound (ms) of the bucket that holds the 99th percentile of the hydrations between the two scrapes. */
  private static Double serverP99(double[] before, double[] after) {
    if (after.length == 0 || before.length != after.length) {
      return null;
    }
    double total = after[after.length - 1] - before[before.length - 1];
    if (total <= 0) {
      return null;
    }
    for (int i = 0; i < after.length; i += 2) {
      if (after[i + 1] - before[i + 1] >= 0.99 * total) {
        return Double.isInfinite(after[i]) ? null : LoadGen.round(after[i] * 1000);
      }
    }
    return null;
  }
}
