package io.liveroom.edge;

import io.liveroom.node.NodeServices;
import io.liveroom.protocol.DanmakuInput;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.RoomView;
import io.liveroom.room.Member;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomFields;
import io.liveroom.room.RoomRules;
import io.liveroom.room.RoomState;
import io.liveroom.protocol.Addresses;
import io.liveroom.shard.ShardClient;
import io.liveroom.store.HistoryStore;
import io.liveroom.store.ModerationStore;
import io.liveroom.store.RoomIndex;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The room endpoints of the HTTP API (PROTOCOL.md section 2), {@code GET /api/v1/stats} and the
 * API's OpenAPI document, which {@code OpenApiContractIT} holds to these routes.
 */
final class RoomApi {
  private static final Set<String> CREATE_FIELDS =
      Set.of("id", "title", "ownerId", "maxMembers", "guestsCanRead", "slowModeSec", "metadata", "filter",
          "emptyTimeoutSec");
  private static final Set<String> PATCH_FIELDS =
      Set.of("title", "metadata", "maxMembers", "guestsCanRead", "slowModeSec", "state", "filter", "emptyTimeoutSec");
  private static final Set<String> PUBLISH_FIELDS =
      Set.of("text", "user", "priority", "color", "mode", "progress", "key");
  private static final Set<String> MODERATION_FIELDS = Set.of("action", "user", "seq", "durationSec", "reason");
  private static final long STATS_TIMEOUT_MS = 1000;

  private final Vertx vertx;
  private final NodeServices node;
  private final ShardClient shards;
  private final RoomIndex roomIndex;
  private final HistoryStore historyStore;
  private final ModerationStore moderationStore;
  private final OwnerRequests owners;
  private final MembersApi members;

  RoomApi(Vertx vertx, NodeServices node, ShardClient shards, OwnerRequests owners) {
    this.vertx = vertx;
    this.node = node;
    this.shards = shards;
    this.roomIndex = node.store().roomIndex();
    this.historyStore = node.store().historyStore();
    this.moderationStore = node.store().moderationStore();
    this.owners = owners;
    this.members = new MembersApi(node, owners);
  }

  void mount(Router router, OpenApiDocument openApi) {
    String base = "/api/v1";
    router.get(base + "/openapi.json").handler(openApi);
    router.route(base + "/*")
        .handler(BodyHandler.create(false).setBodyLimit(node.config().http().maxBodyBytes()))
        .handler(new ApiAuth(vertx, node.config().auth()))
        .failureHandler(ApiErrors::onFailure);
    router.post(base + "/rooms").handler(this::create);
    router.get(base + "/rooms").handler(this::list);
    router.get(base + "/rooms/:id").handler(this::get);
    router.patch(base + "/rooms/:id").handler(this::patch);
    router.delete(base + "/rooms/:id").handler(this::end);
    router.post(base + "/rooms/:id/messages").handler(this::publish);
    router.get(base + "/rooms/:id/messages").handler(this::history);
    router.get(base + "/rooms/:id/replay").handler(this::replay);
    router.post(base + "/rooms/:id/moderation").handler(this::moderate);
    router.get(base + "/rooms/:id/moderation/log").handler(this::moderationLog);
    router.get(base + "/rooms/:id/members").handler(members::page);
    router.get(base + "/stats").handler(this::stats);
    router.route(base + "/*").handler(ctx -> ApiErrors.send(ctx,
        new LiveroomException(ErrorCode.NOT_FOUND, "no endpoint " + ctx.request().method() + " " + ctx.request().path())));
  }

  private void create(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx, CREATE_FIELDS);
    String id = body.containsKey("id") ? RoomRules.requireId(string(body, "id"), "id") : RoomRules.newRoomId();
    RoomFields f = new RoomFields(string(body, "title"), string(body, "ownerId"), integer(body, "maxMembers"),
        bool(body, "guestsCanRead"), integer(body, "slowModeSec"), metadata(body), null, string(body, "filter"),
        integer(body, "emptyTimeoutSec"));
    // validate here too, so that bad input never travels to an owner
    node.rules().create(id, f, 0);
    reply(ctx, shards.request(new ShardCommand.Create(id, f)), 201);
  }

  private void get(RoutingContext ctx) {
    reply(ctx, shards.request(new ShardCommand.Get(pathId(ctx))), 200);
  }

  private void patch(RoutingContext ctx) {
    String id = pathId(ctx);
    JsonObject body = jsonBody(ctx, PATCH_FIELDS);
    RoomState state = null;
    if (body.containsKey("state")) {
      state = RoomState.fromWire(string(body, "state"));
      if (state == null) {
        throw LiveroomException.badRequest("state must be live or paused");
      }
    }
    RoomFields f = new RoomFields(string(body, "title"), null, integer(body, "maxMembers"),
        bool(body, "guestsCanRead"), integer(body, "slowModeSec"), metadata(body), state, string(body, "filter"),
        integer(body, "emptyTimeoutSec"));
    reply(ctx, shards.request(new ShardCommand.Update(id, f)), 200);
  }

  private void end(RoutingContext ctx) {
    reply(ctx, shards.request(new ShardCommand.End(pathId(ctx))), 200);
  }

  /**
   * Server-side publish: {@code {"text", "user"?, "priority"?, "color"?, "mode"?, "progress"?, "key"?}}.
   * {@code user} is a user id or {@code {"id","name"}} (default the server), {@code priority} 1
   * (an announcement, never shed; the default) or 0. 202 with {@code seq} and {@code epoch}.
   */
  private void publish(RoutingContext ctx) {
    String id = pathId(ctx);
    JsonObject body = jsonBody(ctx, PUBLISH_FIELDS);
    DanmakuInput in = DanmakuInput.parse(body, node.config().rt().maxTextLength(), "");
    String userId = "server";
    String userName = "server";
    Object user = body.getValue("user");
    if (user instanceof String u) {
      userId = RoomRules.requireId(u, "user");
      userName = u;
    } else if (user instanceof JsonObject u) {
      if (!(u.getValue("id") instanceof String uid)) {
        throw LiveroomException.badRequest("user.id must be a string");
      }
      userId = RoomRules.requireId(uid, "user.id");
      Object name = u.getValue("name");
      if (name != null && !(name instanceof String)) {
        throw LiveroomException.badRequest("user.name must be a string");
      }
      userName = name == null ? uid : DanmakuInput.normalise((String) name);
      if (userName.isEmpty() || userName.length() > 64) {
        throw LiveroomException.badRequest("user.name must have 1 to 64 characters");
      }
    } else if (user != null) {
      throw LiveroomException.badRequest("user must be a user id or {\"id\",\"name\"}");
    }
    Integer priority = integer(body, "priority");
    if (priority != null && priority != 0 && priority != 1) {
      throw LiveroomException.badRequest("priority must be 0 or 1");
    }
    String role = priority == null || priority == 1 ? "admin" : "viewer";
    owners.apiSend(id, new Member(userId, userName, role), in, DanmakuInput.key(body.getValue("key")))
        .onSuccess(r -> ok(ctx, 202, new JsonObject().put("seq", r.seq()).put("epoch", r.epoch())))
        .onFailure(t -> ApiErrors.send(ctx, t));
  }

  /** Recent history: {@code ?since=<seq of the current epoch>&limit=}; items carry their epoch. */
  private void history(RoutingContext ctx) {
    String id = pathId(ctx);
    int max = node.config().rt().historySize();
    int limit = limit(ctx, Math.min(max, node.config().rt().joinHistory()), max);
    String sinceParam = query(ctx, "since");
    long since = -1;
    if (sinceParam != null) {
      since = parseIntOr(sinceParam, -1);
      if (since < 0) {
        throw LiveroomException.badRequest("since must be a non-negative seq of the room's current epoch");
      }
    }
    boolean hasSince = since >= 0;
    owners.apiHistory(id, since, limit)
        .onSuccess(r -> ok(ctx, 200, new JsonObject().put("epoch", r.epoch()).put("seq", r.seq())
            .put("items", Pushes.items(r.items(), true)).put("complete", r.complete() || !hasSince)))
        .onFailure(t -> ApiErrors.send(ctx, t));
  }

  /**
   * Archived danmaku with {@code fromMs <= progress <= toMs}, in progress order, for replaying a
   * recording: {@code {"items":[...],"more"}}; with {@code more}, ask again from the last progress.
   */
  private void replay(RoutingContext ctx) {
    String id = pathId(ctx);
    long from = longParam(ctx, "fromMs", 0);
    long to = longParam(ctx, "toMs", Long.MAX_VALUE / 2);
    if (from < 0 || to < from) {
      throw LiveroomException.badRequest("fromMs and toMs must satisfy 0 <= fromMs <= toMs");
    }
    int max = node.config().replay().maxPage();
    int limit = limit(ctx, Math.min(500, max), max);
    historyStore.replay(id, from, to, limit).onSuccess(page -> {
      if (page == null) {
        ApiErrors.send(ctx, new LiveroomException(ErrorCode.NOT_FOUND, "no room " + id));
        return;
      }
      JsonArray items = new JsonArray();
      page.items().forEach(items::add);
      ok(ctx, 200, new JsonObject().put("items", items).put("more", page.more()));
    }).onFailure(t -> ApiErrors.send(ctx, t));
  }

  private static long longParam(RoutingContext ctx, String name, long fallback) {
    String v = query(ctx, name);
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw LiveroomException.badRequest(name + " must be an integer");
    }
  }

  /** The real-time {@code moderate} actions over REST, acting as an admin. */
  private void moderate(RoutingContext ctx) {
    String id = pathId(ctx);
    JsonObject body = jsonBody(ctx, MODERATION_FIELDS);
    if (!(body.getValue("action") instanceof String action)) {
      throw LiveroomException.badRequest("action is required");
    }
    Moderation m = Moderation.parse(body);
    owners.apiModerate(id, action, m)
        .onSuccess(r -> ok(ctx, 200, new JsonObject().put("ok", true)))
        .onFailure(t -> ApiErrors.send(ctx, t));
  }

  /** The room's moderation audit log, newest first: {@code {"entries":[...],"next": cursor or null}}. */
  private void moderationLog(RoutingContext ctx) {
    String id = pathId(ctx);
    int limit = limit(ctx, node.config().rooms().pageSize(), node.config().rooms().maxPageSize());
    String cursor = query(ctx, "cursor");
    String before = null;
    if (cursor != null && !cursor.isEmpty()) {
      if (!cursor.matches("^[0-9]{1,20}-[0-9]{1,20}$")) {
        throw LiveroomException.badRequest("cursor is not one this API gave out");
      }
      before = cursor;
    }
    moderationStore.auditLog(id, before, limit).onSuccess(page -> {
      if (page == null) {
        ApiErrors.send(ctx, new LiveroomException(ErrorCode.NOT_FOUND, "no room " + id));
        return;
      }
      JsonArray entries = new JsonArray();
      page.entries().forEach(entries::add);
      ok(ctx, 200, new JsonObject().put("entries", entries).put("next", page.next()));
    }).onFailure(t -> ApiErrors.send(ctx, t));
  }

  private static int parseIntOr(String s, int fallback) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** The {@code limit} query parameter: {@code fallback} when absent, else 1..{@code max}. */
  static int limit(RoutingContext ctx, int fallback, int max) {
    String v = query(ctx, "limit");
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    int n = parseIntOr(v, -1);
    if (n < 1 || n > max) {
      throw LiveroomException.badRequest("limit must be between 1 and " + max);
    }
    return n;
  }

  private void list(RoutingContext ctx) {
    int limit = limit(ctx, node.config().rooms().pageSize(), node.config().rooms().maxPageSize());
    String stateParam = query(ctx, "state");
    RoomState state = null;
    if (stateParam != null && !stateParam.isEmpty()) {
      state = RoomState.fromWire(stateParam);
      if (state == null) {
        throw LiveroomException.badRequest("state must be created, live, paused or ended");
      }
    }
    String after = decodeCursor(query(ctx, "cursor"));
    roomIndex.page(state, after, limit)
        .compose(page -> roomIndex.readAll(page.ids()).compose(this::withLiveViews).map(rooms -> {
          JsonArray arr = new JsonArray();
          rooms.forEach(arr::add);
          String next = page.more() && !page.ids().isEmpty() ? encodeCursor(page.ids().get(page.ids().size() - 1)) : null;
          return new JsonObject().put("rooms", arr).put("next", next);
        }))
        .onSuccess(json -> ok(ctx, 200, json))
        .onFailure(t -> ApiErrors.send(ctx, t));
  }

  /** Adds hot and online from each room's owner, without loading cold rooms. */
  private Future<List<JsonObject>> withLiveViews(List<RoomData> stored) {
    List<Future<JsonObject>> views = new ArrayList<>(stored.size());
    for (RoomData d : stored) {
      views.add(shards.request(new ShardCommand.Peek(d.id()))
          .map(v -> v.data() != null ? RoomJson.of(v) : RoomJson.of(d, 0, false))
          .otherwise(RoomJson.of(d, 0, false)));
    }
    return Future.join(views).map(cf -> {
      List<JsonObject> out = new ArrayList<>(views.size());
      views.forEach(f -> out.add(f.result()));
      return out;
    });
  }

  private void stats(RoutingContext ctx) {
    List<String> nodeIds = new ArrayList<>();
    node.hazelcast().getCluster().getMembers().forEach(m -> {
      String id = m.getAttribute("__vertx.nodeId");
      if (id != null) {
        nodeIds.add(id);
      }
    });
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(STATS_TIMEOUT_MS);
    Map<String, Future<JsonObject>> perNode = new HashMap<>();
    for (String id : nodeIds) {
      perNode.put(id, vertx.eventBus().<JsonObject>request(Addresses.nodeStats(id), null, opts)
          .map(m -> m.body())
          .otherwise(new JsonObject().put("nodeId", id).put("error", "no answer")));
    }
    Future<Long> total = roomIndex.count().map(n -> (Long) n).otherwise((Long) null);
    List<Future<?>> all = new ArrayList<>(perNode.values());
    all.add(total);
    Future.join(all).onComplete(ar -> {
      JsonArray nodes = new JsonArray();
      long hot = 0;
      long connections = 0;
      int partitions = 0;
      double in = 0;
      double out = 0;
      for (String id : nodeIds) {
        JsonObject s = perNode.get(id).result();
        nodes.add(s);
        hot += s.getLong("roomsHot", 0L);
        connections += s.getLong("connections", 0L);
        partitions += s.getInteger("partitionsOwned", 0);
        in += s.getDouble("messagesInPerSec", 0.0);
        out += s.getDouble("messagesOutPerSec", 0.0);
      }
      Long rooms = total.result();
      JsonObject cluster = new JsonObject()
          .put("members", nodeIds.size())
          .put("partitions", node.ownership().partitionCount())
          .put("partitionsOwned", partitions)
          .put("roomsHot", hot)
          .put("connections", connections)
          .put("messagesInPerSec", Math.round(in * 10) / 10.0)
          .put("messagesOutPerSec", Math.round(out * 10) / 10.0)
          .put("rooms", rooms)
          .put("roomsCold", rooms == null ? null : Math.max(0, rooms - hot))
          .put("nodes", nodes);
      JsonObject self = perNode.get(node.nodeId()).result();
      ok(ctx, 200, new JsonObject().put("node", self).put("cluster", cluster));
    });
  }

  private void reply(RoutingContext ctx, Future<RoomView> f, int status) {
    f.onSuccess(v -> {
      ctx.response().putHeader("X-Liveroom-Owner", v.ownerNode());
      if (status == 201) {
        ctx.response().putHeader(HttpHeaders.LOCATION, "/api/v1/rooms/" + v.data().id());
      }
      ok(ctx, status, RoomJson.of(v));
    }).onFailure(t -> ApiErrors.send(ctx, t));
  }

  static void ok(RoutingContext ctx, int status, JsonObject body) {
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }
  }

  static String query(RoutingContext ctx, String name) {
    try {
      return ctx.request().getParam(name);
    } catch (IllegalArgumentException e) {
      throw LiveroomException.badRequest("the query string is not valid URL encoding");
    }
  }

  static String pathId(RoutingContext ctx) {
    return RoomRules.requireId(ctx.pathParam("id"), "room id");
  }

  private static JsonObject jsonBody(RoutingContext ctx, Set<String> allowed) {
    // the media type exactly (parameters such as charset are ignored): not application/jsonx, not +json types
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    int semicolon = type == null ? -1 : type.indexOf(';');
    String media = type == null ? "" : (semicolon < 0 ? type : type.substring(0, semicolon)).strip();
    if (!media.equalsIgnoreCase("application/json")) {
      throw LiveroomException.badRequest("Content-Type must be application/json");
    }
    if (ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw LiveroomException.badRequest("a JSON object body is required");
    }
    Object parsed;
    try {
      parsed = ctx.body().buffer().toJsonValue();
    } catch (RuntimeException e) {
      throw LiveroomException.badRequest("body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject body)) {
      throw LiveroomException.badRequest("body must be a JSON object");
    }
    for (String k : body.fieldNames()) {
      if (!allowed.contains(k)) {
        throw LiveroomException.badRequest("unknown field '" + k + "'; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
      }
    }
    return body;
  }

  private static String string(JsonObject o, String k) {
    Object v = o.getValue(k);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw LiveroomException.badRequest(k + " must be a string");
    }
    return s;
  }

  private static Integer integer(JsonObject o, String k) {
    Object v = o.getValue(k);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() > Integer.MAX_VALUE || n.doubleValue() < Integer.MIN_VALUE) {
      throw LiveroomException.badRequest(k + " must be an integer");
    }
    return n.intValue();
  }

  private static Boolean bool(JsonObject o, String k) {
    Object v = o.getValue(k);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Boolean b)) {
      throw LiveroomException.badRequest(k + " must be true or false");
    }
    return b;
  }

  private static String metadata(JsonObject o) {
    Object v = o.getValue("metadata");
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject m)) {
      throw LiveroomException.badRequest("metadata must be a JSON object");
    }
    return m.encode();
  }

  static String encodeCursor(String lastId) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
  }

  static String decodeCursor(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return null;
    }
    try {
      String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (RoomRules.isValidId(id)) {
        return id;
      }
    } catch (IllegalArgumentException e) {
      // falls through to the error below
    }
    throw LiveroomException.badRequest("cursor is not one this API gave out");
  }
}
