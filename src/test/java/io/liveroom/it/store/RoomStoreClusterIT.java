package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.store.RoomKeys;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisClusterServer;
import io.liveroom.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link RoomStoreIT}, with the store in {@code redis.mode = cluster} on a real
 * 3-master Redis Cluster; and that the rooms really spread over the masters, each script's keys
 * in one slot (Redis refuses a cross-slot script there).
 */
@RedisAndCluster(nodes = 0)
class RoomStoreClusterIT extends RoomStoreIT {
  private static RedisClusterServer cluster;

  @BeforeAll
  static void cluster() throws Exception {
    cluster = RedisClusterServer.started(3);
  }

  @AfterAll
  static void clusterDown() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  protected JsonObject redisConfig() {
    // this cluster has no replicas, so no WAIT (ReplicaAckIT tests it on a cluster with replicas)
    return new JsonObject().put("mode", "cluster").put("nodes", new JsonArray(cluster.hostPorts()))
        .put("replicasToAck", 0);
  }

  @Override
  protected Redis raw(Vertx vertx) {
    RedisOptions o = new RedisOptions().setType(RedisClientType.CLUSTER);
    cluster.hostPorts().forEach(hp -> o.addConnectionString("redis://" + hp));
    return Redis.createClient(vertx, o);
  }

  @Override
  protected void flushScripts(Vertx vertx) {
    for (RedisServer node : cluster.nodes()) {
      Redis r = Redis.createClient(vertx, node.url());
      r.send(Request.cmd(Command.SCRIPT).arg("FLUSH")).await();
      r.close();
    }
  }

  @Override
  protected boolean appendsBySha() {
    return false;
  }

  @Override
  protected void stopRedis() throws Exception {
    for (RedisServer node : cluster.nodes()) {
      node.stop();
    }
  }

  @Override
  protected void startRedis() throws Exception {
    for (RedisServer node : cluster.nodes()) {
      node.start();
    }
    cluster.awaitOk();
  }

  @Test
  void roomsSpreadOverTheMastersAndEachRoomsKeysShareItsSlot() throws Exception {
    Set<Integer> masters = new HashSet<>();
    for (int i = 0; i < 60; i++) {
      String id = "spread-" + i;
      assertTrue(store.create(new RoomData(id, "t", "h", RoomState.CREATED, 1000, 1000, 100, true, 0, "{}")).await());
      for (int n = 0; n < cluster.nodes().size(); n++) {
        // CLUSTER KEYSLOT on the real thing agrees with RoomKeys.slotOf, and the key is on the master of that slot
        assertEquals(Integer.toString(RoomKeys.slotOf(RoomKeys.roomKey(id))),
            cluster.call(n, List.of("CLUSTER", "KEYSLOT", RoomKeys.roomKey(id))));
        if (cluster.call(n, List.of("CLUSTER", "COUNTKEYSINSLOT",
            Integer.toString(RoomKeys.slotOf(RoomKeys.roomKey(id))))).equals("0")) {
          continue;
        }
        masters.add(n);
      }
    }
    assertEquals(3, masters.size(), "60 rooms land on all 3 masters");
    assertTrue(index.count().await() >= 60);
    assertTrue(index.page(RoomState.CREATED, null, 1000).await().ids().containsAll(
        java.util.stream.IntStream.range(0, 60).mapToObj(i -> "spread-" + i).toList()));
    assertEquals(0L, store.migrateLayout().await(), "nothing to migrate on a cluster");
  }
}
