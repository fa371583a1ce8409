package io.liveroom.bench;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.store.HistoryStore;
import io.liveroom.store.RoomStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many appends one Redis master takes through the store's own append path (the
 * {@code APPEND} script of {@link HistoryStore}, batched and pipelined as a shard does it): for
 * docs/operations.md, "Sizing Redis".
 *
 * <pre>
 * java @conf/jvm-module-flags -cp target/liveroom-tools.jar:target/liveroom.jar io.liveroom.bench.AppendBench \
 *   redis://127.0.0.1:6399 [appenders 2] [roomsPerBatch 32] [itemsPerRoom 1] [keyed true] [seconds 10] [inFlight 4]
 * </pre>
 *
 * <p>Each appender is one verticle with one {@link RoomStore.Appender} (one pipelined connection),
 * as each shard instance has; it keeps {@code inFlight} batches in flight, each with one script
 * call per room for {@code roomsPerBatch} rooms and {@code itemsPerRoom} items per room, with an
 * idempotency key per item when {@code keyed}. The history cap, replay cap, key TTL and keys per
 * room are the defaults (docs/configuration.md). Prints one JSON line: items and script calls per second,
 * measured after 3 s of warm-up. Bounded: it stops after {@code seconds}.
 */
public final class AppendBench {
  private static final int ROOMS_PER_APPENDER = 1000;

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "redis://127.0.0.1:6399";
    int appenders = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int roomsPerBatch = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    int itemsPerRoom = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    boolean keyed = args.length <= 4 || Boolean.parseBoolean(args[4]);
    int seconds = args.length > 5 ? Integer.parseInt(args[5]) : 10;
    int inFlight = args.length > 6 ? Integer.parseInt(args[6]) : 4;
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", new JsonObject().put("url", url).put("timeoutMs", 10_000)));
    Vertx vertx = Vertx.vertx();
    RoomStore store = new RoomStore(vertx, cfg.redis(), "append-bench", new SimpleMeterRegistry());
    try {
      String run = Long.toString(System.currentTimeMillis(), 36);
      List<String> ids = new ArrayList<>();
      List<Future<Boolean>> creates = new ArrayList<>();
      for (int i = 0; i < appenders * ROOMS_PER_APPENDER; i++) {
        String id = "ab-" + run + "-" + i;
        ids.add(id);
        creates.add(store.create(new RoomData(id, "Append bench room", "host", RoomState.LIVE, 1, 1, 1000, true, 0, "{}")));
      }
      Future.all(creates).await(60, TimeUnit.SECONDS);
      long[] epochs = new long[ids.size()];
      for (int i = 0; i < ids.size(); i++) {
        epochs[i] = store.hydrate(ids.get(i)).await(10, TimeUnit.SECONDS).epoch();
      }
      AtomicLong items = new AtomicLong();
      AtomicLong calls = new AtomicLong();
      AtomicLong refused = new AtomicLong();
      List<Loop> loops = new ArrayList<>();
      for (int a = 0; a < appenders; a++) {
        Loop loop = new Loop(store, cfg, ids.subList(a * ROOMS_PER_APPENDER, (a + 1) * ROOMS_PER_APPENDER),
            Arrays.copyOfRange(epochs, a * ROOMS_PER_APPENDER, (a + 1) * ROOMS_PER_APPENDER), roomsPerBatch,
            itemsPerRoom, keyed, inFlight, items, calls, refused);
        loops.add(loop);
        vertx.deployVerticle(loop).await(10, TimeUnit.SECONDS);
      }
      Thread.sleep(3000);
      long i0 = items.get();
      long c0 = calls.get();
      long t0 = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      long i1 = items.get();
      long c1 = calls.get();
      double s = (System.nanoTime() - t0) / 1e9;
      loops.forEach(Loop::halt);
      JsonObject out = new JsonObject()
          .put("appenders", appenders).put("roomsPerBatch", roomsPerBatch).put("itemsPerRoom", itemsPerRoom)
          .put("keyed", keyed).put("inFlight", inFlight).put("seconds", Math.round(s * 10) / 10.0)
          .put("itemsPerSecond", Math.round((i1 - i0) / s))
          .put("scriptCallsPerSecond", Math.round((c1 - c0) / s))
          .put("refused", refused.get())
          .put("historySize", cfg.rt().historySize()).put("maxKeysPerRoom", cfg.rt().maxKeysPerRoom());
      System.out.println(out.encode());
    } finally {
      store.close().await(10, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  /** One appender on its own event loop, as a shard instance: keeps {@code inFlight} batches going. */
  private static final class Loop extends VerticleBase {
    private final RoomStore store;
    private final LiveroomConfig cfg;
    private final List<String> ids;
    private final long[] epochs;
    private final long[] seqs;
    private final int roomsPerBatch;
    private final int itemsPerRoom;
    private final boolean keyed;
    private final int inFlight;
    private final AtomicLong items;
    private final AtomicLong calls;
    private final AtomicLong refused;
    private volatile boolean halted;
    private RoomStore.Appender appender;
    private int next;

    Loop(RoomStore store, LiveroomConfig cfg, List<String> ids, long[] epochs, int roomsPerBatch, int itemsPerRoom,
         boolean keyed, int inFlight, AtomicLong items, AtomicLong calls, AtomicLong refused) {
      this.store = store;
      this.cfg = cfg;
      this.ids = ids;
      this.epochs = epochs;
      this.seqs = new long[ids.size()];
      this.roomsPerBatch = roomsPerBatch;
      this.itemsPerRoom = itemsPerRoom;
      this.keyed = keyed;
      this.inFlight = inFlight;
      this.items = items;
      this.calls = calls;
      this.refused = refused;
    }

    @Override
    public Future<?> start() {
      appender = store.appender();
      for (int i = 0; i < inFlight; i++) {
        send();
      }
      return Future.succeededFuture();
    }

    void halt() {
      halted = true;
    }

    private void send() {
      if (halted) {
        return;
      }
      List<HistoryStore.RoomAppends> batch = new ArrayList<>(roomsPerBatch);
      long now = System.currentTimeMillis();
      for (int r = 0; r < roomsPerBatch; r++) {
        int room = next;
        next = (next + 1) % ids.size();
        List<Danmaku> ds = new ArrayList<>(itemsPerRoom);
        List<String> keys = new ArrayList<>(itemsPerRoom);
        for (int k = 0; k < itemsPerRoom; k++) {
          long seq = ++seqs[room];
          ds.add(new Danmaku(epochs[room], seq, "user-" + (seq % 500), "Viewer " + (seq % 500),
              "a danmaku of about forty characters " + seq, "#ffffff", "scroll", -1, now, 0));
          keys.add(keyed ? "user-" + (seq % 500) + "\u0000k-" + seq : null);
        }
        batch.add(new HistoryStore.RoomAppends(ids.get(room), epochs[room], ds, keys));
      }
      appender.append(batch, cfg.rt().historySize(), cfg.replay().maxItems(), cfg.rt().idempotencyTtlMs(),
          cfg.rt().maxKeysPerRoom(), now).onComplete(ar -> {
            if (ar.succeeded()) {
              long ok = ar.result().stream().filter(w -> w == RoomStore.WriteResult.OK).count();
              items.addAndGet(ok * itemsPerRoom);
              calls.addAndGet(batch.size());
              refused.addAndGet(batch.size() - ok);
            } else {
              refused.addAndGet(batch.size());
            }
            send();
          });
    }

    @Override
    public Future<?> stop() {
      halted = true;
      appender.close();
      return Future.succeededFuture();
    }
  }
}
