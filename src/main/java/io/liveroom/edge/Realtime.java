package io.liveroom.edge;

import io.liveroom.node.NodeServices;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.edge.internals.RawWebSocket;
import io.liveroom.edge.internals.SockJsSessions;
import io.liveroom.limit.TokenBucket;
import io.liveroom.protocol.Bundle;
import io.liveroom.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real-time channel of one edge instance (PROTOCOL.md section 1), put together: the transport
 * ({@link RtTransport}), each connection's commands ({@link RtCommands}), who is in which room
 * here ({@link LocalRooms}) and the fan-out of owners' bundles to sockets ({@link FanoutWriter}).
 * This class admits new connections, closes idle ones, and keeps the timers.
 */
final class Realtime {
  private static final Logger LOG = LoggerFactory.getLogger(Realtime.class);
  private static final int MAX_TRACKED_IPS = 100_000;
  private static final long SHUTDOWN_RECONNECT_SPREAD_MS = 2000;
  /** How often connections are checked for an expired token: tokens expire to the second. */
  private static final long TOKEN_CHECK_MS = 1000;

  private final Vertx vertx;
  private final NodeServices node;
  private final LiveroomConfig.Rt cfg;
  private final int instance;
  private final LocalRooms rooms;
  private final FanoutWriter fanout;
  private final RtCommands commands;
  /** New connections per remote address; full (idle) buckets are pruned by the sweep timer. */
  private final Map<String, TokenBucket> connectsByIp = new HashMap<>();
  private MessageConsumer<Bundle> bundles;
  private long refreshTimer = -1;
  private long idleTimer = -1;
  private long expiryTimer = -1;

  Realtime(Vertx vertx, NodeServices node, OwnerRequests owners, int instance) {
    this.vertx = vertx;
    this.node = node;
    this.cfg = node.config().rt();
    this.instance = instance;
    this.rooms = new LocalRooms(vertx, node, owners);
    this.fanout = new FanoutWriter(node.metrics(), cfg, rooms);
    this.commands = new RtCommands(vertx, node, owners, rooms);
  }

  Future<Void> start(Router router) {
    RtTransport.mount(vertx, router, cfg, this::onSocket);
    bundles = vertx.eventBus().consumer(Addresses.edge(node.nodeId()), m -> fanout.deliver(m.body()));
    if (instance == 0) {
      // one map per Vert.x instance, shared by every edge instance: one gauge
      node.metrics().sockJsSessions(() -> SockJsSessions.count(vertx));
    }
    refreshTimer = vertx.setPeriodic(cfg.presenceRefreshMs(), id -> rooms.refresh());
    idleTimer = vertx.setPeriodic(Math.max(500, Math.min(5000, cfg.idleTimeoutMs() / 4)), id -> closeIdle());
    // one check a second for all of this instance's connections, not a timer per connection
    expiryTimer = vertx.setPeriodic(TOKEN_CHECK_MS, id -> expireTokens());
    return bundles.completion();
  }

  Future<Void> stop() {
    vertx.cancelTimer(refreshTimer);
    vertx.cancelTimer(idleTimer);
    vertx.cancelTimer(expiryTimer);
    for (RtSession s : rooms.sessions()) {
      // a reconnect hint with jitter, so the clients of a draining node do not all come back at once
      rooms.bye(s, "SHUTDOWN", new JsonObject().put("reconnect", true)
          .put("reconnectAfterMs", ThreadLocalRandom.current().nextInt((int) SHUTDOWN_RECONNECT_SPREAD_MS)));
    }
    Future<Void> unregistered = bundles == null ? Future.succeededFuture() : bundles.unregister();
    return unregistered.eventually(() -> {
      fanout.close(); // no bundle comes after the consumer is gone
      return Future.succeededFuture();
    });
  }

  int connections() {
    return rooms.connections();
  }

  /** A raw WebSocket of {@code /rt/websocket} ({@link RtTransport#raw}). */
  void onSocket(RawWebSocket ws) {
    RtSession s = admit(RtSocket.of(ws), ws.remoteIp());
    if (s != null) {
      ws.setWriteQueueMaxSize(cfg.writeQueueMaxBytes());
      ws.handler(buf -> commands.onFrame(s, buf));
      ws.closeHandler(v -> rooms.closed(s));
    }
  }

  /** A SockJS socket (the other transports). */
  private void onSocket(SockJSSocket socket) {
    String ip = socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().hostAddress();
    RtSession s = admit(RtSocket.of(socket), ip);
    if (s != null) {
      socket.setWriteQueueMaxSize(cfg.writeQueueMaxBytes());
      socket.handler(buf -> commands.onFrame(s, buf));
      socket.closeHandler(v -> rooms.closed(s));
      socket.exceptionHandler(e -> LOG.debug("socket error: {}", e.toString()));
    }
  }

  /** A new connection from {@code ip}: its session, or null when the address connects too fast (bye, closed). */
  private RtSession admit(RtSocket socket, String ip) {
    long now = System.currentTimeMillis();
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
        return null;
      }
    }
    RtSession s = new RtSession(socket, now);
    rooms.add(s);
    node.metrics().acceptedConnection();
    return s;
  }

  /** Closes connections idle past {@code rt.idleTimeoutMs} or full past {@code rt.slowConsumerMs}. */
  private void closeIdle() {
    long now = System.currentTimeMillis();
    long before = now - cfg.idleTimeoutMs();
    for (RtSession s : rooms.sessions()) {
      if (s.lastSeen < before) {
        rooms.bye(s, "IDLE_TIMEOUT");
      } else {
        fanout.sweep(s, now);
      }
    }
    pruneConnectBuckets(now);
  }

  /** Ends the connections whose token expired without a refresh. */
  private void expireTokens() {
    int n = rooms.expireTokens(System.currentTimeMillis() / 1000);
    if (n > 0) {
      node.metrics().tokensExpired(n);
    }
  }

  private void pruneConnectBuckets(long now) {
    connectsByIp.values().removeIf(b -> b.full(now));
  }
}
