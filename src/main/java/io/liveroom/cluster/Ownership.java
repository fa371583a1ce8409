package io.liveroom.cluster;

import io.liveroom.protocol.Addresses;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.Partition;
import com.hazelcast.partition.PartitionService;
import io.liveroom.cluster.ClusterConfig;
import io.liveroom.cluster.PauseGuard;

/**
 * Who owns a room: the owner of the Hazelcast partition of its id. Reads Hazelcast's local
 * partition table only (no remote calls), so it is safe on an event loop. Hazelcast does the
 * balancing, migration and failure detection; this class only reads its answers.
 *
 * <p>The table is not believed while the {@link PauseGuard} distrusts it (after this process was
 * frozen) or after this node left the cluster: then this node owns nothing and no owner resolves,
 * so shards answer {@code MOVED} and edges retry until the table is right again.
 */
public final class Ownership {
  private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final PartitionService partitions;
  private final Partition[] byId;
  private final PauseGuard guard;
  private volatile boolean left;

  public Ownership(HazelcastInstance hz, PauseGuard guard) {
    this.guard = guard;
    this.partitions = hz.getPartitionService();
    this.byId = new Partition[partitions.getPartitions().size()];
    for (Partition p : partitions.getPartitions()) {
      byId[p.getPartitionId()] = p;
    }
  }

  /** Where a room's commands go right now. */
  public record Target(int partition, String nodeId, String address) {
  }

  public int partitionCount() {
    return byId.length;
  }

  public int partitionOf(String roomId) {
    return partitions.getPartition(roomId).getPartitionId();
  }

  /** The local shard instance serving a partition on a node with {@code instances} shards. */
  public static int instanceOf(int partition, int instances) {
    return partition % instances;
  }

  /** Whether the partition table may be acted on now (see the class comment). */
  public boolean trusted() {
    return !left && guard.trusted();
  }

  /** This node has left the cluster (graceful stop): it owns nothing from now on. */
  public void left() {
    left = true;
  }

  public boolean ownsLocally(int partition) {
    if (!trusted()) {
      return false;
    }
    Member owner = byId[partition].getOwner();
    return owner != null && owner.localMember();
  }

  /** Partitions this member owns now. */
  public int ownedCount() {
    if (!trusted()) {
      return 0;
    }
    int n = 0;
    for (Partition p : byId) {
      Member owner = p.getOwner();
      if (owner != null && owner.localMember()) {
        n++;
      }
    }
    return n;
  }

  /** Whether every partition has an owner (the table is assigned). */
  public boolean assigned() {
    for (Partition p : byId) {
      if (p.getOwner() == null) {
        return false;
      }
    }
    return true;
  }

  /** The owner's shard address for a room, or null while the partition has no usable owner. */
  public Target resolve(String roomId) {
    if (!trusted()) {
      return null;
    }
    int pid = partitionOf(roomId);
    Member owner = byId[pid].getOwner();
    if (owner == null) {
      return null;
    }
    String nodeId = owner.getAttribute(NODE_ID_ATTRIBUTE);
    String shards = owner.getAttribute(ClusterConfig.SHARDS_ATTRIBUTE);
    if (nodeId == null || shards == null) {
      return null;
    }
    int n = Integer.parseInt(shards);
    if (n <= 0) {
      return null;
    }
    return new Target(pid, nodeId, Addresses.shard(nodeId, instanceOf(pid, n)));
  }
}
