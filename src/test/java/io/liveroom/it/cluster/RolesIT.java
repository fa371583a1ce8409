package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A shard-only node and an edge-only node (a Hazelcast lite member) make one working cluster. */
@RedisAndCluster(nodes = 2)
class RolesIT {
  private static TestCluster cluster;
  private static Node shardNode;
  private static Node edgeNode;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    shardNode = cluster.start(0, new JsonObject().put("node", new JsonObject().put("roles", new JsonArray().add("shard").add("sweeper"))));
    edgeNode = cluster.start(1, new JsonObject().put("node", new JsonObject().put("roles", new JsonArray().add("edge"))));
    cluster.awaitClusterSafe();
  }

  @Test
  void anEdgeOnlyNodeOwnsNothingAndRoutesToTheShardNode() {
    assertTrue(edgeNode.services().hazelcast().getCluster().getLocalMember().isLiteMember());
    assertFalse(shardNode.services().hazelcast().getCluster().getLocalMember().isLiteMember());
    assertEquals(0, edgeNode.services().ownership().ownedCount());
    assertEquals(271, shardNode.services().ownership().ownedCount());

    Http edge = cluster.http(edgeNode);
    Http.Reply created = edge.post("/api/v1/rooms", new JsonObject().put("id", "lite-1").put("title", "via lite edge")
        .put("ownerId", "host-1"));
    assertEquals(201, created.status(), created.toString());
    assertEquals(shardNode.nodeId(), created.owner());
    assertEquals(1, shardNode.services().metrics().roomsHot());
    assertEquals(0, edgeNode.services().metrics().roomsHot());

    JsonObject stats = edge.get("/api/v1/stats").json();
    assertTrue(stats.getJsonObject("node").getBoolean("liteMember"));
    assertEquals(0, stats.getJsonObject("node").getInteger("partitionsOwned"));
    assertEquals(0, stats.getJsonObject("node").getInteger("shardInstances"));
    assertEquals(2, stats.getJsonObject("cluster").getInteger("members"));
    assertEquals(1L, stats.getJsonObject("cluster").getLong("roomsHot"));
  }
}
