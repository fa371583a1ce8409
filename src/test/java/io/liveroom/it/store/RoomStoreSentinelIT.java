package io.liveroom.it.store;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every test of {@link RoomStoreIT}, with the store in {@code redis.mode = sentinel}: the class's
 * Redis is the master, with a replica and two real Sentinels watching it as {@code liveroom}; the
 * store finds the master through the Sentinels. (No failover here: the Sentinel kill -9 test is
 * still to come.)
 */
@RedisAndCluster(nodes = 0)
class RoomStoreSentinelIT extends RoomStoreIT {
  private static final List<RedisServer> others = new ArrayList<>();
  private static final List<String> sentinels = new ArrayList<>();
  private static RedisServer replica;

  @BeforeAll
  static void sentinels() throws Exception {
    replica = new RedisServer("--replicaof", "127.0.0.1", Integer.toString(redis.port()));
    others.add(replica);
    ReplicaAckIT.noSyncDelay(redis);
    replica.start();
    for (int i = 0; i < 2; i++) {
      Path conf = Files.createTempFile("liveroom-sentinel-", ".conf");
      Files.writeString(conf, "sentinel monitor liveroom 127.0.0.1 " + redis.port() + " 2\n"
          + "sentinel down-after-milliseconds liveroom 5000\n");
      RedisServer s = new RedisServer(conf.toString(), "--sentinel");
      others.add(s);
      s.start();
      sentinels.add("127.0.0.1:" + s.port());
    }
    Await.until(() -> masterKnown(sentinels.get(0)), Duration.ofSeconds(10), "the Sentinels name the master");
    awaitReplica();
  }

  /** Writes wait for the replica (replicasToAck is 1 in sentinel mode): wait until it follows the master. */
  private static void awaitReplica() {
    // a replica counts for WAIT once the master has it online (its first REPLCONF ACK after the sync)
    Await.until(() -> replies(redis.port(), "INFO replication", "state=online")
        && replies(replica.port(), "INFO replication", "master_link_status:up"), Duration.ofSeconds(20),
        "the replica follows the master");
  }

  @Override
  protected void startRedis() throws Exception {
    super.startRedis();
    ReplicaAckIT.noSyncDelay(redis);
    awaitReplica();
  }

  private static boolean replies(int port, String inline, String needle) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(2000);
      s.getOutputStream().write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
      byte[] buf = new byte[8192];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).contains(needle);
    } catch (Exception e) {
      return false;
    }
  }

  private static boolean masterKnown(String hostPort) {
    int port = Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1));
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(2000);
      s.getOutputStream().write("SENTINEL GET-MASTER-ADDR-BY-NAME liveroom\r\n".getBytes(StandardCharsets.UTF_8));
      byte[] buf = new byte[256];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).contains(Integer.toString(redis.port()));
    } catch (Exception e) {
      return false;
    }
  }

  @AfterAll
  static void down() throws Exception {
    for (RedisServer r : others) {
      r.close();
    }
  }

  @Override
  protected JsonObject redisConfig() {
    // replicasToAck is 1 by default in sentinel mode: the WAIT must end below the tests' timeoutMs (500)
    return new JsonObject().put("mode", "sentinel").put("sentinels", new JsonArray(sentinels))
        .put("masterName", "liveroom").put("replicasAckTimeoutMs", 300);
  }
}
