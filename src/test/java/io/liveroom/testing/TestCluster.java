package io.liveroom.testing;

import io.liveroom.Node;
import io.liveroom.config.ConfigLoader;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Real liveroom nodes in this JVM: each its own clustered Vert.x with its own Hazelcast member
 * (TCP-IP join on 127.0.0.1, a cluster name of its own so parallel runs never meet).
 */
public final class TestCluster implements AutoCloseable {
  public static final String API_KEY = "test-api-key";
  /** Long enough for HS256 (32 bytes at least): no test node needs auth.jwt.allowWeakSecret. */
  public static final String JWT_SECRET = "test-jwt-secret-of-some-length-0123456789";

  private final String name = "lr-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final RedisServer redis;
  private final List<Integer> clusterPorts = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  private final Vertx client = Vertx.vertx();
  private io.vertx.ext.auth.jwt.JWTAuth jwt;

  public TestCluster(RedisServer redis, int maxNodes) throws IOException {
    this.redis = redis;
    for (int i = 0; i < maxNodes; i++) {
      clusterPorts.add(RedisServer.freePort());
    }
  }

  /** Starts node number {@code i} (0-based) with the given overrides on top of the test config. */
  public Node start(int i, JsonObject overrides) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(i, overrides);
      } catch (Exception e) {
        String msg = String.valueOf(e.getMessage()) + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
        if (attempt >= 3 || !(msg.contains("in use") || msg.contains("bind"))) {
          throw e;
        }
        // a port picked earlier was taken by another process before the bind: pick new ones
        clusterPorts.set(i, RedisServer.freePort());
      }
    }
  }

  private Node startOnce(int i, JsonObject overrides) throws Exception {
    JsonArray members = new JsonArray();
    clusterPorts.forEach(p -> members.add("127.0.0.1:" + p));
    JsonObject cfg = new JsonObject()
        .put("cluster", new JsonObject().put("name", name).put("port", clusterPorts.get(i)).put("members", members))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", RedisServer.freePort()).put("instances", 2))
        .put("shard", new JsonObject().put("instances", 2))
        .put("redis", new JsonObject().put("url", redis.url()).put("timeoutMs", 500).put("healthIntervalMs", 200))
        .put("auth", new JsonObject().put("apiKeys", new JsonArray().add(API_KEY))
            .put("jwt", new JsonObject().put("secret", JWT_SECRET)))
        .mergeIn(overrides, true);
    Node node = Node.start(ConfigLoader.fromJson(cfg)).await(60, TimeUnit.SECONDS);
    while (nodes.size() <= i) {
      nodes.add(null);
    }
    nodes.set(i, node);
    return node;
  }

  public Node start(int i) throws Exception {
    return start(i, new JsonObject());
  }

  public TestCluster startAll(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      start(i);
    }
    awaitClusterSafe();
    return this;
  }

  /** Waits until no partition migration is in flight, so that owners are stable. */
  public void awaitClusterSafe() {
    Await.until(() -> running().stream().allMatch(n -> n.services().hazelcast().getPartitionService().isClusterSafe()),
        Duration.ofSeconds(60), "the cluster is safe (no migrations in flight)");
  }

  public Node node(int i) {
    return nodes.get(i);
  }

  public List<Node> running() {
    return nodes.stream().filter(n -> n != null).toList();
  }

  public Node byNodeId(String nodeId) {
    return running().stream().filter(n -> n.nodeId().equals(nodeId)).findFirst().orElseThrow();
  }

  public void stop(Node node) throws Exception {
    node.close().await(60, TimeUnit.SECONDS);
    nodes.set(nodes.indexOf(node), null);
  }

  public Http http(int i) {
    return new Http(client, nodes.get(i).httpPort(), API_KEY);
  }

  public Http http(Node node) {
    return new Http(client, node.httpPort(), API_KEY);
  }

  public Vertx client() {
    return client;
  }

  /** An HS256 token for {@code user}, signed with the nodes' secret, valid for 5 minutes. */
  public String token(String user) {
    if (jwt == null) {
      jwt = io.vertx.ext.auth.jwt.JWTAuth.create(client, new io.vertx.ext.auth.jwt.JWTAuthOptions()
          .addPubSecKey(new io.vertx.ext.auth.PubSecKeyOptions().setAlgorithm("HS256").setBuffer(JWT_SECRET)));
    }
    return jwt.generateToken(new JsonObject().put("sub", user), new io.vertx.ext.auth.JWTOptions().setExpiresInSeconds(300));
  }

  /** A real-time client on node {@code i}, signed in as {@code user} and joined to {@code room}. */
  public RtClient member(int i, String user, String room) {
    RtClient c = RtClient.connect(client, node(i).httpPort());
    if (!c.hello(token(user)).getBoolean("ok") || !c.join(room).getBoolean("ok")) {
      throw new AssertionError(user + " could not hello and join " + room);
    }
    return c;
  }

  /** Creates a room through node 0's REST API. */
  public void createRoom(String id) {
    Http.Reply r = http(0).post("/api/v1/rooms", new JsonObject().put("id", id).put("title", id).put("ownerId", "host-1"));
    if (r.status() != 201) {
      throw new AssertionError("create " + id + ": " + r);
    }
  }

  @Override
  public void close() throws Exception {
    // reverse start order: an edge-only (lite) node goes before the data members it depends on
    List<Node> all = new ArrayList<>(running());
    java.util.Collections.reverse(all);
    for (Node n : all) {
      try {
        n.close().await(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        // keep closing the others
      }
    }
    nodes.clear();
    try {
      client.close().await(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // a test client left a connection half-closed; the JVM ends anyway
    }
  }
}
