package io.liveroom.bench;

import io.liveroom.store.RoomKeys;
import io.liveroom.Node;
import io.liveroom.config.ConfigLoader;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardControl;
import io.liveroom.protocol.RoomView;
import io.liveroom.room.RoomFields;
import io.liveroom.protocol.Addresses;
import io.liveroom.shard.ShardClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * The {@code sweep} benchmark: one shard node in this JVM (a real clustered Vert.x over Hazelcast,
 * a real Redis at {@code redis.url}) creates N rooms through the shard's own command path (Redis
 * write-through included), then demotes them all in one sweep cycle of the shard's sweep code,
 * then loads a random sample of them again (8 first touches at a time). Measures demotions per second, the heap after the
 * demotion against the baseline before the rooms, Redis bytes per cold room ({@code used_memory}
 * growth per room, the room and its index entry), and the hydration latency of the sample.
 *
 * <p>The sweeper verticle is not deployed: the benchmark asks the shard instances for the batches
 * of a cycle itself, exactly as the sweeper does, so that the demotion starts when every room
 * exists rather than while they are being created.
 *
 * <p>Run: {@code java -Xmx2g -cp liveroom-tools.jar:liveroom.jar io.liveroom.bench.SweepBench <redisUrl> [rooms]
 * [hydrate] [out.json] [flush]}. With {@code flush} it empties that Redis first: give it a Redis of its own
 * (scripts/bench.sh does).
 *
 * <p>Its waits ({@code await}) are on the main thread, never on an event loop.
 */
public final class SweepBench {
  /** Creates in flight: enough to keep the shards and Redis busy. */
  private static final int CREATES_IN_FLIGHT = 256;
  /** First touches in flight: a few at once, as viewers arriving in cold rooms, not a queue. */
  private static final int TOUCHES_IN_FLIGHT = 8;
  private static final int BATCH = 5000;

  private SweepBench() {
  }

  public static void main(String[] args) throws Exception {
    String redisUrl = args.length > 0 ? args[0] : "redis://127.0.0.1:6390";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int sample = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    String out = args.length > 3 ? args[3] : null;
    boolean flush = args.length > 4 && args[4].equals("flush");
    String cluster = "lr-sweep-bench-" + ProcessHandle.current().pid();
    Node node = Node.start(ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("cluster", new JsonObject().put("name", cluster).put("port", 15790).put("members", new JsonArray()
            .add("127.0.0.1:15790")))
        .put("redis", new JsonObject().put("url", redisUrl).put("poolSize", 16).put("maxWaiting", 4096))
        .put("shard", new JsonObject().put("instances", 2).put("requestTimeoutMs", 30_000).put("retryBudgetMs", 30_000))))
        .await(60, TimeUnit.SECONDS);
    Vertx vertx = node.vertx();
    Redis redis = Redis.createClient(vertx, redisUrl);
    try {
      if (flush) {
        redis.send(Request.cmd(Command.FLUSHALL)).await(60, TimeUnit.SECONDS);
      }
      ShardClient shards = new ShardClient(vertx, node.services());
      long heapBaseline = RoomsMemory.settledHeap();
      long redisBefore = usedMemory(redis);

      long t0 = System.nanoTime();
      run(n, CREATES_IN_FLIGHT, i -> shards.request(new ShardCommand.Create(id(i),
          new RoomFields(title(i), "host-" + (i % 5000), null, null, null, null, null))).mapEmpty());
      double createSeconds = (System.nanoTime() - t0) / 1e9;
      long hot = node.services().metrics().roomsHot();
      long heapHot = RoomsMemory.settledHeap();

      long t1 = System.nanoTime();
      int demoted = sweepCycle(vertx, node.services().config().shard().instances());
      double demoteSeconds = (System.nanoTime() - t1) / 1e9;
      long heapAfter = RoomsMemory.settledHeap();
      long redisAfter = usedMemory(redis);
      long roomHashBytes = redis.send(Request.cmd(Command.MEMORY).arg("USAGE").arg(RoomKeys.roomKey(id(n / 2))))
          .await(10, TimeUnit.SECONDS).toLong();

      Histogram hydrate = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      Random random = new Random(20261123);
      int[] picks = new int[sample];
      for (int i = 0; i < sample; i++) {
        picks[i] = random.nextInt(n);
      }
      AtomicInteger cold = new AtomicInteger();
      long t2 = System.nanoTime();
      run(sample, TOUCHES_IN_FLIGHT, i -> {
        long s = System.nanoTime();
        return shards.request(new ShardCommand.Get(id(picks[i]))).map((RoomView v) -> {
          hydrate.recordValue(System.nanoTime() - s);
          return null;
        }).mapEmpty();
      });
      double hydrateSeconds = (System.nanoTime() - t2) / 1e9;
      cold.set((int) (n - node.services().metrics().roomsHot()));

      double demotionsPerSecond = demoted / demoteSeconds;
      double heapAfterOverBaselineMiB = (heapAfter - heapBaseline) / 1048576.0;
      double redisBytesPerRoom = (redisAfter - redisBefore) / (double) n;
      double p99 = hydrate.getValueAtPercentile(99) / 1e6;
      String flags = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
      JsonObject figures = new JsonObject()
          .put("rooms", n)
          .put("createsPerSecond", Math.round(n / createSeconds))
          .put("hotRoomsBeforeSweep", hot)
          .put("demoted", demoted)
          .put("demotionsPerSecond", Math.round(demotionsPerSecond))
          .put("demotionSeconds", round(demoteSeconds))
          .put("heapBaselineMiB", round(heapBaseline / 1048576.0))
          .put("heapHotMiB", round(heapHot / 1048576.0))
          .put("heapAfterMiB", round(heapAfter / 1048576.0))
          .put("heapAfterOverBaselineMiB", round(heapAfterOverBaselineMiB))
          .put("redisBytesPerRoom", Math.round(redisBytesPerRoom))
          .put("redisHashBytesPerRoom", roomHashBytes)
          .put("hydrated", sample)
          .put("hydratesPerSecond", Math.round(sample / hydrateSeconds))
          .put("hydrateP50Ms", round(hydrate.getValueAtPercentile(50) / 1e6))
          .put("hydrateP99Ms", round(p99))
          .put("hydrateMaxMs", round(hydrate.getMaxValue() / 1e6))
          .put("coldAfterHydration", cold.get());
      boolean met = demotionsPerSecond >= 50_000 && heapAfterOverBaselineMiB <= 16 && redisBytesPerRoom <= 200
          && p99 <= 5;
      JsonObject result = new JsonObject()
          .put("scenario", "sweep")
          .put("figures", figures)
          .put("targets", new JsonObject().put("demotionsPerSecond", ">= 50000")
              .put("heapAfterOverBaselineMiB", "<= 16 (back to baseline)").put("redisBytesPerRoom", "<= 200")
              .put("hydrateP99Ms", "<= 5"))
          .put("met", met)
          .put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.version"))
          .put("jvmFlags", flags)
          .put("cores", Runtime.getRuntime().availableProcessors())
          .put("startedAt", Instant.now().toString())
          .put("command", "java " + flags + " -cp target/liveroom-tools.jar:target/liveroom.jar"
              + " io.liveroom.bench.SweepBench " + redisUrl + " " + n + " " + sample);
      System.out.printf("sweep: %d rooms, %.0f demotions/s, heap after %+.1f MiB over baseline, %.0f Redis bytes per "
              + "cold room (hash %d), hydrate p99 %.2f ms, met=%s%n", n, demotionsPerSecond, heapAfterOverBaselineMiB,
          redisBytesPerRoom, roomHashBytes, p99, met);
      if (out != null) {
        Path p = Path.of(out);
        if (p.getParent() != null) {
          Files.createDirectories(p.getParent());
        }
        Files.writeString(p, result.encodePrettily());
      }
    } finally {
      redis.close();
      node.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** One sweep cycle over every shard instance, batches back to back, as the sweeper runs it. */
  private static int sweepCycle(Vertx vertx, int instances) throws Exception {
    long idleBefore = System.currentTimeMillis() + 1000; // every room is idle "now"
    List<Future<Integer>> all = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      Promise<Integer> done = Promise.promise();
      batch(vertx, i, idleBefore, true, 0, done);
      all.add(done.future());
    }
    Future.all(all).await(10, TimeUnit.MINUTES);
    return all.stream().mapToInt(Future::result).sum();
  }

  private static void batch(Vertx vertx, int instance, long idleBefore, boolean first, int sum, Promise<Integer> done) {
    ShardControl.Sweep req = new ShardControl.Sweep(idleBefore, BATCH, first);
    vertx.eventBus().<ShardControl.Swept>request(Addresses.shardSweep(instance), req,
            new DeliveryOptions().setSendTimeout(60_000))
        .onComplete(ar -> {
          if (ar.failed()) {
            done.fail(ar.cause());
            return;
          }
          int total = sum + ar.result().body().demoted();
          if (ar.result().body().more()) {
            batch(vertx, instance, idleBefore, false, total, done);
          } else {
            done.complete(total);
          }
        });
  }

  /** Runs {@code task(0..n-1)} with at most {@code inFlight} at once; fails on the first failure. */
  private static void run(int n, int inFlight, java.util.function.IntFunction<Future<Void>> task) throws Exception {
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    for (int k = 0; k < Math.min(inFlight, n); k++) {
      step(n, task, next, finished, done);
    }
    done.future().await(30, TimeUnit.MINUTES);
  }

  private static void step(int n, java.util.function.IntFunction<Future<Void>> task, AtomicInteger next,
                           AtomicInteger finished, Promise<Void> done) {
    int i = next.getAndIncrement();
    if (i >= n) {
      return;
    }
    task.apply(i).onComplete(ar -> {
      if (ar.failed()) {
        done.tryFail(ar.cause());
        return;
      }
      if (finished.incrementAndGet() == n) {
        done.tryComplete();
      } else {
        step(n, task, next, finished, done);
      }
    });
  }

  private static long usedMemory(Redis redis) throws Exception {
    String info = redis.send(Request.cmd(Command.INFO).arg("memory")).await(10, TimeUnit.SECONDS).toString();
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("no used_memory in INFO memory");
  }

  static String id(int i) {
    return String.format("room-%07d", i);
  }

  private static String title(int i) {
    return "Friday night stream " + (1000 + i % 9000);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
