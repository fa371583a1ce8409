package io.liveroom.config;

/** What a node does: edges hold connections, shards own rooms, the sweeper demotes idle rooms. */
public enum Role {
  EDGE, SHARD, SWEEPER;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
