package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.Await;
import io.liveroom.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Redis that asks for a password, set up as k8s/redis.yaml and k8s/redis-sentinel/ set it up:
 * the master and its replica run with {@code requirepass} and {@code masterauth}, the Sentinels
 * with {@code requirepass} and {@code sentinel auth-pass} (the client sends the one
 * {@code redis.password} to the Sentinels too). The store works with the password, in standalone
 * and sentinel mode, and fails {@code UNAVAILABLE} without it or with a wrong one.
 */
@ExtendWith(VertxExtension.class)
class RedisAuthIT {
  private static final String PASSWORD = "a-redis-password-0123";
  private static final List<RedisServer> servers = new ArrayList<>();
  private static RedisServer master;
  private static final List<String> sentinels = new ArrayList<>();

  @BeforeAll
  static void up() throws Exception {
    master = new RedisServer("--requirepass", PASSWORD, "--masterauth", PASSWORD);
    servers.add(master);
    master.start();
    RedisServer replica = new RedisServer("--replicaof", "127.0.0.1", Integer.toString(master.port()),
        "--requirepass", PASSWORD, "--masterauth", PASSWORD);
    servers.add(replica);
    replica.start();
    for (int i = 0; i < 2; i++) {
      Path conf = Files.createTempFile("liveroom-sentinel-", ".conf");
      Files.writeString(conf, "sentinel monitor liveroom 127.0.0.1 " + master.port() + " 2\n"
          + "sentinel auth-pass liveroom " + PASSWORD + "\n"
          + "sentinel down-after-milliseconds liveroom 5000\n"
          + "requirepass " + PASSWORD + "\n");
      RedisServer s = new RedisServer(conf.toString(), "--sentinel");
      servers.add(s);
      s.start();
      sentinels.add("127.0.0.1:" + s.port());
    }
    Await.until(() -> masterKnown(sentinels.get(0)), Duration.ofSeconds(10), "the Sentinels name the master");
    // and is online: writes in sentinel mode wait for it (redis.replicasToAck 1), and WAIT counts a
    // replica once its master has it online, after the sync
    Await.until(() -> replicaLinked(master.port()), Duration.ofSeconds(20),
        "the replica authenticated to the master (masterauth) and is online");
  }

  @AfterAll
  static void down() throws Exception {
    for (RedisServer r : servers) {
      r.close();
    }
  }

  @Test
  void standaloneWithThePassword(Vertx vertx) {
    roundTrip(store(vertx, new JsonObject().put("url", master.url()).put("password", PASSWORD)), "auth-standalone");
  }

  @Test
  void standaloneWithThePasswordInTheUrl(Vertx vertx) {
    roundTrip(store(vertx, new JsonObject().put("url", "redis://:" + PASSWORD + "@127.0.0.1:" + master.port())),
        "auth-url");
  }

  @Test
  void sentinelModeWithThePassword(Vertx vertx) {
    roundTrip(store(vertx, new JsonObject().put("mode", "sentinel").put("sentinels", new JsonArray(sentinels))
        .put("masterName", "liveroom").put("password", PASSWORD)), "auth-sentinel");
  }

  @Test
  void withoutOrWithAWrongPasswordCallsFailAsUnavailable(Vertx vertx) {
    refused(store(vertx, new JsonObject().put("url", master.url())));
    refused(store(vertx, new JsonObject().put("url", master.url()).put("password", "wrong-password")));
    refused(store(vertx, new JsonObject().put("mode", "sentinel").put("sentinels", new JsonArray(sentinels))
        .put("masterName", "liveroom")));
  }

  private static RoomStore store(Vertx vertx, JsonObject redis) {
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard")))
        .put("redis", redis.put("timeoutMs", 1000)));
    return new RoomStore(vertx, cfg.redis(), "test-node", new SimpleMeterRegistry());
  }

  private static void roundTrip(RoomStore store, String id) {
    try {
      store.ping().await();
      RoomData d = new RoomData(id, "title", "host-1", RoomState.CREATED, 1000, 1000, 100, true, 0, "{}");
      assertTrue(store.create(d).await());
      assertEquals(d, store.hydrate(id).await().data());
    } finally {
      store.close().await();
    }
  }

  private static void refused(RoomStore store) {
    try {
      Throwable e = store.ping().transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertTrue(e instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE, String.valueOf(e));
      Throwable create = store.create(new RoomData("auth-refused", "t", "h", RoomState.CREATED, 1, 1, 100, true, 0,
          "{}")).transform(ar -> Future.succeededFuture(ar.cause())).await();
      assertTrue(create instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE, String.valueOf(create));
    } finally {
      store.close().await();
    }
  }

  /** Whether the answer of {@code command} (sent after AUTH) contains {@code needle} within 2 s. */
  private static boolean answers(int port, String command, String needle) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(2000);
      s.getOutputStream().write(("AUTH " + PASSWORD + "\r\n" + command + "\r\n").getBytes(StandardCharsets.UTF_8));
      byte[] buf = new byte[4096];
      StringBuilder out = new StringBuilder();
      int n;
      while (out.indexOf(needle) < 0 && (n = s.getInputStream().read(buf)) > 0) {
        out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
      }
      return out.indexOf(needle) >= 0;
    } catch (Exception e) {
      return false;
    }
  }

  private static boolean masterKnown(String hostPort) {
    int port = Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1));
    return answers(port, "SENTINEL GET-MASTER-ADDR-BY-NAME liveroom", Integer.toString(master.port()));
  }

  private static boolean replicaLinked(int masterPort) {
    return answers(masterPort, "INFO replication", "state=online");
  }
}
