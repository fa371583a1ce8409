package io.liveroom.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A real-time client for failover tests, over the raw WebSocket ({@code /rt/websocket}):
 * hello with an HS256 JWT, join its rooms, send at a steady pace, and report every ack and every
 * item received to a {@link Ledger}. It behaves like the JS client: when the connection drops
 * (or the server says {@code bye}) it reconnects, to the next node of its list, and re-joins
 * each room with {@code since} its last position; when a push skips a {@code seq} or starts a
 * new epoch, it re-joins the room to recover the missing items. All state is guarded
 * by this object's monitor; Vert.x calls back on event loops, the test thread reads.
 *
 * <p>It also checks what the protocol promises one connection (docs/protocol-notes.md; the JS
 * client, webroot/liveroom.js, relies on the same): a {@code danmaku} push never repeats an
 * (epoch, seq) already pushed on that connection ({@link #duplicates()}), and within an epoch the
 * pushes of a room follow on from the connection's first join of it without a missing seq
 * ({@link #gaps()}). Items in join replies (history, recovery) may repeat what was pushed: the
 * protocol is at-least-once across a (re-)join, and clients de-duplicate by (epoch, seq). A new
 * epoch starts over (a new owner), and a new connection starts over (its first join sets where).
 */
public final class TrafficClient {
  private static final long REPLY_TIMEOUT_MS = 10_000;
  private static final long CONNECT_TIMEOUT_MS = 5_000;
  /** A since no room ever has (epochs start at 1): the answer is the latest history, all of it here. */
  private static final Ledger.Pos FULL = new Ledger.Pos(0, 0);

  private final Vertx vertx;
  private final WebSocketClient wsClient;
  private final String name;
  private final String token;
  private final List<Integer> ports;
  private final List<String> rooms;
  private final Ledger ledger;

  // connection state
  private WebSocket ws;
  private int portIndex;
  private long connection;
  private boolean connecting;
  private boolean helloDone;
  private long nextId = 1;
  private final Map<Long, Pending> pending = new HashMap<>();
  private final Set<String> joined = new HashSet<>();
  private final Set<String> joinInFlight = new HashSet<>();
  private boolean stopped;
  private long reconnectAfterMs = -1;
  private long disconnectedAt;
  private final long watchdog;
  private long sendTimer = -1;

  // what this client saw
  private final Map<String, Ledger.Pos> position = new HashMap<>();
  private final Map<String, Map<Ledger.Pos, String>> seen = new HashMap<>();
  private final Set<String> fullHistoryPending = new HashSet<>();
  private final List<Long> recoveryMillis = new ArrayList<>();
  private final List<String> byes = new ArrayList<>();
  private final List<Integer> portsUsed = new ArrayList<>();
  private final List<String> duplicates = new ArrayList<>();
  private final List<String> gaps = new ArrayList<>();
  private int gapRejoins;

  // what the current connection was pushed, per room (reset on every new connection)
  private final Map<String, Set<Ledger.Pos>> pushedHere = new HashMap<>();
  /** The last position of a room on this connection: its first join reply, then each newer push. */
  private final Map<String, Ledger.Pos> lastHere = new HashMap<>();
  private final Set<String> joinedHere = new HashSet<>();
  private int connects;

  // sending
  private boolean sending;
  private int sendLimit;
  private int maxInFlight = 4;
  private int sent;
  private int sendsInFlight;
  private int acked;
  private int failed;
  /** Whether refused (UNAVAILABLE) and unanswered sends go again, with their key. */
  private boolean retrying;
  /** Sends to make again, (room, text), before new ones. */
  private final ArrayDeque<String[]> again = new ArrayDeque<>();
  private int retried;

  private record Pending(String op, String room, String text, long at, Consumer<JsonObject> onReply) {
  }

  /**
   * @param ports the HTTP ports of nodes to connect to, in order of preference: the first is
   *              used first, and after a drop the client moves to the next one
   */
  public TrafficClient(Vertx vertx, String name, String jwtSecret, List<Integer> ports, List<String> rooms,
                       Ledger ledger) {
    this.vertx = vertx;
    this.name = name;
    this.ports = List.copyOf(ports);
    this.rooms = List.copyOf(rooms);
    this.ledger = ledger;
    JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(jwtSecret)));
    this.token = jwt.generateToken(new JsonObject().put("sub", name).put("name", name),
        new JWTOptions().setExpiresInSeconds(3600));
    this.wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(false)
        .setConnectTimeout((int) CONNECT_TIMEOUT_MS));
    this.watchdog = vertx.setPeriodic(500, id -> checkTimeouts());
  }

  public String name() {
    return name;
  }

  public List<String> rooms() {
    return rooms;
  }

  /** Connects, says hello and joins every room; {@link #ready()} tells when that is done. */
  public synchronized void start() {
    connect();
  }

  /**
   * Makes this client retry the way the JS client and the docs ask: every send carries a key (its
   * text), and a send refused with {@code UNAVAILABLE}, or whose connection closed before the
   * reply, goes again with the same key (after the reconnect), before any new one.
   */
  public synchronized TrafficClient retrying() {
    this.retrying = true;
    return this;
  }

  /** Starts sending one message every {@code intervalMs}, round-robin over the rooms, up to {@code limit}. */
  public synchronized void startSending(long intervalMs, int limit) {
    this.sending = true;
    this.sendLimit = limit;
    if (sendTimer < 0) {
      sendTimer = vertx.setPeriodic(intervalMs, id -> sendNext());
    }
  }

  public synchronized void stopSending() {
    sending = false;
    if (sendTimer >= 0) {
      vertx.cancelTimer(sendTimer);
      sendTimer = -1;
    }
  }

  /** Connected, hello done, and in every room. */
  public synchronized boolean ready() {
    return helloDone && joined.size() == rooms.size() && !stopped;
  }

  public synchronized int sendsInFlight() {
    return sendsInFlight;
  }

  /**
   * Re-joins every room with {@code since} an epoch that no longer exists, so that the server
   * answers with its whole latest history (the catch-up of a client that was away); {@link
   * #fullHistoryDone()} tells when all answers are in.
   */
  public synchronized void requestFullHistory() {
    fullHistoryPending.addAll(rooms);
    for (String room : rooms) {
      if (!joinInFlight.contains(room)) {
        join(room, FULL);
      }
    }
  }

  public synchronized boolean fullHistoryDone() {
    return fullHistoryPending.isEmpty();
  }

  /** What this client received in a room (pushes and join history), by position. */
  public synchronized Map<Ledger.Pos, String> seen(String room) {
    return new HashMap<>(seen.getOrDefault(room, Map.of()));
  }

  public synchronized Map<String, Object> figures() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("connects", connects);
    m.put("ports", new ArrayList<>(portsUsed));
    m.put("sent", sent);
    m.put("acked", acked);
    m.put("failed", failed);
    m.put("retried", retried);
    m.put("gapRejoins", gapRejoins);
    m.put("duplicates", duplicates.size());
    m.put("gaps", gaps.size());
    m.put("byes", new ArrayList<>(byes));
    m.put("recoveryMs", new ArrayList<>(recoveryMillis));
    return m;
  }

  /** Pushed items this client got twice on one connection (a protocol violation), described. */
  public synchronized List<String> duplicates() {
    return new ArrayList<>(duplicates);
  }

  /** Seqs missing within an epoch from the pushes of one connection (a protocol violation), described. */
  public synchronized List<String> gaps() {
    return new ArrayList<>(gaps);
  }

  public synchronized List<Long> recoveryMillis() {
    return new ArrayList<>(recoveryMillis);
  }

  public synchronized List<String> byes() {
    return new ArrayList<>(byes);
  }

  public synchronized int connects() {
    return connects;
  }

  /** Closes the client for good. */
  public void close() {
    WebSocket w;
    synchronized (this) {
      stopped = true;
      stopSending();
      vertx.cancelTimer(watchdog);
      w = ws;
      ws = null;
    }
    if (w != null) {
      try {
        w.close();
      } catch (RuntimeException e) {
        // already closed
      }
    }
    wsClient.close();
  }

  // --- connection -----------------------------------------------------------------------------

  private void connect() {
    if (stopped || connecting || ws != null) {
      return;
    }
    connecting = true;
    long conn = ++connection;
    int port = ports.get(portIndex % ports.size());
    long timeout = vertx.setTimer(CONNECT_TIMEOUT_MS, id -> connectFailed(conn, "connect timeout"));
    wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/rt/websocket"))
        .onComplete(ar -> {
          vertx.cancelTimer(timeout);
          if (ar.failed()) {
            connectFailed(conn, ar.cause().toString());
            return;
          }
          WebSocket w = ar.result();
          synchronized (this) {
            if (conn != connection || stopped) {
              w.close();
              return;
            }
            connecting = false;
            ws = w;
            connects++;
            portsUsed.add(port);
            helloDone = false;
            joined.clear();
            joinInFlight.clear();
            pushedHere.clear();
            lastHere.clear();
            joinedHere.clear();
          }
          w.textMessageHandler(text -> onText(w, text));
          w.closeHandler(v -> onClosed(w));
          w.exceptionHandler(e -> { });
          synchronized (this) {
            call(new JsonObject().put("op", "hello").put("v", 1).put("token", token), null, null, reply -> {
              if (!reply.getBoolean("ok", false)) {
                byes.add("HELLO_REFUSED " + reply.encode());
                stopped = true;
                return;
              }
              helloDone = true;
              for (String room : rooms) {
                join(room, position.get(room));
              }
            });
          }
        });
  }

  private synchronized void connectFailed(long conn, String why) {
    if (conn != connection || !connecting) {
      return;
    }
    connecting = false;
    connection++; // a late success of this attempt is closed
    portIndex++;
    scheduleReconnect(200);
  }

  private synchronized void onClosed(WebSocket w) {
    if (w != ws) {
      return;
    }
    ws = null;
    helloDone = false;
    joined.clear();
    joinInFlight.clear();
    int lostSends = 0;
    for (Pending p : pending.values()) {
      if (p.op.equals("send")) {
        lostSends++;
        if (retrying) {
          again.add(new String[] {p.room, p.text});
        }
      }
    }
    sendsInFlight -= lostSends;
    if (lostSends > 0) {
      ledger.unknown(lostSends);
    }
    pending.clear();
    if (stopped) {
      return;
    }
    disconnectedAt = System.nanoTime();
    // the node may be gone: the next attempt goes to the next node of the list
    portIndex++;
    long delay = reconnectAfterMs >= 0 ? reconnectAfterMs : 50 + ThreadLocalRandom.current().nextLong(150);
    reconnectAfterMs = -1;
    scheduleReconnect(delay);
  }

  private void scheduleReconnect(long delayMs) {
    if (stopped) {
      return;
    }
    vertx.setTimer(Math.max(1, delayMs), id -> {
      synchronized (this) {
        connect();
      }
    });
  }

  /** Replies that never come (a paused or dead node): the connection is dropped and made again. */
  private void checkTimeouts() {
    WebSocket drop = null;
    synchronized (this) {
      long now = System.nanoTime();
      for (Pending p : pending.values()) {
        if (now - p.at > REPLY_TIMEOUT_MS * 1_000_000L) {
          drop = ws;
          break;
        }
      }
    }
    if (drop != null) {
      onClosed(drop);
      try {
        drop.close();
      } catch (RuntimeException e) {
        // already closed
      }
    }
  }

  // --- commands -------------------------------------------------------------------------------

  private void call(JsonObject cmd, String room, String text, Consumer<JsonObject> onReply) {
    long id = nextId++;
    pending.put(id, new Pending(cmd.getString("op"), room, text, System.nanoTime(), onReply));
    try {
      ws.writeTextMessage(cmd.put("id", id).encode());
    } catch (RuntimeException closed) {
      // the close handler cleans up
    }
  }

  private void join(String room, Ledger.Pos since) {
    if (ws == null || !helloDone) {
      return;
    }
    joinInFlight.add(room);
    JsonObject cmd = new JsonObject().put("op", "join").put("room", room);
    if (since != null) {
      cmd.put("since", new JsonObject().put("epoch", since.epoch()).put("seq", since.seq()));
    }
    long conn = connection;
    call(cmd, room, null, reply -> {
      joinInFlight.remove(room);
      if (!reply.getBoolean("ok", false)) {
        // e.g. UNAVAILABLE while the room has no owner: try again shortly
        ledger.refused("join:" + reason(reply));
        vertx.setTimer(200, id -> {
          synchronized (this) {
            if (conn == connection && ws != null && !joinInFlight.contains(room)) {
              join(room, position.get(room));
            }
          }
        });
        return;
      }
      long epoch = reply.getLong("epoch");
      boolean recovered = reply.getBoolean("recovered", false);
      JsonArray history = reply.getJsonArray("history", new JsonArray());
      for (int i = 0; i < history.size(); i++) {
        JsonObject item = history.getJsonObject(i);
        // recovered items are of the current epoch; latest history carries each item's epoch
        see(room, recovered ? epoch : item.getLong("epoch", epoch), item.getLong("seq"), item.getString("text"));
      }
      advance(room, new Ledger.Pos(epoch, reply.getLong("seq")));
      if (joinedHere.add(room)) {
        // pushes of this connection follow on from here (some may have come before the reply)
        Ledger.Pos at = new Ledger.Pos(epoch, reply.getLong("seq"));
        Ledger.Pos last = lastHere.get(room);
        if (last == null || at.compareTo(last) > 0) {
          lastHere.put(room, at);
        }
      }
      if (since == FULL) {
        fullHistoryPending.remove(room);
      } else if (fullHistoryPending.contains(room)) {
        join(room, FULL); // asked for while another join of the room was in flight
      }
      boolean wasReady = joined.size() == rooms.size();
      joined.add(room);
      if (!wasReady && joined.size() == rooms.size() && disconnectedAt != 0) {
        recoveryMillis.add((System.nanoTime() - disconnectedAt) / 1_000_000);
        disconnectedAt = 0;
      }
    });
  }

  private void sendNext() {
    synchronized (this) {
      if (!sending || ws == null || !ready() || sendsInFlight >= maxInFlight || again.isEmpty() && sent >= sendLimit) {
        return;
      }
      String room;
      String text;
      if (again.isEmpty()) {
        room = rooms.get(sent % rooms.size());
        text = name + "#" + sent;
        sent++;
      } else {
        String[] next = again.poll();
        room = next[0];
        text = next[1];
        retried++;
      }
      sendsInFlight++;
      JsonObject cmd = new JsonObject().put("op", "send").put("room", room)
          .put("body", new JsonObject().put("text", text));
      if (retrying) {
        cmd.put("key", text);
      }
      call(cmd, room, text, reply -> {
        sendsInFlight--;
        if (reply.getBoolean("ok", false)) {
          acked++;
          ledger.acked(room, reply.getLong("epoch"), reply.getLong("seq"), text, name);
        } else {
          failed++;
          ledger.refused("send:" + reason(reply));
          if (retrying && "UNAVAILABLE".equals(reply.getJsonObject("error", new JsonObject()).getString("code"))) {
            again.add(new String[] {room, text});
          }
        }
      });
    }
  }

  // --- input ----------------------------------------------------------------------------------

  private void onText(WebSocket w, String text) {
    JsonObject m = new JsonObject(text);
    synchronized (this) {
      if (w != ws) {
        return;
      }
      if (!m.containsKey("push")) {
        Object idValue = m.getValue("id");
        Pending p = idValue instanceof Number n ? pending.remove(n.longValue()) : null;
        if (p != null && p.onReply != null) {
          p.onReply.accept(m);
        }
        return;
      }
      switch (m.getString("push")) {
        case "danmaku" -> onDanmaku(m);
        case "bye" -> {
          byes.add(m.getString("reason"));
          reconnectAfterMs = m.getLong("reconnectAfterMs", -1L);
        }
        default -> {
          // presence and the rest do not matter here
        }
      }
    }
  }

  private void onDanmaku(JsonObject m) {
    String room = m.getString("room");
    long epoch = m.getLong("epoch");
    JsonArray items = m.getJsonArray("items");
    boolean gap = false;
    Ledger.Pos at = position.get(room);
    for (int i = 0; i < items.size(); i++) {
      JsonObject item = items.getJsonObject(i);
      long seq = item.getLong("seq");
      checkPush(room, new Ledger.Pos(epoch, seq));
      see(room, epoch, seq, item.getString("text"));
      if (at == null) {
        continue; // not joined yet: the join reply sets the position
      }
      // a new epoch: the old owner may have acknowledged items it never pushed (as the JS client does,
      // re-join with the old position; the latest history has them)
      if (epoch == at.epoch() && seq > at.seq() + 1 || epoch > at.epoch()) {
        gap = true;
      }
      if (epoch > at.epoch() || epoch == at.epoch() && seq > at.seq()) {
        at = new Ledger.Pos(epoch, seq);
      }
    }
    Ledger.Pos before = position.get(room);
    if (at != null) {
      position.put(room, at);
    }
    if (gap && joined.contains(room) && !joinInFlight.contains(room)) {
      // recover what was skipped: re-join with since the position before the jump
      gapRejoins++;
      join(room, before);
    }
  }

  /** Flags a push that repeats one of this connection, or that skips seqs of the epoch it follows. */
  private void checkPush(String room, Ledger.Pos p) {
    if (!pushedHere.computeIfAbsent(room, k -> new HashSet<>()).add(p) && duplicates.size() < 100) {
      duplicates.add(name + " connection " + connection + " room " + room + " " + p + " pushed twice");
    }
    Ledger.Pos last = lastHere.get(room);
    if (last != null && p.epoch() == last.epoch() && p.seq() > last.seq() + 1 && gaps.size() < 100) {
      gaps.add(name + " connection " + connection + " room " + room + " epoch " + p.epoch() + ": seq "
          + (last.seq() + 1) + ".." + (p.seq() - 1) + " never pushed before " + p.seq());
    }
    if (last == null || p.compareTo(last) > 0) {
      lastHere.put(room, p);
    }
  }

  /** An error reply as {@code CODE (message)}, room ids taken out so that like errors count together. */
  private static String reason(JsonObject reply) {
    JsonObject e = reply.getJsonObject("error", new JsonObject());
    return e.getString("code") + " (" + String.valueOf(e.getString("message")).replaceAll("room \\S+", "room _") + ")";
  }

  private void see(String room, long epoch, long seq, String text) {
    Ledger.Pos p = new Ledger.Pos(epoch, seq);
    seen.computeIfAbsent(room, k -> new HashMap<>()).putIfAbsent(p, text);
    ledger.delivered(room, epoch, seq, text, name);
  }

  private void advance(String room, Ledger.Pos p) {
    Ledger.Pos cur = position.get(room);
    if (cur == null || p.compareTo(cur) > 0) {
      position.put(room, p);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
