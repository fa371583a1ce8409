package io.liveroom.sweep;

import io.liveroom.node.NodeServices;
import io.liveroom.protocol.ShardControl;
import io.liveroom.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Demotes rooms: every {@code sweeper.intervalMs} a cycle asks each local shard instance to drop
 * the rooms unused for {@code sweeper.idleAfterMs} and, while it holds more than its share of
 * {@code sweeper.maxHotRooms}, the least recently used ones, in batches of {@code sweeper.batchSize}
 * visited rooms. Shards scan incrementally from where the last batch stopped, one batch in
 * flight per instance, so no sweep stalls a shard's event loop; a cycle starts only when the
 * previous one has finished.
 */
public final class SweeperVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(SweeperVerticle.class);

  private final NodeServices node;
  private long timerId = -1;
  private boolean running;

  public SweeperVerticle(NodeServices node) {
    this.node = node;
  }

  @Override
  public Future<?> start() {
    timerId = vertx.setPeriodic(node.config().sweeper().intervalMs(), id -> sweep());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    timerId = -1;
    return Future.succeededFuture();
  }

  /**
   * One sweep cycle: every local shard instance demotes its idle rooms (and those over its cap) in batches of
   * {@code sweeper.batchSize}, one batch in flight per instance, the next asked for as soon as
   * the last one answers, until each instance has visited all its rooms once.
   */
  private void sweep() {
    if (running) {
      return;
    }
    running = true;
    long idleBefore = System.currentTimeMillis() - node.config().sweeper().idleAfterMs();
    int instances = node.config().shard().instances();
    io.micrometer.core.instrument.Timer.Sample sample = io.micrometer.core.instrument.Timer.start();
    List<Future<Integer>> all = new ArrayList<>(instances);
    for (int i = 0; i < instances; i++) {
      Promise<Integer> done = Promise.promise();
      batch(i, idleBefore, true, 0, done);
      all.add(done.future());
    }
    Future.join(all).onComplete(ar -> {
      running = false;
      sample.stop(node.metrics().sweepDuration());
      int demoted = all.stream().filter(Future::succeeded).mapToInt(Future::result).sum();
      if (demoted > 0) {
        LOG.debug("demoted {} rooms (idle or over the cap)", demoted);
      }
    });
  }

  private void batch(int instance, long idleBefore, boolean first, int demotedSoFar, Promise<Integer> done) {
    ShardControl.Sweep req = new ShardControl.Sweep(idleBefore, node.config().sweeper().batchSize(), first);
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(node.config().shard().requestTimeoutMs());
    vertx.eventBus().<ShardControl.Swept>request(Addresses.shardSweep(instance), req, opts).onComplete(ar -> {
      if (ar.failed()) {
        done.complete(demotedSoFar); // the next cycle tries again
        return;
      }
      int demoted = demotedSoFar + ar.result().body().demoted();
      if (ar.result().body().more() && timerId >= 0) {
        batch(instance, idleBefore, false, demoted, done);
      } else {
        done.complete(demoted);
      }
    });
  }
}
