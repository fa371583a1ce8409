package io.liveroom.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Makes the separate-JVM clusters ({@link ProcessCluster}) of one test over the class's
 * redis-server; {@link LiveroomExtension} kills their nodes when the test ends, however it ends.
 */
public final class ProcessClusters implements ExtensionContext.Store.CloseableResource {
  private final RedisServer redis;
  private final List<ProcessCluster> made = new ArrayList<>();

  ProcessClusters(RedisServer redis) {
    this.redis = redis;
  }

  /**
   * A new cluster (no node started yet) over an emptied Redis, so that what an earlier test of the
   * class wrote (rooms, epochs, history streams) is not read as this test's.
   *
   * @param label names the log folder, {@code target/failover/<label>}
   * @param max   how many nodes may ever run
   * @param extra {@code LIVEROOM_*} settings on top of the test defaults
   */
  public ProcessCluster create(String label, int max, Map<String, String> extra) throws Exception {
    return create(label, max, extra, i -> Map.of());
  }

  /** {@link #create(String, int, Map)} with {@code LIVEROOM_*} settings of each node ({@code nodeEnv.apply(i)}) on top. */
  public ProcessCluster create(String label, int max, Map<String, String> extra,
                               IntFunction<Map<String, String>> nodeEnv) throws Exception {
    for (ProcessCluster earlier : made) {
      earlier.close();
    }
    ProcessCluster c = new ProcessCluster(label, redis, max, extra, nodeEnv);
    made.add(c);
    c.redis("FLUSHALL");
    return c;
  }

  /**
   * {@link #create(String, int, Map)} over a Redis Cluster ({@code redis.mode = cluster} with
   * {@code redis.nodes} naming its nodes); the cluster is the test's, already running and empty.
   */
  public ProcessCluster createOn(RedisClusterServer redisCluster, String label, int max, Map<String, String> extra)
      throws Exception {
    for (ProcessCluster earlier : made) {
      earlier.close();
    }
    ProcessCluster c = new ProcessCluster(label, redis, redisCluster, max, extra, i -> Map.of());
    made.add(c);
    return c;
  }

  @Override
  public void close() {
    made.forEach(ProcessCluster::close);
    made.clear();
  }
}
