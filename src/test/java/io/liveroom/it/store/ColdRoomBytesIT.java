package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.store.RoomKeys;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a cold room costs in Redis, for sizing (docs/operations.md, "Sizing Redis"): rooms created
 * through the store (the hash and the index entry a cold room keeps; ids and titles as in the sweep
 * benchmark) on a fresh redis-server, {@code used_memory} read at 0, 60,000 and 100,000 rooms. From
 * 60,000 on, nearly every index bucket exists already and the keyspace's hash table does not grow
 * (it has 131,072 slots from 65,536 keys to 131,072), so the growth from 60,000 to 100,000 is what
 * one more room costs: its hash and its index entry. Prints the figures and fails when that passes
 * the team's 200 bytes. (The keyspace's table adds 8 to 16 bytes a key, by where the key count
 * lies between two powers of two; docs/operations.md counts it apart.)
 */
@ExtendWith(VertxExtension.class)
@RedisAndCluster(nodes = 0)
class ColdRoomBytesIT {
  private static final int FIRST = 60_000;
  private static final int ROOMS = 100_000;
  private static final long MAX_BYTES_PER_ROOM = 200;

  @Test
  void oneMoreColdRoomCostsAtMostTwoHundredBytes(Vertx vertx, RedisServer redis) {
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", new JsonObject().put("url", redis.url()).put("timeoutMs", 10_000)));
    RoomStore store = new RoomStore(vertx, cfg.redis(), "size-node", new SimpleMeterRegistry());
    Redis raw = Redis.createClient(vertx, redis.url());
    try {
      raw.send(Request.cmd(Command.FLUSHALL)).await();
      store.ping().await();
      long empty = usedMemory(raw);
      create(store, 0, FIRST);
      long first = usedMemory(raw);
      long firstKeys = raw.send(Request.cmd(Command.DBSIZE)).await().toLong();
      create(store, FIRST, ROOMS);
      long after = usedMemory(raw);
      long keys = raw.send(Request.cmd(Command.DBSIZE)).await().toLong();
      long hash = raw.send(Request.cmd(Command.MEMORY).arg("USAGE").arg(RoomKeys.roomKey(id(ROOMS / 2)))).await().toLong();
      double marginal = (after - first) / (double) (ROOMS - FIRST);
      double fixed = first - empty - marginal * FIRST;
      System.out.printf("ColdRoomBytesIT: used_memory %d (empty), %d (%d rooms, %d keys), %d (%d rooms, %d keys); "
              + "per room at %d: %.1f; one more room (%d to %d): %.1f bytes; fixed (index buckets, counts, claim logs, "
              + "keyspace table): %.0f bytes; MEMORY USAGE of one room's hash: %d%n",
          empty, first, FIRST, firstKeys, after, ROOMS, keys, ROOMS, (after - empty) / (double) ROOMS, FIRST, ROOMS,
          marginal, fixed, hash);
      assertEquals(ROOMS, store.roomIndex().count().await().longValue(), "every room is counted");
      assertTrue(marginal <= MAX_BYTES_PER_ROOM, String.format("one more cold room costs %.1f bytes, over %d", marginal,
          MAX_BYTES_PER_ROOM));
    } finally {
      raw.close();
      store.close().await();
    }
  }

  private static void create(RoomStore store, int from, int to) {
    for (int at = from; at < to; at += 125) {
      List<Future<Boolean>> batch = new ArrayList<>();
      for (int i = at; i < Math.min(at + 125, to); i++) {
        batch.add(store.create(new RoomData(id(i), title(i), "host-" + (i % 5000), RoomState.CREATED,
            1_763_900_000_000L + i, 1_763_900_000_000L + i, 1000, true, 0, "{}")));
      }
      Future.all(batch).await();
    }
  }

  private static String id(int i) {
    return String.format("room-%07d", i);
  }

  /** 24 characters, as the sweep benchmark's titles. */
  private static String title(int i) {
    return "Friday night stream " + (1000 + i % 9000);
  }

  private static long usedMemory(Redis raw) {
    for (String line : raw.send(Request.cmd(Command.INFO).arg("memory")).await().toString().split("\r\n")) {
      if (line.startsWith("used_memory:")) {
        return Long.parseLong(line.substring("used_memory:".length()).trim());
      }
    }
    throw new IllegalStateException("no used_memory in INFO memory");
  }
}
