package io.liveroom.config;

/** How a node reaches Redis ({@code redis.mode}). */
public enum RedisMode {
  /** One Redis (or a primary behind a fixed address) at {@code redis.url}. */
  STANDALONE,
  /** The primary that the Sentinels at {@code redis.sentinels} name for {@code redis.masterName}. */
  SENTINEL,
  /** A Redis Cluster, discovered from {@code redis.nodes}. */
  CLUSTER;

  public String wire() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
