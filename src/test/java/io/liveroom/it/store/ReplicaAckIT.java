package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import io.liveroom.store.RoomKeys;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisClusterServer;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code redis.replicasToAck}: epoch claims and appends are done only once a replica holds them
 * ({@code WAIT}), and with the replica gone they fail fast with {@code UNAVAILABLE} instead of being
 * acknowledged. In sentinel mode against the class's Redis (the master), a real replica of it and a
 * real Sentinel (which never fails over here); and on a real 3-master Redis Cluster with a replica
 * per master, where a master whose replica is gone refuses and the others do not, which shows that
 * each {@code WAIT} runs on the master of its batch's slot.
 */
@ExtendWith(VertxExtension.class)
@RedisAndCluster(nodes = 1)
class ReplicaAckIT {
  private static final long DAY = 86_400_000;
  private static RedisServer master;
  private static RedisServer replica;
  private static RedisServer sentinel;
  private static TestCluster nodes;

  @BeforeAll
  static void up(RedisServer r, TestCluster c) throws Exception {
    master = r;
    nodes = c;
    replica = new RedisServer("--replicaof", "127.0.0.1", Integer.toString(master.port()));
    replica.start();
    Path conf = Files.createTempFile("liveroom-sentinel-", ".conf");
    Files.writeString(conf, "sentinel monitor liveroom 127.0.0.1 " + master.port() + " 1\n"
        + "sentinel down-after-milliseconds liveroom 60000\n");
    sentinel = new RedisServer(conf.toString(), "--sentinel");
    sentinel.start();
    noSyncDelay(master);
    awaitLinkUp(replica);
  }

  @AfterAll
  static void down() throws Exception {
    if (sentinel != null) {
      sentinel.close();
    }
    if (replica != null) {
      replica.close();
    }
  }

  private static JsonObject sentinelRedis() {
    return new JsonObject().put("mode", "sentinel").put("masterName", "liveroom")
        .put("sentinels", new JsonArray().add("127.0.0.1:" + sentinel.port()))
        .put("timeoutMs", 1000).put("replicasAckTimeoutMs", 300);
  }

  private static LiveroomConfig config(JsonObject redis) {
    return ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard"))).put("redis", redis));
  }

  private static RoomData room(String id) {
    return new RoomData(id, "title of " + id, "host-1", RoomState.LIVE, 1000, 1000, 100, true, 0, "{}");
  }

  private static Danmaku item(long epoch, long seq, String text) {
    return new Danmaku(epoch, seq, "u1", "U1", text, "#ffffff", "scroll", -1, seq, 0);
  }

  private static Future<List<RoomStore.WriteResult>> append(RoomStore.Appender a, String room, long epoch,
                                                            Danmaku d, String key) {
    return a.append(List.of(new HistoryStore.RoomAppends(room, epoch, List.of(d), Arrays.asList(key))), 100, 10,
        120_000, 100, System.currentTimeMillis());
  }

  /** Creates {@code ids} through a creator made and called on one event loop, in one turn, as a shard instance does. */
  private static Future<List<Boolean>> createInOneTurn(Vertx vertx, RoomStore store, List<String> ids) {
    Context ctx = vertx.getOrCreateContext();
    Promise<List<Boolean>> done = Promise.promise();
    ctx.runOnContext(v -> {
      RoomStore.Creator creator = store.creator();
      List<Future<Boolean>> created = new ArrayList<>();
      ids.forEach(id -> created.add(creator.create(room(id))));
      Future.all(created).map(CompositeFuture::<Boolean>list).onComplete(ar -> {
        creator.close();
        done.handle(ar);
      });
    });
    return done.future();
  }

  /** The failure of {@code f}, within {@code limitMs}. */
  private static Throwable failureOf(Future<?> f, long limitMs, String what) {
    long t0 = System.nanoTime();
    Throwable cause = f.transform(ar -> Future.succeededFuture(ar.cause())).await();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(cause != null, what + " should fail");
    assertTrue(ms < limitMs, what + " failed after " + ms + " ms, over " + limitMs);
    LiveroomException e = assertInstanceOf(LiveroomException.class, cause, what);
    assertEquals(ErrorCode.UNAVAILABLE, e.code(), what);
    return cause;
  }

  @Test
  void anAppendAndAnEpochAreAcknowledgedOnlyOnceTheReplicaHoldsThem(Vertx vertx) throws Exception {
    LiveroomConfig cfg = config(sentinelRedis());
    assertEquals(1, cfg.redis().replicasToAck(), "sentinel mode waits for one replica by default");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RoomStore store = new RoomStore(vertx, cfg.redis(), "wait-node", registry);
    RoomStore.Appender appender = store.appender();
    try {
      assertTrue(store.create(room("w-1")).await());
      long epoch = store.hydrate("w-1").await().epoch();
      assertEquals(Long.toString(epoch), call(replica, "HGET", RoomKeys.roomKey("w-1"), "e").strip(),
          "the replica holds the epoch as soon as the load answers");
      for (int i = 1; i <= 20; i++) {
        assertEquals(List.of(RoomStore.WriteResult.OK), append(appender, "w-1", epoch, item(epoch, i, "m" + i),
            "u1\u0000k" + i).await());
        // acknowledged means on the replica too: read there at once, no waiting
        assertTrue(call(replica, "XREVRANGE", RoomKeys.historyKey("w-1"), "+", "-", "COUNT", "1")
            .contains("\"text\":\"m" + i + "\""), "item " + i + " is on the replica when its append answers");
      }
      // the creates of one turn: one batch, one WAIT, and on the replica when they answer
      Timer createAcks = registry.find("liveroom.redis.replica.acks").tag("op", "create").tag("outcome", "ok").timer();
      long before = createAcks.count(); // w-1's own
      assertEquals(List.of(true, true, true), createInOneTurn(vertx, store, List.of("w-b1", "w-b2", "w-b3")).await());
      for (String id : List.of("w-b1", "w-b2", "w-b3")) {
        assertEquals("1", call(replica, "HGET", RoomKeys.roomKey(id), "e").strip(), id + " is on the replica");
      }
      assertEquals(before + 1, createAcks.count(), "three creates of one turn, one WAIT");
      Timer ok = registry.find("liveroom.redis.replica.acks").tag("op", "append").tag("outcome", "ok").timer();
      assertTrue(ok != null && ok.count() >= 20, "a WAIT per append batch is timed");
      assertTrue(registry.find("liveroom.redis.replica.acks").tag("op", "hydrate").tag("outcome", "ok").timer()
          .count() >= 1);
    } finally {
      appender.close();
      store.close().await();
    }
  }

  @Test
  void withTheReplicaGoneWritesFailFastAndAKeyedRetryAfterItReturnsGetsTheFirstPosition(Vertx vertx)
      throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RoomStore store = new RoomStore(vertx, config(sentinelRedis()).redis(), "wait-node", registry);
    RoomStore.Appender appender = store.appender();
    try {
      assertTrue(store.create(room("w-2")).await());
      long epoch = store.hydrate("w-2").await().epoch();
      assertEquals(List.of(RoomStore.WriteResult.OK), append(appender, "w-2", epoch, item(epoch, 1, "before"), null)
          .await());

      replica.stop();
      Await.until(() -> info(master).contains("connected_slaves:0"), Duration.ofSeconds(10),
          "the master sees its replica gone");
      // WAIT gives up after replicasAckTimeoutMs (300 ms); generous bounds for a loaded machine
      Throwable e = failureOf(append(appender, "w-2", epoch, item(epoch, 2, "unconfirmed"), "u1\u0000retry-me"), 3000,
          "an append no replica confirmed");
      assertTrue(String.valueOf(e.getCause()).contains("0 of 1 replicas"), String.valueOf(e.getCause()));
      failureOf(store.hydrate("w-2"), 3000, "a load (epoch claim) no replica confirmed");
      failureOf(store.create(room("w-3")), 3000, "a create no replica confirmed");
      failureOf(createInOneTurn(vertx, store, List.of("w-4", "w-5")), 3000, "batched creates no replica confirmed");
      assertEquals(1, registry.find("liveroom.redis.replica.acks").tag("op", "append").tag("outcome", "short").timer()
          .count());
      // not acknowledged, yet on the primary with its key: what a retry with the same key must find
      assertTrue(call(master, "XRANGE", RoomKeys.historyKey("w-2"), "-", "+").contains("unconfirmed"));

      replica.start();
      awaitLinkUp(replica);
      // the owner loads the room again in a new epoch after a failed append (OwnerStore.loadForSend),
      // and answers a repeated key from the keys stored with the items: the first (epoch, seq)
      long next = store.hydrate("w-2").await().epoch();
      assertTrue(next > epoch);
      List<StoredKey> keys = store.idempotencyKeys("w-2").await();
      StoredKey k = keys.stream().filter(s -> s.key().equals("u1\u0000retry-me")).findFirst().orElseThrow();
      assertEquals(epoch, k.epoch());
      assertEquals(2, k.seq());
      assertTrue(call(replica, "XRANGE", RoomKeys.historyKey("w-2"), "-", "+").contains("unconfirmed"),
          "the load's WAIT covered the earlier unconfirmed append too: the replica holds it now");
      assertEquals(List.of(RoomStore.WriteResult.OK), append(appender, "w-2", next, item(next, 1, "after"), null)
          .await());
    } finally {
      appender.close();
      store.close().await();
      replica.start();
      awaitLinkUp(replica);
    }
  }

  @Test
  void aNodeAnswersUnavailableWithoutTheReplicaAndTheSameKeyThenGetsTheSamePosition() throws Exception {
    nodes.start(0, new JsonObject().put("redis", sentinelRedis()));
    try {
      nodes.createRoom("w-node");
      Http api = nodes.http(0);
      Http.Reply first = api.post("/api/v1/rooms/w-node/messages", new JsonObject().put("text", "one").put("key", "a"));
      assertEquals(202, first.status(), first.toString());

      replica.stop();
      Await.until(() -> info(master).contains("connected_slaves:0"), Duration.ofSeconds(10),
          "the master sees its replica gone");
      Http.Reply refused = api.post("/api/v1/rooms/w-node/messages", new JsonObject().put("text", "two").put("key", "b"));
      assertEquals(503, refused.status(), refused.toString());
      assertEquals("UNAVAILABLE", refused.errorCode());
      assertTrue(refused.millis() < 3000, "refused in " + refused.millis() + " ms");

      replica.start();
      awaitLinkUp(replica);
      Http.Reply retried = null;
      for (int i = 0; i < 20 && (retried == null || retried.status() != 202); i++) {
        retried = api.post("/api/v1/rooms/w-node/messages", new JsonObject().put("text", "two").put("key", "b"));
      }
      assertEquals(202, retried.status(), retried.toString());
      List<JsonObject> stored = new ArrayList<>();
      for (String line : call(master, "XRANGE", RoomKeys.historyKey("w-node"), "-", "+").split("\n")) {
        if (line.startsWith("{") && line.contains("\"text\":\"two\"")) {
          stored.add(new JsonObject(line));
        }
      }
      assertEquals(1, stored.size(), "stored once, not once per try: " + stored);
      assertEquals(stored.get(0).getLong("epoch"), retried.json().getLong("epoch"));
      assertEquals(stored.get(0).getLong("seq"), retried.json().getLong("seq"),
          "the retry with the same key answers the first (epoch, seq)");
    } finally {
      nodes.stop(nodes.node(0));
      replica.start();
      awaitLinkUp(replica);
    }
  }

  @Test
  void onARedisClusterEachWaitRunsOnTheMasterOfItsBatch(Vertx vertx) throws Exception {
    RedisClusterServer cluster = RedisClusterServer.started(3, true);
    try {
      LiveroomConfig cfg = config(new JsonObject().put("mode", "cluster")
          .put("nodes", new JsonArray(cluster.hostPorts())).put("timeoutMs", 1000).put("replicasAckTimeoutMs", 300));
      assertEquals(1, cfg.redis().replicasToAck(), "cluster mode waits for one replica by default");
      RoomStore store = new RoomStore(vertx, cfg.redis(), "wait-node", new SimpleMeterRegistry());
      RoomStore.Appender appender = store.appender();
      try {
        // rooms on every master, by the slot of their keys
        List<List<String>> byMaster = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; byMaster.stream().anyMatch(l -> l.size() < 3); i++) {
          String id = "wc-" + i;
          int m = RoomKeys.slotOf(RoomKeys.roomKey(id)) * 3 / 16384;
          if (byMaster.get(m).size() < 3) {
            byMaster.get(m).add(id);
            assertTrue(store.create(room(id)).await());
          }
        }
        for (List<String> rooms : byMaster) {
          for (String id : rooms) {
            assertEquals(List.of(RoomStore.WriteResult.OK), append(appender, id, 1, item(1, 1, "a"), null).await());
          }
        }

        cluster.replica(0).stop();
        Await.until(() -> {
          try {
            return cluster.call(0, List.of("INFO", "replication")).contains("connected_slaves:0");
          } catch (IOException e) {
            return false;
          }
        }, Duration.ofSeconds(10), "master 0 sees its replica gone");
        // vertx-redis-client's cluster client fails every new connection while an endpoint of its
        // slot map (replicas included) refuses: wait until the cluster has marked the replica
        // failed and dropped it from CLUSTER SLOTS, and the client has connected again
        String gone = Integer.toString(cluster.replica(0).port());
        Await.until(() -> {
          try {
            return !cluster.call(1, List.of("CLUSTER", "NODES")).contains(":" + gone + "@")
                || cluster.call(1, List.of("CLUSTER", "NODES")).contains("slave,fail");
          } catch (IOException e) {
            return false;
          }
        }, Duration.ofSeconds(20), "the cluster marks the stopped replica failed");
        String probe = byMaster.get(1).get(0);
        Await.until(() -> store.hydrate(probe).transform(ar -> Future.succeededFuture(ar.succeeded())).await(),
            Duration.ofSeconds(20), "the cluster client connects again without the stopped replica");
        // if WAIT went to any other master, these would pass (that master's replica confirms) and
        // the others would fail now and then: each batch's WAIT must run where its script ran
        for (String id : byMaster.get(0)) {
          failureOf(append(appender, id, 1, item(1, 2, "b"), null), 3000, "an append on master 0 (" + id + ")");
          failureOf(store.hydrate(id), 3000, "a load on master 0 (" + id + ")");
        }
        for (int m = 1; m < 3; m++) {
          for (String id : byMaster.get(m)) {
            long epoch = store.hydrate(id).await().epoch();
            assertEquals(List.of(RoomStore.WriteResult.OK), append(appender, id, epoch, item(epoch, 1, "b"), null)
                .await(), "an append on master " + m + " (" + id + ")");
          }
        }
      } finally {
        appender.close();
        store.close().await();
      }
    } finally {
      cluster.close();
    }
  }

  /**
   * A primary without persistence syncs replicas diskless, after {@code repl-diskless-sync-delay}
   * (5 s by default, waiting for more replicas): none here, so a (re)started replica follows at once.
   */
  static void noSyncDelay(RedisServer primary) throws IOException {
    call(primary, "CONFIG", "SET", "repl-diskless-sync-delay", "0");
  }

  private static void awaitLinkUp(RedisServer r) {
    // WAIT counts a replica once the master has it online (its first REPLCONF ACK after the sync)
    Await.until(() -> info(r).contains("master_link_status:up") && info(master).contains("state=online"),
        Duration.ofSeconds(20), "the replica on port " + r.port() + " follows the master");
  }

  private static String info(RedisServer r) {
    try {
      return call(r, "INFO", "replication");
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * One command on {@code r} through {@code redis-cli}-free plain RESP: the reply's lines (bulk
   * strings one per line), enough to look for a value.
   */
  private static String call(RedisServer r, String... args) throws IOException {
    try (Socket s = new Socket("127.0.0.1", r.port())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder reply = new StringBuilder();
      readReply(in, reply);
      return reply.toString();
    }
  }

  private static void readReply(BufferedReader in, StringBuilder reply) throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new IOException("connection closed");
    }
    switch (line.charAt(0)) {
      case '-' -> throw new IOException("redis: " + line);
      case '$' -> {
        int n = Integer.parseInt(line.substring(1));
        if (n >= 0) {
          char[] buf = new char[n];
          int read = 0;
          while (read < n) {
            read += in.read(buf, read, n - read);
          }
          in.readLine();
          reply.append(buf).append('\n');
        } else {
          reply.append("(nil)");
        }
      }
      case '*' -> {
        int n = Integer.parseInt(line.substring(1));
        for (int i = 0; i < n; i++) {
          readReply(in, reply);
        }
      }
      default -> reply.append(line.substring(1)).append('\n');
    }
  }
}
