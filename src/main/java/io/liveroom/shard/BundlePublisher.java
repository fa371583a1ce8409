package io.liveroom.shard;

import io.liveroom.protocol.Addresses;
import io.liveroom.engine.Push;
import io.liveroom.metrics.NodeMetrics;
import io.liveroom.protocol.Bundle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Publishes a room engine's frames: one {@link Bundle} per edge node, on the node's fan-out address. */
final class BundlePublisher {
  private final Vertx vertx;
  private final NodeMetrics metrics;

  BundlePublisher(Vertx vertx, NodeMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
  }

  void publish(Map<String, List<Push>> perNode) {
    perNode.forEach((nodeId, pushes) -> {
      List<Bundle.Frame> frames = new ArrayList<>(pushes.size());
      for (Push p : pushes) {
        frames.add(new Bundle.Frame(p.roomId(), p.priority(), Buffer.buffer(p.bytes()), p.closesRoom(),
            p.targetUser(), p.acceptedAt()));
      }
      vertx.eventBus().publish(Addresses.edge(nodeId), new Bundle(frames));
      metrics.bundleSent(frames.size());
    });
  }
}
