package io.liveroom.edge;

import io.liveroom.node.NodeServices;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.limit.TokenBucket;
import io.liveroom.protocol.DanmakuInput;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.Pushes;
import io.liveroom.room.Member;
import io.liveroom.room.RandomIds;
import io.liveroom.protocol.ShardReply.JoinReply;
import io.liveroom.protocol.ShardReply.Position;
import io.liveroom.room.RoomRules;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands of each real-time connection (PROTOCOL.md section 1): a frame is parsed and
 * checked, then {@code hello} (guest or JWT), {@code join}, {@code leave}, {@code send},
 * {@code ping}, {@code moderate} and {@code refresh} (a new token) are answered, most after a
 * request to the room's owner. A malformed frame counts as a violation; {@code rt.maxViolations}
 * of them end the connection.
 */
final class RtCommands {
  private static final Logger LOG = LoggerFactory.getLogger(RtCommands.class);
  private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
  /** Retry hint for a user over rt.maxConnectionsPerUser: until one of its connections has closed. */
  private static final long USER_LIMIT_RETRY_MS = 5000;
  private static final int MAX_TOKEN_LENGTH = 8192;
  private static final String INVALID_TOKEN = "invalid or expired token";

  private final NodeServices node;
  private final LiveroomConfig.Rt cfg;
  private final TokenVerifier tokens;
  private final OwnerRequests owners;
  private final LocalRooms rooms;

  RtCommands(Vertx vertx, NodeServices node, OwnerRequests owners, LocalRooms rooms) {
    this.node = node;
    this.cfg = node.config().rt();
    this.tokens = new TokenVerifier(vertx, node.config().auth());
    this.owners = owners;
    this.rooms = rooms;
  }

  void onFrame(RtSession s, Buffer buf) {
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
        case "refresh" -> refresh(s, cid, cmd);
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
    withClaims(s, id, token(token), claims -> {
      String subject = claims.getString("sub");
      if (!node.userConnections().tryAcquire(subject, cfg.maxConnectionsPerUser())) {
        node.metrics().rejectedConnection("user_connections");
        fail(s, id, LiveroomException.retryAfter(ErrorCode.RATE_LIMITED, "user " + subject + " has "
            + cfg.maxConnectionsPerUser() + " connections on this node already", USER_LIMIT_RETRY_MS));
        violation(s);
        return;
      }
      s.countedUser = true;
      s.userId = subject;
      takeClaims(s, claims);
      s.hello = true;
      helloOk(s, id);
    });
  }

  /**
   * A new token for the same user: its name, roles and expiry replace the old ones. A token that
   * fails its checks changes nothing (the old expiry still holds); one for another user, or on a
   * guest's connection, is {@code FORBIDDEN}. Either counts as a violation, as a failed hello does.
   */
  private void refresh(RtSession s, Long id, JsonObject cmd) {
    withClaims(s, id, token(cmd.getValue("token")), claims -> {
      if (s.guest || !claims.getString("sub").equals(s.userId)) {
        fail(s, id, new LiveroomException(ErrorCode.FORBIDDEN, s.guest
            ? "a guest connection cannot sign in: connect again and send hello with the token"
            : "refresh needs a token for the same user (sub) as hello: connect again to change user"));
        violation(s);
        return;
      }
      takeClaims(s, claims);
      ok(s, id, new JsonObject().put("exp", TokenVerifier.expMillis(claims)));
    });
  }

  /**
   * Verifies a command's token and hands its claims on; a token that fails the checks, or names
   * no valid user, is answered {@code UNAUTHORIZED} and counts as a violation. Nothing happens
   * once the connection has closed.
   */
  private void withClaims(RtSession s, Long id, String token, Consumer<JsonObject> then) {
    tokens.verify(token).onComplete(ar -> {
      if (s.closed) {
        return;
      }
      JsonObject claims = ar.succeeded() ? signedIn(ar.result()) : null;
      if (claims == null) {
        fail(s, id, ar.failed() ? ar.cause() : new LiveroomException(ErrorCode.UNAUTHORIZED, INVALID_TOKEN));
        violation(s);
        return;
      }
      then.accept(claims);
    });
  }

  /** A token's string, or BAD_REQUEST. */
  private static String token(Object token) {
    if (!(token instanceof String t) || t.isEmpty() || t.length() > MAX_TOKEN_LENGTH) {
      throw LiveroomException.badRequest("token must be a JWT string");
    }
    return t;
  }

  /** Verified claims that name a user ({@code sub} an id, {@code rooms} absent or an object), else null. */
  private static JsonObject signedIn(JsonObject claims) {
    Object sub = claims.getValue("sub");
    Object rolesClaim = claims.getValue("rooms");
    if (!(sub instanceof String subject) || !RoomRules.isValidId(subject)
        || rolesClaim != null && !(rolesClaim instanceof JsonObject)) {
      return null;
    }
    return claims;
  }

  /** The name, roles and expiry of verified claims, for hello or a refresh. */
  private void takeClaims(RtSession s, JsonObject claims) {
    String clean = claims.getValue("name") instanceof String n ? DanmakuInput.normalise(n) : "";
    s.userName = clean.isEmpty() ? s.userId : truncate(clean, 64);
    s.roles = claims.getJsonObject("rooms");
    rooms.tokenDeadline(s, tokens.deadline(claims));
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
    Position from = null;
    Object since = cmd.getValue("since");
    if (since != null) {
      if (!(since instanceof JsonObject so) || !(so.getValue("epoch") instanceof Number e)
          || !(so.getValue("seq") instanceof Number q) || !integral(e) || !integral(q)) {
        throw LiveroomException.badRequest("since must be {\"epoch\": integer, \"seq\": integer}");
      }
      from = new Position(e.longValue(), q.longValue());
    }
    Member member = s.member(room);
    if (!already) {
      s.joining.add(room);
      rooms.joining(room, member);
    }
    owners.join(room, member, !already, from).onComplete(ar -> {
      boolean cancelled = false;
      if (!already) {
        s.joining.remove(room);
        cancelled = s.cancelled.remove(room);
      }
      if (ar.failed()) {
        if (!already) {
          rooms.notJoined(s, room);
        }
        fail(s, id, ar.cause());
        return;
      }
      if (!already && (s.closed || cancelled)) {
        // left while joining: the owner counted this member, so take it back
        rooms.notJoined(s, room);
        owners.leave(room, s);
        fail(s, id, LiveroomException.badRequest("left room " + room + " while joining it"));
        return;
      }
      if (already && !s.rooms.contains(room)) {
        fail(s, id, LiveroomException.badRequest("left room " + room + " while re-joining it"));
        return;
      }
      if (!already) {
        rooms.joined(s, room);
      }
      JoinReply r = ar.result();
      ok(s, id, new JsonObject()
          .put("room", RoomJson.of(r.room()))
          .put("online", r.room().online())
          .put("connections", r.room().connections())
          .put("epoch", r.epoch())
          .put("seq", r.seq())
          .put("history", Pushes.items(r.items(), !r.recovered()))
          .put("recovered", r.recovered()));
    });
  }

  private void leave(RtSession s, Long id, JsonObject cmd) {
    String room = roomOf(cmd);
    if (!rooms.leave(s, room) && s.joining.contains(room) && !s.cancelled.contains(room)) {
      s.cancelled.add(room); // the join's answer takes it back
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
    owners.send(room, s, in, key).onComplete(ar -> {
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
    owners.moderate(room, s, action, m).onComplete(ar -> {
      if (ar.failed()) {
        fail(s, id, ar.cause());
      } else {
        ok(s, id, new JsonObject());
      }
    });
  }

  private void violation(RtSession s) {
    if (++s.violations >= cfg.maxViolations()) {
      rooms.bye(s, "ABUSE");
    }
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
    s.write(reply.encode());
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
    s.write(new JsonObject().put("id", id).put("ok", false).put("error", error).encode());
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
