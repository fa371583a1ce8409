package io.liveroom.protocol;

/** Event-bus addresses, all in one place. */
public final class Addresses {
  private Addresses() {
  }

  /** A shard verticle instance on a node: where edges send the commands of rooms it owns. */
  public static String shard(String nodeId, int instance) {
    return "liveroom.shard." + nodeId + "." + instance;
  }

  /** Where edges send a shard instance the summaries of all its rooms at once (presence refresh). */
  public static String shardPresence(String shardAddress) {
    return shardAddress + ".presence";
  }

  /** Node-local: a shard instance drops the hot rooms of a partition handed over. */
  public static String shardDrop(int instance) {
    return "liveroom.shard.local." + instance + ".drop";
  }

  /** Node-local: the sweeper asks a shard instance for one sweep batch. */
  public static String shardSweep(int instance) {
    return "liveroom.shard.local." + instance + ".sweep";
  }

  /** An edge node's fan-out address: owners publish one bundle per tick to it; every edge instance there gets it. */
  public static String edge(String nodeId) {
    return "liveroom.edge." + nodeId;
  }

  /** The key an owner counts an edge instance's members under. */
  public static String edgeKey(String nodeId, int instance) {
    return nodeId + "/" + instance;
  }

  /** A node's stats, asked for by any node's {@code GET /api/v1/stats}. */
  public static String nodeStats(String nodeId) {
    return "liveroom.node." + nodeId + ".stats";
  }
}
