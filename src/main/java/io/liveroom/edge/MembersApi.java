package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.node.NodeServices;
import io.liveroom.room.Member;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /api/v1/rooms/{id}/members?cursor=&limit=}: a page of the users in a room across the
 * cluster, in user-id order, served by the room's owner, which merges every edge's users. The
 * cursor is opaque (the last id of the page, encoded); {@code guests} counts the anonymous
 * connections, which are not listed. Mounted by {@link RoomApi}, behind its authentication.
 */
final class MembersApi {
  private final LiveroomConfig.Rooms cfg;
  private final OwnerRequests owners;

  MembersApi(NodeServices node, OwnerRequests owners) {
    this.cfg = node.config().rooms();
    this.owners = owners;
  }

  void page(RoutingContext ctx) {
    String id = RoomApi.pathId(ctx);
    int limit = RoomApi.limit(ctx, cfg.membersPageSize(), cfg.membersMaxPageSize());
    String after = RoomApi.decodeCursor(RoomApi.query(ctx, "cursor"));
    owners.apiMembers(id, after, limit).onSuccess(p -> {
      List<Member> page = p.members();
      JsonArray members = new JsonArray();
      for (Member m : page) {
        members.add(new JsonObject().put("id", m.userId()).put("name", m.userName()).put("role", m.role()));
      }
      String next = p.more() && !page.isEmpty() ? RoomApi.encodeCursor(page.get(page.size() - 1).userId()) : null;
      RoomApi.ok(ctx, 200, new JsonObject().put("members", members).put("next", next).put("guests", p.guests()));
    }).onFailure(t -> ApiErrors.send(ctx, t));
  }
}
