package io.liveroom.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distrusts this node's partition table after the process was frozen (SIGSTOP, a stop-the-world
 * pause, a suspended VM) for long enough that the others may have removed it from the cluster.
 *
 * <p>A frozen owner wakes up with a partition table that says it still owns its rooms, while
 * the survivors have promoted new owners. Until Hazelcast has told it otherwise, it would answer
 * commands from that stale table, load rooms again (each load takes a new epoch and fences out
 * the real owner) and acknowledge messages nobody else sees; if the others removed it, it even
 * goes on as a cluster of its own until the split-brain merge. So a node that notices a freeze
 * longer than half the failure-detection timeout ({@code hazelcast.max.no.heartbeat.seconds})
 * owns nothing until its membership has been stable for one failure-detection timeout, it is
 * not in the middle of a merge, and it is not alone when it had peers before the freeze (that
 * last rule gives up after {@link #ALONE_CAP_FACTOR} timeouts, so a node whose peers really all
 * died serves again). Meanwhile it answers {@code MOVED} (edges re-route) and is not ready.
 *
 * <p>The freeze is seen two ways, so no event-loop task that was queued during the freeze runs
 * on the stale table: a daemon thread notes a gap between its 100 ms beats, and
 * {@link #trusted()} itself sees a beat that is overdue (the thread has not run yet after the
 * resume).
 */
public final class PauseGuard implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PauseGuard.class);
  private static final long BEAT_MS = 100;
  private static final int ALONE_CAP_FACTOR = 6;

  private final HazelcastInstance hazelcast;
  private final long thresholdNanos;
  private final long settleNanos;
  private final Thread thread;
  private final UUID lifecycleListener;
  private volatile long lastBeat = System.nanoTime();
  private volatile long suspectSince;
  private volatile boolean merging;
  private volatile String problem;
  private volatile boolean closed;
  private volatile long pauses;
  private volatile long membersChangedAt = System.nanoTime();
  // written by the beat thread only
  private int membersBefore;
  private Set<UUID> members;

  /** @param timeoutSec the failure-detection timeout, {@code hazelcast.max.no.heartbeat.seconds} */
  public PauseGuard(HazelcastInstance hazelcast, int timeoutSec) {
    this.hazelcast = hazelcast;
    this.settleNanos = TimeUnit.SECONDS.toNanos(timeoutSec);
    this.thresholdNanos = settleNanos / 2;
    this.members = memberIds();
    this.lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(this::lifecycle);
    this.thread = new Thread(this::run, "liveroom-pause-guard");
    thread.setDaemon(true);
    thread.start();
  }

  /** The failure-detection timeout of a Hazelcast config, in seconds (Hazelcast's default when unset). */
  public static int timeoutSec(com.hazelcast.config.Config hz) {
    String s = hz.getProperty("hazelcast.max.no.heartbeat.seconds");
    return s == null ? 60 : Integer.parseInt(s.trim());
  }

  /**
   * Whether this node may act on its partition table now. Cheap and non-blocking: safe on an
   * event loop, read on every shard command.
   */
  public boolean trusted() {
    if (System.nanoTime() - lastBeat > thresholdNanos) {
      return false; // frozen until just now: the beat thread has not run since
    }
    return suspectSince == 0 && !merging;
  }

  /** Why this node is not trusted (for readiness), or null. */
  public String problem() {
    if (System.nanoTime() - lastBeat > thresholdNanos) {
      return "the process was frozen until just now";
    }
    return merging ? "cluster merge in progress" : problem;
  }

  /** Freezes noticed since start. */
  public long pauses() {
    return pauses;
  }

  private void lifecycle(LifecycleEvent event) {
    switch (event.getState()) {
      case MERGING -> {
        merging = true;
        LOG.warn("cluster merge started: this node owns no rooms until it is over");
      }
      case MERGED, MERGE_FAILED -> {
        merging = false;
        membersChangedAt = System.nanoTime();
        LOG.info("cluster merge {}", event.getState() == LifecycleEvent.LifecycleState.MERGED ? "done" : "failed");
      }
      default -> {
      }
    }
  }

  private void run() {
    while (!closed) {
      try {
        // a thread of its own, not a Vert.x timer: a busy event loop must not look like a frozen process
        Thread.sleep(BEAT_MS);
      } catch (InterruptedException e) {
        return;
      }
      beat(System.nanoTime());
    }
  }

  private void beat(long now) {
    long gap = now - lastBeat;
    boolean frozen = gap > thresholdNanos;
    if (frozen) {
      pauses++;
      if (suspectSince == 0) {
        membersBefore = members.size();
      }
      // suspect before the beat is fresh again, so trusted() never sees a gap-free moment
      suspectSince = now;
      problem = "frozen for " + TimeUnit.NANOSECONDS.toMillis(gap) + " ms; waiting for the cluster membership to settle";
      LOG.warn("node was frozen for {} ms (more than half the failure-detection timeout of {} s): it owns no rooms "
          + "until its cluster membership has settled", TimeUnit.NANOSECONDS.toMillis(gap),
          TimeUnit.NANOSECONDS.toSeconds(settleNanos));
    }
    Set<UUID> current = hazelcast.getLifecycleService().isRunning() ? memberIds() : members;
    if (!current.equals(members)) {
      members = current;
      membersChangedAt = now;
    }
    lastBeat = now;
    if (!frozen && suspectSince != 0 && settled(now)) {
      LOG.info("cluster membership settled after a freeze ({} members): owning rooms again", members.size());
      suspectSince = 0;
      problem = null;
    }
  }

  private boolean settled(long now) {
    if (merging || now - suspectSince < settleNanos || now - membersChangedAt < settleNanos) {
      return false;
    }
    boolean aloneNow = members.size() <= 1 && membersBefore > 1;
    return !aloneNow || now - suspectSince >= ALONE_CAP_FACTOR * settleNanos;
  }

  private Set<UUID> memberIds() {
    return hazelcast.getCluster().getMembers().stream().map(Member::getUuid).collect(Collectors.toUnmodifiableSet());
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      if (hazelcast.getLifecycleService().isRunning()) {
        hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
      }
    } catch (RuntimeException e) {
      // the instance went away meanwhile: its listeners went with it
    }
  }
}
