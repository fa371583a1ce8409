package io.liveroom.it.store;

import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisClusterServer;
import io.liveroom.testing.RedisServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RedisOutageIT} with the nodes in {@code redis.mode = cluster} on a real 3-master Redis
 * Cluster, every master of which goes away and comes back.
 */
@RedisAndCluster(nodes = 2)
class RedisOutageClusterIT extends RedisOutageIT {
  private static RedisClusterServer redisCluster;

  @BeforeAll
  static void redisCluster() throws Exception {
    redisCluster = RedisClusterServer.started(3);
  }

  @AfterAll
  static void redisClusterDown() throws Exception {
    if (redisCluster != null) {
      redisCluster.close();
    }
  }

  @Override
  protected JsonObject nodeConfig() {
    return new JsonObject().put("redis", new JsonObject().put("mode", "cluster")
        .put("nodes", new JsonArray(redisCluster.hostPorts()))
        // no replicas in this cluster, so no WAIT
        .put("replicasToAck", 0));
  }

  @Override
  protected void stopRedis() throws Exception {
    for (RedisServer node : redisCluster.nodes()) {
      node.stop();
    }
  }

  @Override
  protected void startRedis() throws Exception {
    for (RedisServer node : redisCluster.nodes()) {
      node.start();
    }
    redisCluster.awaitOk();
  }
}
