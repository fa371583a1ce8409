package io.liveroom.config;

import java.net.URI;
import java.util.List;

/**
 * The {@code redis.*} keys, read and checked together: a mode without what it needs, or two
 * places for one setting, is a config error at start (and in {@code --check-config}).
 */
final class RedisConfig {
  /** More replicas than any deployment has: a bigger {@code redis.replicasToAck} is a typo. */
  static final int MAX_REPLICAS_TO_ACK = 16;

  private RedisConfig() {
  }

  /**
   * {@code redis.replicasToAck}, where -1 (the default) means one replica in sentinel and cluster
   * modes (they exist to survive the loss of a primary) and none in standalone mode.
   */
  static int replicasToAck(int configured, RedisMode mode) {
    if (configured >= 0) {
      return configured;
    }
    return mode == RedisMode.STANDALONE ? 0 : 1;
  }

  static LiveroomConfig.Redis read(LiveroomConfig.Reader r) {
    String url = r.string("redis.url", true);
    String modeName = r.string("redis.mode", true);
    RedisMode mode = null;
    for (RedisMode m : RedisMode.values()) {
      if (m.wire().equals(modeName)) {
        mode = m;
      }
    }
    if (mode == null) {
      throw new ConfigException("redis.mode must be standalone, sentinel or cluster, got '" + modeName + "'");
    }
    List<String> sentinels = r.strings("redis.sentinels", false);
    String masterName = r.string("redis.masterName", false);
    List<String> nodes = r.strings("redis.nodes", false);
    String password = r.string("redis.password", false);
    boolean tls = r.bool("redis.tls");
    long timeoutMs = r.longIn("redis.timeoutMs", 10, 60_000);
    int replicasToAck = replicasToAck(r.intIn("redis.replicasToAck", -1, MAX_REPLICAS_TO_ACK), mode);
    long ackTimeoutMs = r.longIn("redis.replicasAckTimeoutMs", 1, 60_000);
    if (replicasToAck > 0 && ackTimeoutMs >= timeoutMs) {
      // the WAIT is bounded by the call's own limit: past it the call fails as a timeout instead
      throw new ConfigException("redis.replicasAckTimeoutMs (" + ackTimeoutMs + ") must be below redis.timeoutMs ("
          + timeoutMs + ") when redis.replicasToAck is above 0");
    }
    LiveroomConfig.Redis redis = new LiveroomConfig.Redis(url, r.intIn("redis.poolSize", 1, 1024),
        r.intIn("redis.maxWaiting", 1, 1_000_000), timeoutMs,
        r.longIn("redis.healthIntervalMs", 100, 60_000), r.intIn("redis.claimLogSize", 0, 1_000_000), mode,
        sentinels, masterName, nodes, password, tls, replicasToAck, ackTimeoutMs);
    switch (mode) {
      case STANDALONE -> {
        if (!url.startsWith("redis://") && !url.startsWith("rediss://") && !url.startsWith("unix://")) {
          throw new ConfigException("redis.url must start with redis://, rediss:// or unix://, got '" + url + "'");
        }
        if (tls && !url.startsWith("rediss://")) {
          throw new ConfigException("redis.tls in standalone mode: give redis.url as rediss://host:port");
        }
        if (!password.isEmpty() && hasPassword(url)) {
          throw new ConfigException("redis.password is set and redis.url carries a password too: keep one");
        }
        unused(sentinels, "redis.sentinels", mode);
        unused(nodes, "redis.nodes", mode);
      }
      case SENTINEL -> {
        if (sentinels.isEmpty()) {
          throw new ConfigException("redis.mode sentinel needs redis.sentinels (host:port of each Sentinel)");
        }
        if (masterName.isEmpty()) {
          throw new ConfigException("redis.mode sentinel needs redis.masterName (the name the Sentinels watch)");
        }
        hostPorts(sentinels, "redis.sentinels");
        unused(nodes, "redis.nodes", mode);
      }
      case CLUSTER -> {
        if (nodes.isEmpty()) {
          throw new ConfigException("redis.mode cluster needs redis.nodes (host:port of one or more cluster nodes)");
        }
        hostPorts(nodes, "redis.nodes");
        unused(sentinels, "redis.sentinels", mode);
      }
      default -> throw new IllegalStateException(mode.toString());
    }
    return redis;
  }

  private static void hostPorts(List<String> entries, String key) {
    for (String e : entries) {
      int colon = e.lastIndexOf(':');
      boolean ok = colon > 0 && colon < e.length() - 1 && !e.contains("/") && !e.contains("@");
      if (ok) {
        try {
          int port = Integer.parseInt(e.substring(colon + 1));
          ok = port > 0 && port <= 65535;
        } catch (NumberFormatException x) {
          ok = false;
        }
      }
      if (!ok) {
        throw new ConfigException(key + " entries must be host:port (password in redis.password, TLS with "
            + "redis.tls), got '" + e + "'");
      }
    }
  }

  private static void unused(List<String> list, String key, RedisMode mode) {
    if (!list.isEmpty()) {
      throw new ConfigException(key + " is set but redis.mode is " + mode.wire() + ": it would be ignored");
    }
  }

  private static boolean hasPassword(String url) {
    try {
      String info = URI.create(url).getRawUserInfo();
      if (info != null && !info.isEmpty()) {
        return true;
      }
    } catch (IllegalArgumentException e) {
      return false;
    }
    return url.contains("password=");
  }
}
