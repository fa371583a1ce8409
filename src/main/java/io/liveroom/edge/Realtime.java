package io.liveroom.edge;

import io.liveroom.NodeServices;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.limit.TokenBucket;
import io.liveroom.protocol.Bundle;
import io.liveroom.protocol.DanmakuInput;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.RandomIds;
import io.liveroom.protocol.RtReply;
import io.liveroom.protocol.RtRequest;
import io.liveroom.room.RoomRules;
import io.liveroom.shard.Addresses;
import io.liveroom.shard.ShardClient;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.Transport;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import it.unimi.dsi.fastutil.objects.ObjectLinkedOpenHashSet;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real-time channel of one edge instance (PROTOCOL.md section 1): SockJS at {@code /rt},
 * the commands of each connection, and the fan-out of owners' bundles to local sockets. Who is
 * in which room here is this class's state; how items travel is the owners' and the bus's.
 */
final class Realtime {
  private static final Logger LOG = LoggerFactory.getLogger(Realtime.class);
  private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final int MAX_TRACKED_IPS = 100_000;
  private static final long BYE_FLUSH_MS = 1000;
  /** Retry hint for a user over rt.maxConnectionsPerUser: until one of its connections has closed. */
  private static final long USER_LIMIT_RETRY_MS = 5000;
  private static final long SHUTDOWN_RECONNECT_SPREAD_MS = 2000;
  /** vertx-web's table of SockJS sessions (SockJSImpl), one per Vert.x instance; read for a gauge. */
  private static final String SOCKJS_SESSIONS_MAP = "_vertx.sockjssessions";

  private final Vertx vertx;
  private final NodeServices node;
  private final ShardClient shards;
  private final LiveroomConfig.Rt cfg;
  private final JWTAuth jwt;
  private final String edgeKey;
  private final int instance;
  private final int frameLimit;
  /** Local sockets per room (a linked set: removal of one of 50,000 members is O(1)). */
  private final Map<String, ObjectLinkedOpenHashSet<RtSession>> rooms = new HashMap<>();
  private final ObjectOpenHashSet<RtSession> sessions = new ObjectOpenHashSet<>();
  /** New connections per remote address; full (idle) buckets are pruned by the sweep timer. */
  private final Map<String, TokenBucket> connectsByIp = new HashMap<>();
  private MessageConsumer<Bundle> bundles;
  private long refreshTimer = -1;
  private long idleTimer = -1;

  Realtime(Vertx vertx, NodeServices node, ShardClient shards, int instance) {
    this.vertx = vertx;
    this.node = node;
    this.shards = shards;
    this.cfg = node.config().rt();
    this.jwt = ApiAuth.createJwt(vertx, node.config().auth());
    this.edgeKey = Addresses.edgeKey(node.nodeId(), instance);
    this.instance = instance;
    this.frameLimit = EdgeVerticle.webSocketFrameLimit(cfg);
  }

  Future<Void> start(Router router) {
    mountTransport(vertx, router, cfg, this::onSocket);
    bundles = vertx.eventBus().consumer(Addresses.edge(node.nodeId()), m -> deliver(m.body()));
    if (instance == 0) {
      // one map per Vert.x instance, shared by every edge instance: one gauge
      node.metrics().sockJsSessions(() -> vertx.sharedData().getLocalMap(SOCKJS_SESSIONS_MAP).size());
    }
    refreshTimer = vertx.setPeriodic(cfg.presenceRefreshMs(), id -> refresh());
    idleTimer = vertx.setPeriodic(Math.max(500, Math.min(5000, cfg.idleTimeoutMs() / 4)), id -> closeIdle());
    return bundles.completion();
  }

  /**
   * Mounts the SockJS transport at {@code /rt} (the greeting, the origin check, quiet failures,
   * bodies for the XHR transports, then SockJS) with {@code sockets} getting each new socket. The
   * Autobahn conformance server (src/test, {@code -Pautobahn}) mounts this same chain with an echo.
   */
  static void mountTransport(Vertx vertx, Router router, LiveroomConfig.Rt cfg, Handler<SockJSSocket> sockets) {
    SockJSHandlerOptions options = new SockJSHandlerOptions()
        // the iframe transports' page (/rt/iframe.html) runs this server's sockjs-client, not a CDN's
        .setLibraryURL(EdgeVerticle.SOCKJS_CLIENT_URL)
        .setHeartbeatInterval(cfg.heartbeatMs())
        .setRegisterWriteHandler(false)
        .setInsertJSESSIONID(false);
    for (String t : LiveroomConfig.Rt.TRANSPORTS) {
      if (!cfg.transports().contains(t)) {
        options.addDisabledTransport(sockJsTransport(t).toString());
      }
    }
    router.get("/rt").handler(ctx -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=UTF-8")
        .end("Welcome to SockJS!\n"));
    router.route("/rt/*").handler(ctx -> checkOrigin(ctx, cfg));
    // bad upgrades and oversized xhr_send bodies are the client's mistakes: answer, do not log them as errors
    router.route("/rt/*").failureHandler(ctx -> {
      int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      if (status >= 500) {
        LOG.warn("real-time transport request failed: {}", String.valueOf(ctx.failure()));
      }
      if (!ctx.response().ended()) {
        ctx.response().setStatusCode(status).end();
      }
    });
    router.route("/rt/*").handler(BodyHandler.create(false).setBodyLimit(Math.max(65536, cfg.maxFrameBytes() * 4)));
    router.route("/rt/*").subRouter(SockJSHandler.create(vertx, options).socketHandler(sockets));
  }

  Future<Void> stop() {
    vertx.cancelTimer(refreshTimer);
    vertx.cancelTimer(idleTimer);
    for (RtSession s : sessions.toArray(new RtSession[0])) {
      // a reconnect hint with jitter, so the clients of a draining node do not all come back at once
      bye(s, "SHUTDOWN", new JsonObject().put("reconnect", true)
          .put("reconnectAfterMs", java.util.concurrent.ThreadLocalRandom.current().nextInt((int) SHUTDOWN_RECONNECT_SPREAD_MS)));
    }
    return bundles == null ? Future.succeededFuture() : bundles.unregister();
  }

  int connections() {
    return sessions.size();
  }

  /** The SockJS handshake checks {@code Origin}: same origin, localhost, or {@code rt.allowedOrigins}. */
  private static void checkOrigin(RoutingContext ctx, LiveroomConfig.Rt cfg) {
    if (ctx.request().path().endsWith("/xhr")) {
      // vertx-web closes the connection after each xhr poll: say so, or keep-alive clients reuse a dead socket
      ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
    }
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null || originAllowed(cfg, origin, ctx.request().getHeader(HttpHeaders.HOST))) {
      ctx.next();
      return;
    }
    ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain").end("origin not allowed");
  }

  private static boolean originAllowed(LiveroomConfig.Rt cfg, String origin, String host) {
    if (cfg.allowedOrigins().contains(origin) || cfg.allowedOrigins().contains("*")) {
      return true;
    }
    try {
      URI u = URI.create(origin);
      String h = u.getHost();
      if (h == null) {
        return false;
      }
      if (h.equals("localhost") || h.equals("127.0.0.1") || h.equals("[::1]")) {
        return true;
      }
      return host != null && host.equalsIgnoreCase(u.getRawAuthority());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private void onSocket(SockJSSocket socket) {
    long now = System.currentTimeMillis();
    String ip = socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().hostAddress();
    if (connectsByIp.size() >= MAX_TRACKED_IPS) {
      pruneConnectBuckets(now);
    }
    if (connectsByIp.size() < MAX_TRACKED_IPS || connectsByIp.containsKey(ip)) {
      TokenBucket bucket = connectsByIp.computeIfAbsent(ip,
          k -> new TokenBucket(cfg.ipConnectRatePerSec(), cfg.ipConnectBurst(), now));
      if (bucket.tryTake(now) > 0) {
        node.metrics().rejectedConnection("ip_rate");
        socket.write(new JsonObject().put("push", "bye").put("reason", "RATE_LIMITED").encode())
            .onComplete(ar -> socket.close());
        return;
      }
    }
    RtSession s = new RtSession(socket, now);
    sessions.add(s);
    node.metrics().acceptedConnection();
    node.metrics().connections(1);
    socket.setWriteQueueMaxSize(cfg.writeQueueMaxBytes());
    socket.handler(buf -> onFrame(s, buf));
    socket.closeHandler(v -> onClose(s));
    socket.exceptionHandler(e -> LOG.debug("socket error: {}", e.toString()));
  }

  private void onFrame(RtSession s, Buffer buf) {
    s.lastSeen = System.currentTimeMillis();
    if (s.closed) {
      return;
    }
    if (buf.length() > cfg.maxFrameBytes()) {
      fail(s, null, new LiveroomException(ErrorCode.TOO_LARGE, "frames are limited to " + cfg.maxFrameBytes() + " bytes"));
      violation(s);
      return;
    }
    JsonObject cmd;
    try {
      Object v = buf.toJsonValue();
      if (!(v instanceof JsonObject o)) {
        throw new IllegalArgumentException();
      }
      cmd = o;
    } catch (RuntimeException e) {
      fail(s, null, LiveroomException.badRequest("a frame must be one JSON object"));
      violation(s);
      return;
    }
    Object idValue = cmd.getValue("id");
    Long id = null;
    if (idValue instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 9e15) {
      id = n.longValue();
    } else if (idValue != null) {
      fail(s, null, LiveroomException.badRequest("id must be an integer"));
      violation(s);
      return;
    }
    Object op = cmd.getValue("op");
    if (!(op instanceof String opName)) {
      fail(s, id, LiveroomException.badRequest("op is required"));
      violation(s);
      return;
    }
    if (!s.hello && !opName.equals("hello")) {
      fail(s, id, new LiveroomException(ErrorCode.UNAUTHORIZED, "send hello first"));
      violation(s);
      return;
    }
    Long cid = id;
    try {
      switch (opName) {
        case "hello" -> hello(s, cid, cmd);
        case "join" -> join(s, cid, cmd);
        case "leave" -> leave(s, cid, cmd);
        case "send" -> send(s, cid, cmd);
        case "ping" -> ok(s, cid, new JsonObject().put("ts", System.currentTimeMillis()));
        case "moderate" -> moderate(s, cid, cmd);
        default -> throw LiveroomException.badRequest("unknown op '" + truncate(opName, 32) + "'");
      }
    } catch (LiveroomException e) {
      fail(s, cid, e);
      if (e.code() == ErrorCode.BAD_REQUEST) {
        violation(s);
      }
    }
  }

  private void hello(RtSession s, Long id, JsonObject cmd) {
    if (s.hello) {
      throw LiveroomException.badRequest("hello was already done on this connection");
    }
    Object v = cmd.getValue("v");
    if (v != null && !(v instanceof Number n && n.intValue() == 1 && n.doubleValue() == 1)) {
      throw LiveroomException.badRequest("this server speaks protocol v 1");
    }
    Object token = cmd.getValue("token");
    if (token == null) {
      s.guest = true;
      s.userId = RandomIds.next("guest-", ALPHABET, 10);
      s.userName = "guest";
      s.hello = true;
      helloOk(s, id);
      return;
    }
    if (!(token instanceof String t) || t.isEmpty() || t.length() > 8192) {
      throw LiveroomException.badRequest("token must be a JWT string");
    }
    Future<io.vertx.ext.auth.User> auth;
    try {
      auth = jwt.authenticate(new TokenCredentials(t));
    } catch (RuntimeException e) {
      // vertx-auth-jwt throws (rather than failing) on a signed token with a mistyped exp/nbf/iat
      auth = Future.failedFuture(e);
    }
    auth.onComplete(ar -> {
      if (s.closed) {
        return;
      }
      JsonObject claims = ar.succeeded() ? ar.result().principal() : null;
      Object sub = claims == null ? null : claims.getValue("sub");
      Object rolesClaim = claims == null ? null : claims.getValue("rooms");
      if (!(sub instanceof String subject) || !RoomRules.isValidId(subject)
          || rolesClaim != null && !(rolesClaim instanceof JsonObject)) {
        fail(s, id, new LiveroomException(ErrorCode.UNAUTHORIZED, "invalid or expired token"));
        violation(s);
        return;
      }
      if (!node.userConnections().tryAcquire(subject, cfg.maxConnectionsPerUser())) {
        node.metrics().rejectedConnection("user_connections");
        fail(s, id, LiveroomException.retryAfter(ErrorCode.RATE_LIMITED, "user " + subject + " has "
            + cfg.maxConnectionsPerUser() + " connections on this node already", USER_LIMIT_RETRY_MS));
        violation(s);
        return;
      }
      s.countedUser = true;
      Object name = claims.getValue("name");
      s.userId = subject;
      String clean = name instanceof String n ? DanmakuInput.normalise(n) : "";
      s.userName = clean.isEmpty() ? subject : truncate(clean, 64);
      s.roles = (JsonObject) rolesClaim;
      s.hello = true;
      helloOk(s, id);
    });
  }

  private void helloOk(RtSession s, Long id) {
    ok(s, id, new JsonObject()
        .put("user", new JsonObject().put("id", s.userId).put("name", s.userName)
            .put("roles", s.roles == null ? new JsonObject() : s.roles.copy()))
        .put("node", node.nodeId())
        .put("heartbeatMs", cfg.heartbeatMs()));
  }

  private void join(RtSession s, Long id, JsonObject cmd) {
    String room = roomOf(cmd);
    boolean already = s.rooms.contains(room);
    if (s.joining.contains(room)) {
      throw LiveroomException.badRequest("a join of room " + room + " is already in progress");
    }
    if (!already && s.rooms.size() + s.joining.size() >= cfg.maxRoomsPerConnection()) {
      throw LiveroomException.badRequest("a connection may be in at most " + cfg.maxRoomsPerConnection() + " rooms");
    }
    boolean hasSince = false;
    long sinceEpoch = 0;
    long sinceSeq = 0;
    Object since = cmd.getValue("since");
    if (since != null) {
      if (!(since instanceof JsonObject so) || !(so.getValue("epoch") instanceof Number e)
          || !(so.getValue("seq") instanceof Number q) || !integral(e) || !integral(q)) {
        throw LiveroomException.badRequest("since must be {\"epoch\": integer, \"seq\": integer}");
      }
      hasSince = true;
      sinceEpoch = e.longValue();
      sinceSeq = q.longValue();
    }
    if (!already) {
      s.joining.add(room);
    }
    shards.request(RtRequest.join(room, edgeKey, s.userId, s.userName, s.role(room), !already, hasSince, sinceEpoch,
        sinceSeq)).onComplete(ar -> {
          boolean cancelled = false;
          if (!already) {
            s.joining.remove(room);
            cancelled = s.cancelled.remove(room);
          }
          if (ar.failed()) {
            fail(s, id, ar.cause());
            return;
          }
          if (!already && (s.closed || cancelled)) {
            // left while joining: the owner counted this member, so take it back
            shards.request(RtRequest.leave(room, edgeKey));
            fail(s, id, LiveroomException.badRequest("left room " + room + " while joining it"));
            return;
          }
          if (already && !s.rooms.contains(room)) {
            fail(s, id, LiveroomException.badRequest("left room " + room + " while re-joining it"));
            return;
          }
          if (!already) {
            s.rooms.add(room);
            rooms.computeIfAbsent(room, k -> new ObjectLinkedOpenHashSet<>()).add(s);
          }
          RtReply r = ar.result();
          ok(s, id, new JsonObject()
              .put("room", RoomJson.of(r.room()))
              .put("online", r.room().online())
              .put("epoch", r.epoch())
              .put("seq", r.seq())
              .put("history", Pushes.items(r.items(), !r.recovered()))
              .put("recovered", r.recovered()));
        });
  }

  private void leave(RtSession s, Long id, JsonObject cmd) {
    String room = roomOf(cmd);
    if (s.rooms.remove(room)) {
      if (removeLocal(room, s)) {
        shards.request(RtRequest.leave(room, edgeKey));
      }
    } else if (s.joining.contains(room) && !s.cancelled.contains(room)) {
      s.cancelled.add(room);
    }
    ok(s, id, new JsonObject());
  }

  private void send(RtSession s, Long id, JsonObject cmd) {
    String room = roomOf(cmd);
    if (s.guest) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "guests cannot send; sign in");
    }
    if (!s.rooms.contains(room)) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "join room " + room + " before sending to it");
    }
    long now = System.currentTimeMillis();
    if (s.sends == null) {
      s.sends = new TokenBucket(cfg.sendRatePerSec(), cfg.sendBurst(), now);
    }
    long wait = s.sends.tryTake(now);
    if (wait > 0) {
      node.metrics().dropped("send_rate", 1);
      throw LiveroomException.retryAfter(ErrorCode.RATE_LIMITED,
          "at most " + cfg.sendRatePerSec() + " messages a second per connection", wait);
    }
    if (!(cmd.getValue("body") instanceof JsonObject body)) {
      throw LiveroomException.badRequest("body must be an object with text");
    }
    DanmakuInput in = DanmakuInput.parse(body, cfg.maxTextLength(), "body.");
    String key = DanmakuInput.key(cmd.getValue("key"));
    shards.request(RtRequest.send(room, edgeKey, s.userId, s.userName, s.role(room), in.text(), in.color(), in.mode(),
        in.progress(), key))
        .onComplete(ar -> {
          if (ar.failed()) {
            fail(s, id, ar.cause());
          } else {
            ok(s, id, new JsonObject().put("seq", ar.result().seq()).put("epoch", ar.result().epoch()));
          }
        });
  }

  private void moderate(RtSession s, Long id, JsonObject cmd) {
    String room = roomOf(cmd);
    if (!(cmd.getValue("action") instanceof String action)) {
      throw LiveroomException.badRequest("action is required");
    }
    Moderation m = Moderation.parse(cmd);
    shards.request(RtRequest.moderate(room, s.userId, s.role(room), action, m.user(), m.seq(), m.durationSec(),
        m.reason())).onComplete(ar -> {
          if (ar.failed()) {
            fail(s, id, ar.cause());
          } else {
            ok(s, id, new JsonObject());
          }
        });
  }

  /**
   * Writes each frame of a bundle to the local sockets of its room; the bytes were encoded once by
   * the owner. A socket whose queue is over {@code rt.writeQueueMaxBytes} misses priority-0 frames,
   * and one that stays so for {@code rt.slowConsumerMs} is cut off.
   */
  private void deliver(Bundle bundle) {
    int delivered = 0;
    int dropped = 0;
    long now = System.currentTimeMillis();
    ObjectLinkedOpenHashSet<RtSession> slow = null;
    for (Bundle.Frame f : bundle.frames()) {
      ObjectLinkedOpenHashSet<RtSession> members = rooms.get(f.roomId());
      if (members == null) {
        continue;
      }
      if (f.targetUser() != null) {
        removeUser(f.roomId(), f.targetUser(), f.bytes().toString(StandardCharsets.UTF_8));
        continue;
      }
      // raw WebSocket sessions share the frame's bytes; the others get text (SockJS's raw
      // transport would write a Buffer as a binary frame), each made once, when first needed
      ByteBuf shared = null;
      String text = null;
      for (RtSession s : members) {
        if (full(s)) {
          if (s.fullSince == 0) {
            s.fullSince = now;
          } else if (now - s.fullSince > cfg.slowConsumerMs()) {
            slow = slow == null ? new ObjectLinkedOpenHashSet<>() : slow;
            slow.add(s);
            continue;
          }
          if (f.priority() == 0) {
            dropped++;
            continue;
          }
        } else {
          s.fullSince = 0;
        }
        // a frame over the WebSocket frame limit goes through Vert.x, which fragments it
        boolean direct = s.raw != null && f.bytes().length() <= frameLimit;
        if (direct) {
          shared = shared == null ? SharedFrames.shared(f.bytes()) : shared;
        }
        if (!direct || !SharedFrames.writeText(s.raw, shared)) {
          text = text == null ? f.bytes().toString(StandardCharsets.UTF_8) : text;
          write(s, text);
        }
        delivered++;
      }
      if (shared != null) {
        shared.release(); // each write holds its own reference until Netty has written it
      }
      if (f.acceptedAt() > 0) {
        node.metrics().fanoutLatency(System.currentTimeMillis() - f.acceptedAt());
      }
      if (f.closesRoom()) {
        // the room ended: its members are no longer in it, and the owner has already forgotten them
        rooms.remove(f.roomId());
        for (RtSession s : members) {
          s.rooms.remove(f.roomId());
        }
      }
    }
    if (delivered > 0) {
      node.metrics().deliveries(delivered);
    }
    if (dropped > 0) {
      node.metrics().dropped("slow_consumer", dropped);
    }
    if (slow != null) {
      for (RtSession s : slow) {
        node.metrics().rejectedConnection("slow_consumer");
        bye(s, "SLOW_CONSUMER");
      }
    }
  }

  /** A kick or ban: the user's sockets here get the push and leave the room (the owner counts them out). */
  private void removeUser(String room, String userId, String text) {
    ObjectLinkedOpenHashSet<RtSession> members = rooms.get(room);
    if (members == null) {
      return;
    }
    for (RtSession s : members.toArray(new RtSession[0])) {
      if (userId.equals(s.userId)) {
        write(s, text);
        s.rooms.remove(room);
        if (removeLocal(room, s)) {
          shards.request(RtRequest.leave(room, edgeKey));
        }
      }
    }
  }

  private boolean full(RtSession s) {
    if (s.raw != null) {
      return SharedFrames.full(s.raw);
    }
    if (s.pending > cfg.writeQueueMaxBytes()) {
      return true;
    }
    try {
      return s.socket.writeQueueFull();
    } catch (IllegalStateException closed) {
      return false;
    }
  }

  /**
   * Tells owners how many members this edge has in each room (soft state that heals after
   * failures): one message per owner shard instance with all its rooms. Rooms it does not own
   * (moved meanwhile), and those of owners that did not answer, are refreshed one by one through
   * the routing retries.
   */
  private void refresh() {
    Map<String, JsonObject> perOwner = new HashMap<>();
    rooms.forEach((room, members) -> {
      io.liveroom.shard.Ownership.Target t = node.ownership().resolve(room);
      if (t == null) {
        shards.request(RtRequest.refresh(room, edgeKey, members.size()));
        return;
      }
      perOwner.computeIfAbsent(t.address(), a -> new JsonObject()).put(room, members.size());
    });
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(node.config().shard().requestTimeoutMs());
    perOwner.forEach((address, counts) -> vertx.eventBus()
        .<JsonArray>request(Addresses.shardPresence(address), new JsonObject().put("edge", edgeKey).put("rooms", counts), opts)
        .onComplete(ar -> {
          Iterable<?> again = ar.succeeded() ? ar.result().body() : counts.fieldNames();
          for (Object o : again) {
            String room = (String) o;
            ObjectLinkedOpenHashSet<RtSession> members = rooms.get(room);
            if (members != null) {
              shards.request(RtRequest.refresh(room, edgeKey, members.size()));
            }
          }
        }));
  }

  /** Closes connections idle past {@code rt.idleTimeoutMs} or full past {@code rt.slowConsumerMs}. */
  private void closeIdle() {
    long now = System.currentTimeMillis();
    long before = now - cfg.idleTimeoutMs();
    for (RtSession s : sessions.toArray(new RtSession[0])) {
      if (s.lastSeen < before) {
        bye(s, "IDLE_TIMEOUT");
      } else if (s.fullSince > 0 && now - s.fullSince > cfg.slowConsumerMs()) {
        if (full(s)) {
          node.metrics().rejectedConnection("slow_consumer");
          bye(s, "SLOW_CONSUMER");
        } else {
          s.fullSince = 0;
        }
      }
    }
    pruneConnectBuckets(now);
  }

  private void pruneConnectBuckets(long now) {
    connectsByIp.values().removeIf(b -> b.full(now));
  }

  private void onClose(RtSession s) {
    if (!sessions.remove(s)) {
      return;
    }
    node.metrics().connections(-1);
    s.closed = true;
    if (s.countedUser) {
      s.countedUser = false;
      node.userConnections().release(s.userId);
    }
    for (String room : s.rooms) {
      if (removeLocal(room, s)) {
        shards.request(RtRequest.leave(room, edgeKey));
      }
    }
    s.rooms.clear();
  }

  private boolean removeLocal(String room, RtSession s) {
    ObjectLinkedOpenHashSet<RtSession> members = rooms.get(room);
    if (members == null || !members.remove(s)) {
      return false;
    }
    if (members.isEmpty()) {
      rooms.remove(room);
    }
    return true;
  }

  private void violation(RtSession s) {
    if (++s.violations >= cfg.maxViolations()) {
      bye(s, "ABUSE");
    }
  }

  private void bye(RtSession s, String reason) {
    bye(s, reason, null);
  }

  private void bye(RtSession s, String reason, JsonObject hint) {
    if (s.closed) {
      return;
    }
    JsonObject push = new JsonObject().put("push", "bye").put("reason", reason);
    if (hint != null) {
      push.mergeIn(hint);
    }
    Future<Void> written = write(s, push.encode());
    if (reason.equals("SLOW_CONSUMER")) {
      closeSocket(s); // its queue is stuck: the bye may never be flushed, and the socket must go anyway
    } else {
      // SockJS sessions drop what is still queued when they close: let the bye out first, briefly
      long timer = vertx.setTimer(BYE_FLUSH_MS, id -> closeSocket(s));
      written.onComplete(ar -> {
        vertx.cancelTimer(timer);
        closeSocket(s);
      });
    }
    onClose(s);
  }

  private static String roomOf(JsonObject cmd) {
    if (!(cmd.getValue("room") instanceof String room)) {
      throw LiveroomException.badRequest("room is required");
    }
    return RoomRules.requireId(room, "room");
  }

  private static void ok(RtSession s, Long id, JsonObject fields) {
    if (s.closed) {
      return;
    }
    JsonObject reply = new JsonObject().put("id", id).put("ok", true);
    fields.forEach(e -> reply.put(e.getKey(), e.getValue()));
    write(s, reply.encode());
  }

  private static void fail(RtSession s, Long id, Throwable t) {
    if (s.closed) {
      return;
    }
    LiveroomException e = t instanceof LiveroomException le ? le : new LiveroomException(ErrorCode.INTERNAL, "internal error");
    if (!(t instanceof LiveroomException)) {
      LOG.error("real-time command failed", t);
    }
    JsonObject error = new JsonObject().put("code", e.code().name()).put("message", e.getMessage());
    if (e.retryAfterMs() >= 0) {
      error.put("retryAfterMs", e.retryAfterMs());
    }
    write(s, new JsonObject().put("id", id).put("ok", false).put("error", error).encode());
  }

  /**
   * Writes to a socket that may have closed under us (a closed socket just misses the write), and
   * counts the characters until the transport has taken them.
   */
  private static Future<Void> write(RtSession s, String text) {
    int n = text.length();
    try {
      s.pending += n;
      return s.socket.write(text).onComplete(ar -> s.pending -= n);
    } catch (IllegalStateException closed) {
      s.pending -= n;
      s.closed = true;
      return Future.failedFuture(closed);
    }
  }

  private static Transport sockJsTransport(String name) {
    return switch (name) {
      case "websocket" -> Transport.WEBSOCKET;
      case "xhr" -> Transport.XHR;
      case "eventsource" -> Transport.EVENT_SOURCE;
      case "htmlfile" -> Transport.HTML_FILE;
      case "jsonp" -> Transport.JSON_P;
      default -> throw new IllegalArgumentException("no SockJS transport " + name);
    };
  }

  private static void closeSocket(RtSession s) {
    try {
      s.socket.close();
    } catch (IllegalStateException closed) {
      // already gone
    }
  }

  /** A whole number that fits a long exactly. */
  private static boolean integral(Number n) {
    double d = n.doubleValue();
    return d == Math.rint(d) && Math.abs(d) < 9.2e18;
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
