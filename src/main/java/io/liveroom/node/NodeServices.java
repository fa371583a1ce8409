package io.liveroom.node;

import com.hazelcast.core.HazelcastInstance;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.filter.SensitiveWords;
import io.liveroom.limit.UserConnections;
import io.liveroom.metrics.NodeMetrics;
import io.liveroom.room.RoomRules;
import io.liveroom.cluster.Ownership;
import io.liveroom.store.RoomStore;
import io.liveroom.webhook.Webhooks;

/**
 * What every verticle of a node shares: config, identity, the cluster's partition table, the
 * store, the meters and the webhook sender. All members are thread-safe.
 */
public record NodeServices(
    LiveroomConfig config,
    String nodeId,
    HazelcastInstance hazelcast,
    Ownership ownership,
    RoomStore store,
    RoomRules rules,
    NodeMetrics metrics,
    NodeHealth health,
    Webhooks webhooks,
    SensitiveWords words,
    UserConnections userConnections) {
}
