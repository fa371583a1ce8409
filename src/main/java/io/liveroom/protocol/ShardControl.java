package io.liveroom.protocol;

import io.liveroom.room.EdgeUsers;
import java.util.List;
import java.util.Map;

/**
 * Messages to a shard instance that are not room commands: an edge's presence report (clustered),
 * and the node-local control of partition hand-over and sweeps. One record each.
 */
public final class ShardControl {
  private ShardControl() {
  }

  /** An edge instance's summary of every room it has at this owner (the batched presence refresh). */
  public record PresenceReport(String edge, Map<String, EdgeUsers.Summary> rooms) {
  }

  /**
   * The rooms of a {@link PresenceReport} whose full list the owner wants, each through the routing
   * retries: rooms it does not own (moved meanwhile), and rooms whose copy of the edge differs or
   * is missing (a new owner, a lost join or leave).
   */
  public record FullRefresh(List<String> roomIds) {
  }

  /** Drop the hot rooms of a partition this node no longer owns. */
  public record Drop(int partition) {
  }

  /** One sweep batch: visit up to {@code max} rooms, demote those idle since {@code idleBefore}. */
  public record Sweep(long idleBefore, int max, boolean newCycle) {
  }

  /** A sweep batch's answer: rooms demoted, and whether the cycle has more to visit. */
  public record Swept(int demoted, boolean more) {
  }

}
