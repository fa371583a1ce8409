package io.liveroom.sweep;

import io.liveroom.NodeServices;
import io.liveroom.shard.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Demotes idle rooms: every {@code sweeper.intervalMs} it asks each local shard instance to drop
 * up to {@code sweeper.batchSize} rooms unused for {@code sweeper.idleAfterMs}. Shards scan
 * incrementally from where the last sweep stopped, so no sweep stalls a shard's event loop; a
 * sweep starts only when the previous one has finished.
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
    return Future.succeededFuture();
  }

  private void sweep() {
    if (running) {
      return;
    }
    running = true;
    long idleBefore = System.currentTimeMillis() - node.config().sweeper().idleAfterMs();
    int instances = node.config().shard().instances();
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(node.config().shard().requestTimeoutMs());
    JsonObject req = new JsonObject().put("op", "sweep").put("idleBefore", idleBefore)
        .put("max", node.config().sweeper().batchSize());
    Future<?>[] all = new Future<?>[instances];
    for (int i = 0; i < instances; i++) {
      all[i] = vertx.eventBus().<JsonObject>request(Addresses.shardControl(i), req, opts)
          .onSuccess(m -> {
            int n = m.body().getInteger("demoted", 0);
            if (n > 0) {
              LOG.debug("demoted {} idle rooms", n);
            }
          });
    }
    io.micrometer.core.instrument.Timer.Sample sample = io.micrometer.core.instrument.Timer.start();
    Future.join(java.util.Arrays.asList(all)).onComplete(ar -> {
      running = false;
      sample.stop(node.metrics().sweepDuration());
    });
  }
}
