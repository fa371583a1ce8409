package io.liveroom.node;

import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;

/**
 * Readiness of a node, refreshed by {@link Node} on a timer: joined the cluster with an assigned
 * partition table that it trusts, and Redis answering. Read by every edge instance, so its fields are volatile.
 */
public final class NodeHealth {
  private volatile String clusterProblem = "not joined yet";
  private volatile String redisProblem = "not checked yet";
  private volatile boolean clusterSafe;
  private volatile boolean stopping;
  private volatile Supplier<String> freeze = () -> null;

  public boolean ready() {
    return !stopping && clusterProblem == null && redisProblem == null && freeze.get() == null;
  }

  public boolean redisUp() {
    return redisProblem == null;
  }

  public void cluster(String problem) {
    clusterProblem = problem;
  }

  public void redis(String problem) {
    redisProblem = problem;
  }

  public void clusterSafe(boolean safe) {
    clusterSafe = safe;
  }

  /** Why this node distrusts its partition table after a freeze (see {@code PauseGuard}), or null. */
  public void freeze(Supplier<String> problem) {
    freeze = problem;
  }

  public void stopping() {
    stopping = true;
  }

  /** The body of {@code /health/ready}: each check and, when it fails, why. */
  public JsonObject report() {
    String cluster = clusterProblem;
    String redis = redisProblem;
    String frozen = freeze.get();
    JsonObject checks = new JsonObject()
        .put("cluster", check(cluster != null ? cluster : frozen).put("clusterSafe", clusterSafe))
        .put("redis", check(redis));
    if (stopping) {
      checks.put("node", check("shutting down"));
    }
    boolean up = !stopping && cluster == null && redis == null && frozen == null;
    return new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", checks);
  }

  private static JsonObject check(String problem) {
    JsonObject o = new JsonObject().put("status", problem == null ? "UP" : "DOWN");
    if (problem != null) {
      o.put("reason", problem);
    }
    return o;
  }
}
