package io.liveroom.edge;

import io.liveroom.node.NodeServices;
import io.liveroom.protocol.DanmakuInput;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardControl.FullRefresh;
import io.liveroom.protocol.ShardControl.PresenceReport;
import io.liveroom.protocol.ShardReply.HistoryReply;
import io.liveroom.protocol.ShardReply.JoinReply;
import io.liveroom.protocol.ShardReply.MembersPage;
import io.liveroom.protocol.ShardReply.Position;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.liveroom.protocol.Addresses;
import io.liveroom.shard.ShardClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.util.List;
import java.util.Map;

/**
 * The real-time requests of one edge instance to room owners, for its sockets and for the HTTP
 * API: the one place on the edge that builds a {@link ShardCommand}. Each goes through
 * {@link ShardClient} (routing, retries), except the batched presence refresh, which goes to one
 * owner shard instance directly.
 */
final class OwnerRequests {
  private static final Member API_ACTOR = new Member("api", null, "admin");

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

  /** A socket's join as {@code m}; {@code newMember} false for a re-join, which reads history without counting again. */
  Future<JoinReply> join(String room, Member m, boolean newMember, Position since) {
    return shards.request(new ShardCommand.Join(room, edgeKey, m, newMember, since));
  }

  /** One connection of {@code s} fewer here; nobody waits for the answer. */
  void leave(String room, RtSession s) {
    shards.request(new ShardCommand.Leave(room, edgeKey, s.userId, s.guest));
  }

  Future<Position> send(String room, RtSession s, DanmakuInput in, String key) {
    return shards.request(new ShardCommand.Send(room, edgeKey, s.member(room), in.text(), in.color(), in.mode(),
        in.progress(), key));
  }

  Future<Position> moderate(String room, RtSession s, String action, Moderation m) {
    return shards.request(new ShardCommand.Moderate(room, s.member(room), action, m.user(), m.seq(),
        m.durationSec(), m.reason()));
  }

  /** This edge instance's full list of one room, through the routing retries. */
  void refresh(String room, List<EdgeUsers.Entry> users, int guests) {
    shards.request(new ShardCommand.Refresh(room, edgeKey, users, guests));
  }

  /**
   * The summaries of the rooms that one owner shard instance ({@code shardAddress}) holds, in one
   * message: answered with the rooms whose full list it wants.
   */
  Future<FullRefresh> presence(String shardAddress, Map<String, EdgeUsers.Summary> summaries) {
    return vertx.eventBus()
        .<FullRefresh>request(Addresses.shardPresence(shardAddress), new PresenceReport(edgeKey, summaries),
            presenceDelivery)
        .map(Message::body);
  }

  /** A page of a room's member list for the API: users with ids after {@code after} (null: the first). */
  Future<MembersPage> apiMembers(String room, String after, int limit) {
    return shards.request(new ShardCommand.Members(room, after, limit));
  }

  /** A message published through the API, as no socket of this edge. */
  Future<Position> apiSend(String room, Member sender, DanmakuInput in, String key) {
    return shards.request(new ShardCommand.Send(room, null, sender, in.text(), in.color(), in.mode(), in.progress(),
        key));
  }

  /** Recent history through the API: after {@code afterSeq} (-1: the newest), at most {@code limit} items. */
  Future<HistoryReply> apiHistory(String room, long afterSeq, int limit) {
    return shards.request(new ShardCommand.History(room, afterSeq, limit));
  }

  /** A moderation action through the API, which acts as an admin. */
  Future<Position> apiModerate(String room, String action, Moderation m) {
    return shards.request(new ShardCommand.Moderate(room, API_ACTOR, action, m.user(), m.seq(), m.durationSec(),
        m.reason()));
  }
}
