package io.liveroom.edge;

import io.liveroom.NodeServices;
import io.liveroom.protocol.DanmakuInput;
import io.liveroom.protocol.RtReply;
import io.liveroom.protocol.RtRequest;
import io.liveroom.shard.Addresses;
import io.liveroom.shard.ShardClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The real-time requests of one edge instance to room owners, for its sockets and for the HTTP
 * API: the one place on the edge that builds an {@link RtRequest}. Each goes through
 * {@link ShardClient} (routing, retries), except the batched presence refresh, which goes to one
 * owner shard instance directly.
 */
final class OwnerRequests {
  private static final String API_ACTOR = "api";

  private final Vertx vertx;
  private final ShardClient shards;
  /** {@code <nodeId>/<instance>}: owners count this edge instance's members under it. */
  private final String edgeKey;
  private final DeliveryOptions presenceDelivery;

  OwnerRequests(Vertx vertx, NodeServices node, ShardClient shards, int instance) {
    this.vertx = vertx;
    this.shards = shards;
    this.edgeKey = Addresses.edgeKey(node.nodeId(), instance);
    this.presenceDelivery = new DeliveryOptions().setSendTimeout(node.config().shard().requestTimeoutMs());
  }

  /** A socket's join; {@code newMember} false for a re-join, which reads history without counting again. */
  Future<RtReply> join(String room, RtSession s, boolean newMember, boolean hasSince, long sinceEpoch, long sinceSeq) {
    return shards.request(RtRequest.join(room, edgeKey, s.userId, s.userName, s.role(room), newMember, hasSince,
        sinceEpoch, sinceSeq));
  }

  /** One member fewer here; nobody waits for the answer. */
  void leave(String room) {
    shards.request(RtRequest.leave(room, edgeKey));
  }

  Future<RtReply> send(String room, RtSession s, DanmakuInput in, String key) {
    return shards.request(RtRequest.send(room, edgeKey, s.userId, s.userName, s.role(room), in.text(), in.color(),
        in.mode(), in.progress(), key));
  }

  Future<RtReply> moderate(String room, RtSession s, String action, Moderation m) {
    return shards.request(RtRequest.moderate(room, s.userId, s.role(room), action, m.user(), m.seq(), m.durationSec(),
        m.reason()));
  }

  /** This edge instance's member count of one room, through the routing retries. */
  void refresh(String room, int members) {
    shards.request(RtRequest.refresh(room, edgeKey, members));
  }

  /**
   * The member counts of the rooms that one owner shard instance ({@code shardAddress}) holds, in
   * one message: answered with the rooms it no longer owns.
   */
  Future<JsonArray> presence(String shardAddress, JsonObject counts) {
    return vertx.eventBus()
        .<JsonArray>request(Addresses.shardPresence(shardAddress), new JsonObject().put("edge", edgeKey)
            .put("rooms", counts), presenceDelivery)
        .map(Message::body);
  }

  /** A message published through the API, as no socket of this edge. */
  Future<RtReply> apiSend(String room, String userId, String userName, String role, DanmakuInput in, String key) {
    return shards.request(RtRequest.send(room, null, userId, userName, role, in.text(), in.color(), in.mode(),
        in.progress(), key));
  }

  Future<RtReply> apiHistory(String room, boolean hasSince, long sinceSeq, int limit) {
    return shards.request(RtRequest.history(room, hasSince, sinceSeq, limit));
  }

  /** A moderation action through the API, which acts as an admin. */
  Future<RtReply> apiModerate(String room, String action, Moderation m) {
    return shards.request(RtRequest.moderate(room, API_ACTOR, "admin", action, m.user(), m.seq(), m.durationSec(),
        m.reason()));
  }
}
