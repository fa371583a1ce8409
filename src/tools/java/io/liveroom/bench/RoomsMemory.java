package io.liveroom.bench;

import io.liveroom.room.Room;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomLimits;
import io.liveroom.room.RoomRules;
import io.liveroom.room.RoomTable;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The {@code rooms-memory} benchmark: creates N hot idle rooms through the shard's own code path
 * (validation by {@link RoomRules}, the packed {@link Room}, the shard's {@link RoomTable}) in this
 * JVM, without HTTP or Redis, and measures the retained heap per room after full GCs and the
 * rooms created per second. Ids look like {@code room-0001234}, titles have ~24 characters.
 *
 * <p>Run: {@code java -Xmx3g -cp liveroom-tools.jar:liveroom.jar io.liveroom.bench.RoomsMemory [rooms]
 * [out.json]}.
 */
public final class RoomsMemory {
  private static final int PARTITIONS = 271;

  private RoomsMemory() {
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    String out = args.length > 1 ? args[1] : null;
    RoomRules rules = new RoomRules(RoomLimits.DEFAULTS);
    // warm the code path up on a throwaway table, so the timed run measures compiled code
    fill(rules, new RoomTable(), Math.min(n, 200_000), "warm-");

    long before = settledHeap();
    long t0 = System.nanoTime();
    RoomTable table = new RoomTable();
    fill(rules, table, n, "room-");
    double seconds = (System.nanoTime() - t0) / 1e9;
    long after = settledHeap();
    if (table.size() != n) {
      throw new IllegalStateException("expected " + n + " rooms, have " + table.size());
    }
    double bytesPerRoom = (after - before) / (double) n;
    double roomsPerSecond = n / seconds;
    java.lang.ref.Reference.reachabilityFence(table);

    String flags = String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments());
    JsonObject result = new JsonObject()
        .put("scenario", "rooms-memory")
        .put("figures", new JsonObject().put("rooms", n).put("bytesPerRoom", Math.round(bytesPerRoom * 10) / 10.0)
            .put("roomsPerSecond", Math.round(roomsPerSecond)))
        .put("targets", new JsonObject().put("bytesPerRoom", "<= 128").put("roomsPerSecond", ">= 500000"))
        .put("met", bytesPerRoom <= 128 && roomsPerSecond >= 500_000)
        .put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.version"))
        .put("jvmFlags", flags)
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("startedAt", Instant.now().toString())
        .put("command", "java " + flags + " -cp target/liveroom-tools.jar:target/liveroom.jar"
            + " io.liveroom.bench.RoomsMemory " + n);
    System.out.printf("rooms-memory: %d rooms, %.1f bytes per room, %.0f rooms/s (%s)%n", n, bytesPerRoom,
        roomsPerSecond, result.getString("jdk"));
    if (out != null) {
      Path p = Path.of(out);
      if (p.getParent() != null) {
        Files.createDirectories(p.getParent());
      }
      Files.writeString(p, result.encodePrettily());
    }
  }

  private static void fill(RoomRules rules, RoomTable table, int n, String prefix) {
    long now = System.currentTimeMillis();
    char[] id = (prefix + "0000000").toCharArray();
    for (int i = 0; i < n; i++) {
      int v = i;
      for (int d = id.length - 1; d >= prefix.length(); d--) {
        id[d] = (char) ('0' + v % 10);
        v /= 10;
      }
      String roomId = new String(id);
      // ~24-character titles, as the scenario says
      String title = "Friday night stream " + (1000 + i % 9000);
      RoomData data = rules.create(roomId, new RoomFields(title, "host-" + (i % 5000), null, null, null, null, null), now);
      table.put(Math.floorMod(roomId.hashCode(), PARTITIONS), new Room(data, 1, now));
    }
  }

  /** Used heap after full collections, once it stops shrinking. */
  static long settledHeap() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      TimeUnit.MILLISECONDS.sleep(200);
      long now = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (now >= used - 1024 * 1024) {
        return Math.min(now, used);
      }
      used = now;
    }
    return used;
  }
}
