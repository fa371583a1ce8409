package io.liveroom.testing;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real Redis Cluster of {@code masters} redis-server processes ({@code --cluster-enabled yes})
 * on free loopback ports, without replicas unless asked ({@link #started(int, boolean)}): the slots
 * are split evenly by {@code CLUSTER ADDSLOTS}
 * and the nodes introduced by {@code CLUSTER MEET} (no redis-cli needed, so the embedded 6.2
 * binary works too), then it waits for {@code cluster_state:ok} on every node. Each node's
 * cluster bus listens on its port + 10000 (30000-42000 for the ports {@link RedisServer#freePort}
 * picks), which is not checked to be free: a start that fails on it is a port clash, and the node
 * is started again on another port (up to 5 tries).
 */
public final class RedisClusterServer implements AutoCloseable {
  private final List<RedisServer> nodes = new ArrayList<>();
  /** The replica of master i, when started with replicas. */
  private final List<RedisServer> replicas = new ArrayList<>();

  private RedisClusterServer() {
  }

  public static RedisClusterServer started(int masters) throws Exception {
    return started(masters, false);
  }

  /**
   * {@code masters} masters, each with one replica ({@code CLUSTER REPLICATE}) when {@code
   * withReplicas}; returns once every replica's link to its master is up. Master i holds the slots
   * from {@code 16384 * i / masters}; {@link #nodes()} lists the masters, {@link #replica(int)} the
   * replica of one.
   */
  public static RedisClusterServer started(int masters, boolean withReplicas) throws Exception {
    RedisClusterServer c = new RedisClusterServer();
    try {
      for (int i = 0; i < masters; i++) {
        c.nodes.add(startedClusterNode());
      }
      if (withReplicas) {
        for (int i = 0; i < masters; i++) {
          c.replicas.add(startedClusterNode());
        }
      }
      for (int i = 0; i < masters; i++) {
        int from = 16384 * i / masters;
        int to = 16384 * (i + 1) / masters;
        List<String> cmd = new ArrayList<>(List.of("CLUSTER", "ADDSLOTS"));
        for (int s = from; s < to; s++) {
          cmd.add(Integer.toString(s));
        }
        c.call(i, cmd);
      }
      for (int i = 1; i < masters; i++) {
        c.call(i, List.of("CLUSTER", "MEET", "127.0.0.1", Integer.toString(c.nodes.get(0).port())));
      }
      c.awaitOk();
      for (int i = 0; i < c.replicas.size(); i++) {
        RedisServer replica = c.replicas.get(i);
        c.send(replica, List.of("CLUSTER", "MEET", "127.0.0.1", Integer.toString(c.nodes.get(0).port())));
        String master = c.call(i, List.of("CLUSTER", "MYID"));
        // the replica must have learnt the master by gossip before it can follow it
        Await.until(() -> {
          try {
            return "OK".equals(c.send(replica, List.of("CLUSTER", "REPLICATE", master)));
          } catch (IOException notYet) {
            return false;
          }
        }, Duration.ofSeconds(20), "replica " + i + " follows master " + i);
      }
      for (int i = 0; i < c.replicas.size(); i++) {
        RedisServer replica = c.replicas.get(i);
        Await.until(() -> {
          try {
            // WAIT counts a replica once its master has it online (its first REPLCONF ACK after the sync)
            return c.send(replica, List.of("INFO", "replication")).contains("master_link_status:up")
                && c.call(c.replicas.indexOf(replica), List.of("INFO", "replication")).contains("state=online");
          } catch (IOException notYet) {
            return false;
          }
        }, Duration.ofSeconds(20), "replica " + i + "'s link to its master is up");
      }
      c.awaitOk();
      return c;
    } catch (Exception e) {
      c.close();
      throw e;
    }
  }

  private static RedisServer clusterNode() throws IOException {
    return new RedisServer("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", "2000");
  }

  /** A started cluster node; on a failed start (its cluster-bus port, port + 10000, taken) another port. */
  private static RedisServer startedClusterNode() throws Exception {
    for (int attempt = 1; ; attempt++) {
      RedisServer r = clusterNode();
      try {
        r.start();
        return r;
      } catch (IllegalStateException e) {
        r.close();
        if (attempt >= 5 || !String.valueOf(e.getMessage()).contains("in use")) {
          throw e;
        }
      }
    }
  }

  /** The replica of master {@code i} (a cluster started with replicas). */
  public RedisServer replica(int i) {
    return replicas.get(i);
  }

  /** Waits until every node reports {@code cluster_state:ok} (after a start, or a restart of the nodes). */
  public void awaitOk() {
    Await.until(this::ok, Duration.ofSeconds(20), "the Redis Cluster reports cluster_state:ok on every node");
  }

  private boolean ok() {
    try {
      for (int i = 0; i < nodes.size(); i++) {
        if (!call(i, List.of("CLUSTER", "INFO")).contains("cluster_state:ok")) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@code host:port} of every node, as {@code redis.nodes} takes them. */
  public List<String> hostPorts() {
    return nodes.stream().map(r -> "127.0.0.1:" + r.port()).toList();
  }

  public List<RedisServer> nodes() {
    return nodes;
  }

  /** Sends one command to node {@code i} and returns its reply as text (a bulk string, status or integer). */
  public String call(int i, List<String> args) throws IOException {
    return send(nodes.get(i), args);
  }

  /** Sends one command to {@code node} (a master or a replica); see {@link #call}. */
  public String send(RedisServer node, List<String> args) throws IOException {
    return (String) command(node, args);
  }

  /** Sends one command to {@code node}; its reply as a String (bulk, status, integer), a List of replies, or null. */
  public Object command(RedisServer node, List<String> args) throws IOException {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      StringBuilder b = new StringBuilder("*").append(args.size()).append("\r\n");
      for (String a : args) {
        b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return reply(new BufferedInputStream(s.getInputStream()));
    }
  }

  private static Object reply(InputStream in) throws IOException {
    String line = line(in);
    if (line.startsWith("-")) {
      throw new IOException("redis error: " + line);
    }
    if (line.startsWith("$")) {
      int n = Integer.parseInt(line.substring(1));
      if (n < 0) {
        return null;
      }
      byte[] data = in.readNBytes(n + 2);
      return new String(data, 0, n, StandardCharsets.UTF_8);
    }
    if (line.startsWith("*")) {
      int n = Integer.parseInt(line.substring(1));
      if (n < 0) {
        return null;
      }
      List<Object> out = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        out.add(reply(in));
      }
      return out;
    }
    return line.substring(1);
  }

  /** The cluster node id of node {@code i}. */
  public String nodeId(int i) throws IOException {
    return call(i, List.of("CLUSTER", "MYID"));
  }

  /** The index of the node that serves hash slot {@code slot}, as node 0 sees the cluster. */
  public int ownerOf(int slot) throws IOException {
    String owner = null;
    for (String line : call(0, List.of("CLUSTER", "NODES")).split("\n")) {
      String[] f = line.trim().split(" ");
      for (int k = 8; k < f.length; k++) {
        if (f[k].startsWith("[")) {
          continue; // a slot being imported or migrated, not an owned range
        }
        String[] range = f[k].split("-");
        int lo = Integer.parseInt(range[0]);
        int hi = range.length > 1 ? Integer.parseInt(range[1]) : lo;
        if (slot >= lo && slot <= hi) {
          owner = f[0];
        }
      }
    }
    for (int i = 0; i < nodes.size(); i++) {
      if (nodeId(i).equals(owner)) {
        return i;
      }
    }
    throw new IOException("no node serves slot " + slot);
  }

  /**
   * Moves hash slot {@code slot} from node {@code from} to node {@code to} the way {@code redis-cli
   * --cluster reshard} does, while clients keep using it: {@code to} imports and {@code from}
   * migrates the slot; its keys go over {@code keysPerStep} at a time ({@code CLUSTER GETKEYSINSLOT},
   * {@code MIGRATE ... KEYS}), {@code pause} between steps (so that clients meet the slot split
   * between the two nodes); then every node is told {@code to} owns it ({@code CLUSTER SETSLOT
   * NODE}: the new owner first, then the old one, then the others). Answers the keys moved.
   */
  public int moveSlot(int slot, int from, int to, int keysPerStep, Duration pause) throws IOException {
    String fromId = nodeId(from);
    String toId = nodeId(to);
    String s = Integer.toString(slot);
    call(to, List.of("CLUSTER", "SETSLOT", s, "IMPORTING", fromId));
    call(from, List.of("CLUSTER", "SETSLOT", s, "MIGRATING", toId));
    int moved = 0;
    while (true) {
      @SuppressWarnings("unchecked")
      List<Object> keys = (List<Object>) command(nodes.get(from), List.of("CLUSTER", "GETKEYSINSLOT", s,
          Integer.toString(keysPerStep)));
      if (keys.isEmpty()) {
        break;
      }
      List<String> migrate = new ArrayList<>(List.of("MIGRATE", "127.0.0.1", Integer.toString(nodes.get(to).port()),
          "", "0", "10000", "KEYS"));
      keys.forEach(k -> migrate.add((String) k));
      call(from, migrate);
      moved += keys.size();
      Await.pace(pause);
    }
    call(to, List.of("CLUSTER", "SETSLOT", s, "NODE", toId));
    call(from, List.of("CLUSTER", "SETSLOT", s, "NODE", toId));
    for (int i = 0; i < nodes.size(); i++) {
      if (i != from && i != to) {
        call(i, List.of("CLUSTER", "SETSLOT", s, "NODE", toId));
      }
    }
    return moved;
  }

  /** The count of error replies of {@code kind} (e.g. {@code MOVED}, {@code ASK}, {@code TRYAGAIN}) node {@code i} gave. */
  public long errorCount(int i, String kind) throws IOException {
    for (String line : call(i, List.of("INFO", "errorstats")).split("\r?\n")) {
      if (line.startsWith("errorstat_" + kind + ":count=")) {
        return Long.parseLong(line.substring(line.indexOf('=') + 1).trim());
      }
    }
    return 0;
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  @Override
  public void close() throws InterruptedException {
    for (RedisServer r : nodes) {
      r.close();
    }
    for (RedisServer r : replicas) {
      r.close();
    }
  }
}
