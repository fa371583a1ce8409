package io.liveroom.shard;

/** Event-bus addresses, all in one place. */
public final class Addresses {
  private Addresses() {
  }

  /** A shard verticle instance on a node: where edges send the commands of rooms it owns. */
  public static String shard(String nodeId, int instance) {
    return "liveroom.shard." + nodeId + "." + instance;
  }

  /** Where edges send a shard instance their member counts of all its rooms at once (presence refresh). */
  public static String shardPresence(String shardAddress) {
    return shardAddress + ".presence";
  }

  /** Node-local control of a shard instance: partition hand-over and sweeps. */
  public static String shardControl(int instance) {
    return "liveroom.shard.local." + instance + ".control";
  }

  /** An edge node's fan-out address: owners publish one bundle per tick to it; every edge instance there gets it. */
  public static String edge(String nodeId) {
    return "liveroom.edge." + nodeId;
  }

  /** The key an owner counts an edge instance's members under. */
  public static String edgeKey(String nodeId, int instance) {
    return nodeId + "/" + instance;
  }

  /** The node of an edge key. */
  public static String nodeOfEdgeKey(String edgeKey) {
    return edgeKey.substring(0, edgeKey.indexOf('/'));
  }

  /** A node's stats, asked for by any node's {@code GET /api/v1/stats}. */
  public static String nodeStats(String nodeId) {
    return "liveroom.node." + nodeId + ".stats";
  }
}
