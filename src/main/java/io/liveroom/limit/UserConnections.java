package io.liveroom.limit;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections per authenticated user on this node, across its edge instances: the bound
 * {@code rt.maxConnectionsPerUser}. Thread-safe; an entry leaves the map with the user's last
 * connection, so the map holds only users who are connected.
 */
public final class UserConnections {
  private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

  /** Counts one more connection of {@code user}, unless it already has {@code max}; returns whether it did. */
  public boolean tryAcquire(String user, int max) {
    boolean[] acquired = {false};
    counts.compute(user, (u, n) -> {
      int held = n == null ? 0 : n;
      if (held >= max) {
        return n;
      }
      acquired[0] = true;
      return held + 1;
    });
    return acquired[0];
  }

  /** One connection of {@code user} that was counted has closed. */
  public void release(String user) {
    counts.computeIfPresent(user, (u, n) -> n <= 1 ? null : n - 1);
  }

  /** Connections {@code user} holds on this node. */
  public int of(String user) {
    return counts.getOrDefault(user, 0);
  }
}
