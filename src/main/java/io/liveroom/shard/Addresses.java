package io.liveroom.shard;

/** Event-bus addresses, all in one place. */
public final class Addresses {
  private Addresses() {
  }

  /** A shard verticle instance on a node: where edges send the commands of rooms it owns. */
  public static String shard(String nodeId, int instance) {
    return "liveroom.shard." + nodeId + "." + instance;
  }

  /** Node-local control of a shard instance: partition hand-over and sweeps. */
  public static String shardControl(int instance) {
    return "liveroom.shard.local." + instance + ".control";
  }

  /** A node's stats, asked for by any node's {@code GET /api/v1/stats}. */
  public static String nodeStats(String nodeId) {
    return "liveroom.node." + nodeId + ".stats";
  }
}
