package io.liveroom.testing;

import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * A liveroom cluster of separate JVMs ({@link NodeProcess}) on loopback, over a real redis-server
 * (the test class's, see {@link ProcessClusters}) and with its own Hazelcast cluster name, so runs
 * never meet. Node {@code i} gets fixed
 * free ports at construction, and every node's join list names all of them, so a node started
 * later joins the running ones. Logs go to {@code target/failover/<label>/node-<i>.log}.
 */
public final class ProcessCluster implements AutoCloseable {
  public static final String API_KEY = "failover-test-key";
  public static final String JWT_SECRET = "failover-test-jwt-secret-0123456789abcdef";

  private final String label;
  private final String clusterName = "lr-proc-" + UUID.randomUUID().toString().substring(0, 8);
  private final RedisServer redis;
  /** The Redis Cluster the nodes use instead of {@link #redis} ({@code redis.mode = cluster}), or null. */
  private final RedisClusterServer redisCluster;
  /** Where {@link #redis(String...)} reads: the nodes' Redis, or the primary after a failover. */
  private volatile int readPort;
  private final int[] httpPorts;
  private final int[] clusterPorts;
  private final NodeProcess[] nodes;
  private final Map<String, String> env;
  private final IntFunction<Map<String, String>> nodeEnv;
  private final Path logDir;
  private boolean closed;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** Kills the node JVMs if the test JVM exits without closing this (e.g. a Failsafe timeout). */
  private final Thread reaper = new Thread(this::killAll, "process-cluster-reaper");

  /**
   * @param label  names the log folder
   * @param redis  the running redis-server the nodes use (not closed by this cluster)
   * @param max    how many nodes may ever run
   * @param extra  LIVEROOM_* settings on top of the test defaults
   * @param nodeEnv LIVEROOM_* settings of node i on top of those
   */
  ProcessCluster(String label, RedisServer redis, int max, Map<String, String> extra,
                 IntFunction<Map<String, String>> nodeEnv) throws Exception {
    this(label, redis, null, max, extra, nodeEnv);
  }

  /** @param redisCluster when not null, the nodes use it ({@code redis.mode = cluster}) and not {@code redis} */
  ProcessCluster(String label, RedisServer redis, RedisClusterServer redisCluster, int max, Map<String, String> extra,
                 IntFunction<Map<String, String>> nodeEnv) throws Exception {
    this.label = label;
    this.nodeEnv = nodeEnv;
    this.redis = redis;
    this.redisCluster = redisCluster;
    this.readPort = redisCluster == null ? redis.port() : redisCluster.nodes().get(0).port();
    this.httpPorts = new int[max];
    this.clusterPorts = new int[max];
    this.nodes = new NodeProcess[max];
    List<String> members = new ArrayList<>();
    for (int i = 0; i < max; i++) {
      httpPorts[i] = RedisServer.freePort();
      clusterPorts[i] = RedisServer.freePort();
      members.add("127.0.0.1:" + clusterPorts[i]);
    }
    this.logDir = Path.of("target", "failover", label);
    Files.createDirectories(logDir);
    Map<String, String> e = new HashMap<>();
    e.put("LIVEROOM_CLUSTER_NAME", clusterName);
    e.put("LIVEROOM_CLUSTER_MEMBERS", String.join(",", members));
    e.put("LIVEROOM_REDIS_URL", redis.url());
    if (redisCluster != null) {
      e.put("LIVEROOM_REDIS_MODE", "cluster");
      e.put("LIVEROOM_REDIS_NODES", String.join(",", redisCluster.hostPorts()));
    }
    e.put("LIVEROOM_AUTH_API_KEYS", API_KEY);
    e.put("LIVEROOM_AUTH_JWT_SECRET", JWT_SECRET);
    e.put("LIVEROOM_HTTP_INSTANCES", "1");
    e.put("LIVEROOM_SHARD_INSTANCES", "2");
    e.put("LIVEROOM_REDIS_HEALTH_INTERVAL_MS", "250");
    // test clients send faster than a person, and reconnect from one address
    e.put("LIVEROOM_RT_SEND_RATE_PER_SEC", "1000");
    e.put("LIVEROOM_RT_SEND_BURST", "1000");
    e.put("LIVEROOM_RT_IP_CONNECT_RATE_PER_SEC", "1000");
    e.put("LIVEROOM_RT_IP_CONNECT_BURST", "1000");
    // every item of a test stays in history (memory ring and Redis stream), and a join can get all of it
    e.put("LIVEROOM_RT_HISTORY_SIZE", "5000");
    e.put("LIVEROOM_RT_JOIN_HISTORY", "5000");
    e.put("LIVEROOM_RT_PRESENCE_REFRESH_MS", "1000");
    e.put("LIVEROOM_NODE_SHUTDOWN_GRACE_MS", "15000");
    e.putAll(extra);
    this.env = Map.copyOf(e);
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  public String label() {
    return label;
  }

  public RedisServer redis() {
    return redis;
  }

  /**
   * Makes {@link #redis(String...)} (and so {@link HistoryAudit}) read from {@code primary}: the
   * replica promoted after the nodes' Redis died.
   */
  public void readRedisFrom(RedisServer primary) {
    this.readPort = primary.port();
  }

  public Path logDir() {
    return logDir;
  }

  /** Launches node {@code i} (0-based) without waiting for it. */
  public NodeProcess launch(int i) throws IOException {
    if (nodes[i] != null && nodes[i].isAlive()) {
      throw new IllegalStateException("node " + i + " is running");
    }
    Path log = logDir.resolve("node-" + i + (nodes[i] == null ? "" : "-" + System.nanoTime()) + ".log");
    Map<String, String> e = new HashMap<>(env);
    e.putAll(nodeEnv.apply(i));
    nodes[i] = NodeProcess.launch("node-" + i, httpPorts[i], clusterPorts[i], e, log);
    return nodes[i];
  }

  /** Launches node {@code i}, waits until it is ready and learns its node id. */
  public NodeProcess start(int i) throws Exception {
    NodeProcess n = launch(i);
    n.awaitReady(Duration.ofSeconds(90));
    learnNodeId(n);
    return n;
  }

  /**
   * Launches nodes 0..n-1 together (they form one cluster) and waits until all are ready, see
   * each other, and no partition migrates any more (so room owners are stable).
   */
  public void startAll(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      launch(i);
    }
    for (int i = 0; i < n; i++) {
      nodes[i].awaitReady(Duration.ofSeconds(120));
      learnNodeId(nodes[i]);
    }
    awaitMembers(n, Duration.ofSeconds(60));
    awaitClusterSafe(Duration.ofSeconds(60));
  }

  private void learnNodeId(NodeProcess n) {
    n.nodeId(stats(n).getJsonObject("node").getString("nodeId"));
  }

  public NodeProcess node(int i) {
    return nodes[i];
  }

  public List<NodeProcess> alive() {
    List<NodeProcess> out = new ArrayList<>();
    for (NodeProcess n : nodes) {
      if (n != null && n.isAlive()) {
        out.add(n);
      }
    }
    return out;
  }

  public NodeProcess byNodeId(String nodeId) {
    for (NodeProcess n : nodes) {
      if (n != null && nodeId.equals(n.nodeId())) {
        return n;
      }
    }
    throw new AssertionError("no node with id " + nodeId);
  }

  /** Lines of every node log (all launches) that contain {@code needle}, prefixed with the file name. */
  public List<String> logLines(String needle) throws IOException {
    List<String> out = new ArrayList<>();
    try (var files = Files.list(logDir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (line.contains(needle)) {
            out.add(f.getFileName() + ": " + line);
          }
        }
      }
    }
    return out;
  }

  // --- HTTP ---------------------------------------------------------------------------------

  /** A REST call with the API key; status 0 and the exception text when the node does not answer. */
  public Reply call(NodeProcess via, String method, String path, JsonObject body, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + via.httpPort() + path))
        .timeout(timeout).header("Authorization", "Bearer " + API_KEY);
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.encode()));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    long t0 = System.nanoTime();
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.body(), r.headers().firstValue("X-Liveroom-Owner").orElse(null),
          (System.nanoTime() - t0) / 1_000_000);
    } catch (IOException e) {
      return new Reply(0, e.toString(), null, (System.nanoTime() - t0) / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Reply(0, e.toString(), null, (System.nanoTime() - t0) / 1_000_000);
    }
  }

  /** The same call, asynchronously (for probes that must not wait for each other). */
  public CompletableFuture<Reply> callAsync(NodeProcess via, String method, String path, Duration timeout) {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + via.httpPort() + path))
        .timeout(timeout).header("Authorization", "Bearer " + API_KEY)
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    long t0 = System.nanoTime();
    return http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
        .thenApply(r -> new Reply(r.statusCode(), r.body(), r.headers().firstValue("X-Liveroom-Owner").orElse(null),
            (System.nanoTime() - t0) / 1_000_000))
        .exceptionally(e -> new Reply(0, e.toString(), null, (System.nanoTime() - t0) / 1_000_000));
  }

  public Reply get(NodeProcess via, String path) {
    return call(via, "GET", path, null, Duration.ofSeconds(10));
  }

  public JsonObject stats(NodeProcess via) {
    Reply r = get(via, "/api/v1/stats");
    if (r.status() != 200) {
      throw new AssertionError("stats of " + via + ": " + r);
    }
    return r.json();
  }

  /** Creates a room (a plain one that everyone may join) and answers its owner's node id. */
  public String createRoom(NodeProcess via, String id) {
    Reply r = call(via, "POST", "/api/v1/rooms",
        new JsonObject().put("id", id).put("title", "failover " + id).put("ownerId", "host-" + id), Duration.ofSeconds(10));
    if (r.status() != 201) {
      throw new AssertionError("create " + id + " via " + via + ": " + r);
    }
    return r.owner();
  }

  /**
   * Creates rooms {@code <prefix>-0}, {@code -1}... (via node 0) until {@code victim} owns
   * {@code onVictim} of them and the other nodes {@code elsewhere}; answers the victim's first.
   */
  public List<String> roomsOwnedBy(String prefix, NodeProcess victim, int onVictim, int elsewhere) {
    List<String> mine = new ArrayList<>();
    List<String> other = new ArrayList<>();
    for (int i = 0; i < 80 && (mine.size() < onVictim || other.size() < elsewhere); i++) {
      String room = prefix + "-" + i;
      String owner = createRoom(node(0), room);
      if (owner.equals(victim.nodeId())) {
        if (mine.size() < onVictim) {
          mine.add(room);
        }
      } else if (other.size() < elsewhere) {
        other.add(room);
      }
    }
    if (mine.size() != onVictim) {
      throw new AssertionError("rooms owned by " + victim + ": " + mine.size() + " of " + onVictim + " in 80 tries");
    }
    List<String> all = new ArrayList<>(mine);
    all.addAll(other);
    return all;
  }

  /** Waits until every running node reports {@code n} members. */
  public void awaitMembers(int n, Duration timeout) {
    Await.until(() -> alive().stream().allMatch(node -> {
      Reply r = get(node, "/api/v1/stats");
      return r.status() == 200 && r.json().getJsonObject("cluster").getInteger("members", -1) == n;
    }), timeout, "every running node sees " + n + " members");
  }

  /** Waits until every running node reports no partition migration in flight (readiness' clusterSafe). */
  public void awaitClusterSafe(Duration timeout) {
    Await.until(() -> alive().stream().allMatch(node -> {
      Reply r = call(node, "GET", "/health/ready", null, Duration.ofSeconds(3));
      if (r.status() != 200) {
        return false;
      }
      JsonObject cluster = r.json().getJsonObject("checks").getJsonObject("cluster");
      return cluster != null && cluster.getBoolean("clusterSafe", false);
    }), timeout, "the cluster is safe (no migrations in flight)");
  }

  /** A response: status (0 = no answer), body, owner header, milliseconds. */
  public record Reply(int status, String body, String owner, long millis) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    @Override
    public String toString() {
      return status + " " + body + (owner == null ? "" : " (owner " + owner + ")") + " in " + millis + " ms";
    }
  }

  // --- Redis (a minimal RESP client: the test reads what the nodes wrote) --------------------

  /**
   * Runs one Redis command; answers String, Long, List (of these) or null. On a Redis Cluster it
   * goes to the first node and follows {@code MOVED} to the node that serves its key.
   */
  public Object redis(String... args) throws IOException {
    int port = readPort;
    for (int hops = 0; ; hops++) {
      try {
        return redis(port, args);
      } catch (IOException e) {
        String m = e.getMessage();
        if (redisCluster == null || m == null || !m.startsWith("redis: MOVED ") || hops >= 3) {
          throw e;
        }
        port = Integer.parseInt(m.substring(m.lastIndexOf(':') + 1).trim());
      }
    }
  }

  private static Object redis(int port, String... args) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return readResp(new BufferedInputStream(s.getInputStream()));
    }
  }

  private static Object readResp(InputStream in) throws IOException {
    int type = in.read();
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new IOException("redis: " + line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        byte[] b = in.readNBytes(n + 2);
        return new String(b, 0, n, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          out.add(readResp(in));
        }
        return out;
      }
      default:
        throw new IOException("unexpected RESP type " + type);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        in.read();
        break;
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  /** The room's current epoch in Redis ({@code e} of its hash, {@code lr:{g}:r:<id>}). */
  public long epochInRedis(String room) throws IOException {
    Object e = redis("HGET", io.liveroom.store.RoomKeys.roomKey(room), "e");
    return e == null ? 0 : Long.parseLong((String) e);
  }

  /** A field of the room's hash in Redis. */
  public String roomField(String room, String field) throws IOException {
    return (String) redis("HGET", io.liveroom.store.RoomKeys.roomKey(room), field);
  }

  /** Every item in the room's Redis history stream {@code lr:{g}:h:<id>} (field {@code j}), oldest first. */
  public List<JsonObject> historyStream(String room) throws IOException {
    return historyEntries(room).stream().map(StreamEntry::fields).map(f -> new JsonObject(f.get("j"))).toList();
  }

  /** An entry of a Redis stream: its id ({@code <ms>-<n>}, Redis's clock when it was added) and fields. */
  public record StreamEntry(String id, Map<String, String> fields) {
    /** The millisecond part of the id. */
    public long millis() {
      return Long.parseLong(id.substring(0, id.indexOf('-')));
    }
  }

  /** The entries of the room's history stream that carry an item (field {@code j}), oldest first. */
  public List<StreamEntry> historyEntries(String room) throws IOException {
    return stream(io.liveroom.store.RoomKeys.historyKey(room)).stream().filter(e -> e.fields().containsKey("j")).toList();
  }

  /** Every entry of a Redis stream, oldest first. */
  @SuppressWarnings("unchecked")
  public List<StreamEntry> stream(String key) throws IOException {
    List<StreamEntry> out = new ArrayList<>();
    Object r = redis("XRANGE", key, "-", "+");
    if (r == null) {
      return out;
    }
    for (Object entry : (List<Object>) r) {
      List<Object> e = (List<Object>) entry;
      List<Object> fields = (List<Object>) e.get(1);
      Map<String, String> m = new HashMap<>();
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        m.put((String) fields.get(i), (String) fields.get(i + 1));
      }
      out.add(new StreamEntry((String) e.get(0), m));
    }
    return out;
  }

  /** Kills the nodes; the Redis server stays, it is the test class's. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    killAll();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  private void killAll() {
    // SIGKILL: a graceful leave is not needed at the end of a test, and waiting for it costs time
    for (NodeProcess n : nodes) {
      if (n != null) {
        n.close();
      }
    }
  }
}
