package io.liveroom.loadgen;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Mixed load for soak runs: real-time connections that come and go (raw WebSocket, SockJS framed
 * WebSocket and SockJS xhr-polling), join, switch and leave rooms, some of them sending; rooms
 * created and ended all the time; REST reads and server-side publishes. Every outcome is counted
 * by name ({@code join.ok}, {@code join.err.ROOM_CLOSED}, {@code rest.get_room.200}...), and
 * the ones that should never happen are summed as {@code unexpected}.
 *
 * <p>A verticle: all its state lives on its one event loop. Deploy it, let it run, undeploy it
 * (which closes every connection), then read {@link #stats()}. Standalone:
 * {@code java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.MixedLoad --help}.
 */
public final class MixedLoad extends VerticleBase {
  /** Outcomes that a healthy cluster never produces under this load (see {@link #isUnexpected}). */
  private static final Set<String> UNEXPECTED = Set.of("connect.failed", "closed.unexpected", "rest.failed",
      "xhr_send.failed", "frame.bad", "reply.unmatched");
  private static final Set<String> UNEXPECTED_CODES = Set.of("INTERNAL", "UNAVAILABLE", "TIMEOUT");

  private final Options o;
  private final Random random = new Random();
  /** Names this run's rooms and users, so runs against the same Redis never meet. */
  private final String runId = Integer.toString(random.nextInt(36 * 36 * 36 * 36), 36);
  /** Live rooms, oldest first: the room churn ends the head and creates at the tail. */
  private final ArrayDeque<String> rooms = new ArrayDeque<>();
  private final Set<Conn> conns = new HashSet<>();
  private final Map<String, Long> counts = new TreeMap<>();
  private final List<Long> timers = new ArrayList<>();
  private JWTAuth jwt;
  private WebSocketClient wsClient;
  private HttpClient http;
  private int nextRoom;
  private int nextConn;
  private double connectTokens;
  private boolean stopping;
  private long startedAt;

  public MixedLoad(Options o) {
    this.o = o;
  }

  @Override
  public Future<?> start() {
    startedAt = System.currentTimeMillis();
    jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(o.jwtSecret)));
    wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(false)
        .setMaxConnections(100_000).setConnectTimeout(10_000));
    http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(10_000).setIdleTimeout(60),
        new PoolOptions().setHttp1MaxSize(Math.max(64, o.connections * 2)));
    List<Future<?>> created = new ArrayList<>();
    for (int i = 0; i < o.rooms; i++) {
      created.add(createRoom());
    }
    return Future.join(created).onComplete(ar -> {
      timers.add(vertx.setPeriodic(100, id -> fillPool()));
      if (o.roomChurnPerSec > 0) {
        timers.add(vertx.setPeriodic(Math.max(10, (long) (1000 / o.roomChurnPerSec)), id -> churnRoom()));
      }
      if (o.restPerSec > 0) {
        timers.add(vertx.setPeriodic(Math.max(5, (long) (1000 / o.restPerSec)), id -> restCall()));
      }
      if (o.progressSec > 0) {
        timers.add(vertx.setPeriodic(o.progressSec * 1000L, id -> System.out.println("[mixed] " + progress())));
      }
    }).mapEmpty();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    timers.forEach(vertx::cancelTimer);
    List<Future<?>> closing = new ArrayList<>();
    for (Conn c : new ArrayList<>(conns)) {
      closing.add(c.end(false));
    }
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(10_000, id -> done.tryComplete());
    Future.join(closing).onComplete(ar -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future().eventually(() -> Future.join(wsClient.close(), http.close()));
  }

  /**
   * The outcome counts, plus {@code operations} (commands and requests sent) and {@code unexpected}
   * (the outcomes {@link #isUnexpected}). Read it after undeploying.
   */
  public JsonObject stats() {
    JsonObject c = new JsonObject();
    long unexpected = 0;
    long operations = 0;
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      c.put(e.getKey(), e.getValue());
      if (isUnexpected(e.getKey())) {
        unexpected += e.getValue();
      }
      if (e.getKey().endsWith(".sent")) {
        operations += e.getValue();
      }
    }
    return new JsonObject().put("operations", operations).put("unexpected", unexpected).put("counts", c)
        .put("seconds", (System.currentTimeMillis() - startedAt) / 1000.0);
  }

  /**
   * Failed connects, closes without a {@code bye}, any {@code bye} (no node stops, every client
   * pings), errors INTERNAL / UNAVAILABLE / TIMEOUT, REST failures and 5xx. Refusals that the
   * churn makes normal (a join of a room ended meanwhile: ROOM_CLOSED) are counted, not flagged.
   */
  static boolean isUnexpected(String key) {
    if (UNEXPECTED.contains(key) || key.startsWith("bye.")) {
      return true;
    }
    int err = key.indexOf(".err.");
    if (err > 0) {
      return UNEXPECTED_CODES.contains(key.substring(err + 5));
    }
    return key.startsWith("rest.") && key.matches("rest\\.[a-z_]+\\.5\\d\\d");
  }

  private String progress() {
    return String.format("%.0f s: %d connections, %d rooms, %d operations, %d unexpected",
        (System.currentTimeMillis() - startedAt) / 1000.0, conns.size(), rooms.size(),
        stats().getLong("operations"), stats().getLong("unexpected"));
  }

  private void count(String key) {
    counts.merge(key, 1L, Long::sum);
  }

  private String target() {
    return o.targets.get(random.nextInt(o.targets.size()));
  }

  private String randomRoom() {
    if (rooms.isEmpty()) {
      return null;
    }
    int k = random.nextInt(rooms.size());
    for (String r : rooms) {
      if (k-- == 0) {
        return r;
      }
    }
    return null;
  }

  // ---- rooms and REST -------------------------------------------------------------------

  private Future<Buffer> rest(String op, HttpMethod method, String path, JsonObject body) {
    count("rest." + op + ".sent");
    String[] hp = target().split(":");
    return http.request(method, Integer.parseInt(hp[1]), hp[0], "/api/v1" + path)
        .compose(req -> {
          req.putHeader("Authorization", "Bearer " + o.apiKey).idleTimeout(10_000);
          if (body != null) {
            req.putHeader("Content-Type", "application/json");
          }
          return body == null ? req.send() : req.send(body.encode());
        })
        .compose(resp -> resp.body().map(b -> {
          count("rest." + op + "." + resp.statusCode());
          if (o.verbose && resp.statusCode() >= 500) {
            System.out.println("[mixed] " + method + " " + path + ": " + resp.statusCode() + " " + b);
          }
          return b;
        }))
        .onFailure(e -> {
          if (!stopping) {
            count("rest.failed"); // requests cut by the end of the run are not the server's failures
          }
        });
  }

  private Future<?> createRoom() {
    String id = "soak-" + runId + "-" + nextRoom++;
    return rest("create", HttpMethod.POST, "/rooms", new JsonObject().put("id", id).put("title", "soak " + id)
        .put("ownerId", "soak-host").put("guestsCanRead", true))
        .onSuccess(b -> {
          if (!stopping) {
            rooms.addLast(id);
          }
        });
  }

  private void churnRoom() {
    createRoom();
    if (rooms.size() >= o.rooms) {
      rest("end", HttpMethod.DELETE, "/rooms/" + rooms.pollFirst(), null);
    }
  }

  private void restCall() {
    String room = randomRoom();
    if (room == null) {
      return;
    }
    switch (random.nextInt(5)) {
      case 0, 1 -> rest("get_room", HttpMethod.GET, "/rooms/" + room, null);
      case 2 -> rest("list_rooms", HttpMethod.GET, "/rooms?limit=20", null);
      case 3 -> rest("history", HttpMethod.GET, "/rooms/" + room + "/messages?limit=20", null);
      default -> rest("publish", HttpMethod.POST, "/rooms/" + room + "/messages",
          new JsonObject().put("text", "soak announcement").put("priority", 0));
    }
  }

  // ---- connections ----------------------------------------------------------------------

  /** Opens connections up to the target count, paced by {@code connectsPerSec}. */
  private void fillPool() {
    connectTokens = Math.min(o.connectsPerSec, connectTokens + o.connectsPerSec / 10.0);
    while (!stopping && conns.size() < o.connections && connectTokens >= 1 && !rooms.isEmpty()) {
      connectTokens -= 1;
      double t = random.nextDouble();
      Conn c = t < o.xhrShare ? new XhrConn() : t < o.xhrShare + o.framedShare ? new WsConn(true) : new WsConn(false);
      conns.add(c);
      c.open();
    }
  }

  /** One client: hello, joins, maybe sends, switches rooms, then leaves or just goes. */
  private abstract class Conn {
    final String user = "soak-" + runId + "-u" + nextConn++;
    final String[] hp = target().split(":");
    final Map<Long, String> pending = new HashMap<>();
    /** The room of each command in flight that names one. */
    final Map<Long, String> pendingRoom = new HashMap<>();
    /** Rooms joined or being joined. */
    final Set<String> joined = new HashSet<>();
    /** Rooms whose join was answered ok: a sender sends only there. */
    final Set<String> in = new HashSet<>();
    final boolean sender = random.nextDouble() < o.senderShare;
    final List<Long> connTimers = new ArrayList<>();
    final Promise<Void> closed = Promise.promise();
    long nextId = 1;
    boolean ending;
    boolean byeSeen;
    boolean helloSent;

    abstract String kind();

    abstract void open();

    abstract void write(String json);

    /** Closes the transport (an xhr client just stops polling, as a closed browser tab does). */
    abstract void closeTransport();

    void opened() {
      if (helloSent) {
        // xhr: the server dropped the session (vertx-web does so now and then right after the first
        // poll) and the next poll opened a new one under the same id; sockjs-client would close here
        count("sockjs.reopened." + kind());
        if (o.verbose) {
          System.out.println("[mixed] " + kind() + " " + user + " opened again");
        }
        return;
      }
      helloSent = true;
      count("connect." + kind() + ".ok");
      String token = jwt.generateToken(new JsonObject().put("sub", user).put("name", user),
          new JWTOptions().setExpiresInSeconds(24 * 3600));
      call("hello", new JsonObject().put("v", 1).put("token", token));
      double mean = o.lifetimeMs;
      long life = (long) Math.min(4 * mean, Math.max(500, -Math.log(1 - random.nextDouble()) * mean));
      connTimers.add(vertx.setTimer(life, id -> end(random.nextBoolean())));
      if (random.nextDouble() < 0.3) {
        connTimers.add(vertx.setTimer(life / 2, id -> switchRoom()));
      }
      connTimers.add(vertx.setPeriodic(20_000, id -> call("ping", new JsonObject())));
      if (sender) {
        long every = Math.max(250, o.sendIntervalMs / 2 + random.nextInt(Math.max(1, o.sendIntervalMs)));
        connTimers.add(vertx.setPeriodic(every, id -> send()));
      }
    }

    void call(String op, JsonObject cmd) {
      if (ending) {
        return;
      }
      long id = nextId++;
      pending.put(id, op);
      if (cmd.getValue("room") instanceof String room) {
        pendingRoom.put(id, room);
      }
      count(op + ".sent");
      write(cmd.put("id", id).put("op", op).encode());
    }

    void join() {
      String room = randomRoom();
      if (room != null && !joined.contains(room)) {
        joined.add(room);
        call("join", new JsonObject().put("room", room));
      }
    }

    void switchRoom() {
      if (!joined.isEmpty()) {
        String room = joined.iterator().next();
        joined.remove(room);
        in.remove(room);
        call("leave", new JsonObject().put("room", room));
      }
      join();
    }

    void send() {
      if (!in.isEmpty()) {
        call("send", new JsonObject().put("room", in.iterator().next())
            .put("body", new JsonObject().put("text", "soak " + nextId)).put("key", user + "-" + nextId));
      }
    }

    void onText(String text) {
      JsonObject m;
      try {
        m = new JsonObject(text);
      } catch (RuntimeException e) {
        count("frame.bad");
        return;
      }
      String push = m.getString("push");
      if (push != null) {
        count("push." + push);
        switch (push) {
          case "closed", "kicked" -> {
            joined.remove(m.getString("room"));
            in.remove(m.getString("room"));
            join();
          }
          case "bye" -> {
            byeSeen = true;
            count("bye." + m.getString("reason"));
          }
          default -> {
          }
        }
        return;
      }
      long id = m.getLong("id", -1L);
      String op = pending.remove(id);
      String room = pendingRoom.remove(id);
      if (op == null) {
        count("reply.unmatched");
        return;
      }
      if (m.getBoolean("ok", false)) {
        count(op + ".ok");
        if (op.equals("join") && joined.contains(room)) {
          in.add(room);
        }
        if (op.equals("hello")) {
          join();
          if (random.nextBoolean()) {
            join();
          }
        }
      } else {
        JsonObject error = m.getJsonObject("error", new JsonObject());
        String code = error.getString("code", "?");
        count(op + ".err." + code);
        if (o.verbose) {
          System.out.println("[mixed] " + op + " refused: " + error.encode());
        }
        if (op.equals("join")) {
          joined.remove(room);
        }
      }
    }

    /** Ends this client: with {@code leaveFirst}, it leaves its rooms and closes a moment later. */
    Future<Void> end(boolean leaveFirst) {
      if (!ending) {
        if (leaveFirst && !joined.isEmpty() && !stopping) {
          for (String room : new ArrayList<>(joined)) {
            call("leave", new JsonObject().put("room", room));
          }
          joined.clear();
          in.clear();
          connTimers.add(vertx.setTimer(200, id -> end(false)));
          return closed.future();
        }
        ending = true;
        count("end." + kind());
        connTimers.forEach(vertx::cancelTimer);
        closeTransport();
      }
      return closed.future();
    }

    /** The transport is gone, whoever closed it. */
    void transportClosed() {
      if (!ending) {
        count(byeSeen ? "closed.after_bye" : "closed.unexpected");
      }
      ending = true;
      connTimers.forEach(vertx::cancelTimer);
      conns.remove(this);
      closed.tryComplete();
    }

    void connectFailed(Throwable e) {
      if (!ending) {
        count("connect.failed");
      }
      if (o.verbose) {
        System.out.println("[mixed] connect " + kind() + " failed: " + e);
      }
      ending = true;
      conns.remove(this);
      closed.tryComplete();
    }
  }

  /** SockJS over WebSocket: raw ({@code /rt/websocket}) or framed ({@code /rt/<server>/<session>/websocket}). */
  private final class WsConn extends Conn {
    final boolean framed;
    WebSocket ws;

    WsConn(boolean framed) {
      this.framed = framed;
    }

    @Override
    String kind() {
      return framed ? "framed_ws" : "raw_ws";
    }

    @Override
    void open() {
      String uri = framed ? "/rt/" + random.nextInt(1000) + "/" + user + "/websocket" : "/rt/websocket";
      wsClient.connect(new WebSocketConnectOptions().setHost(hp[0]).setPort(Integer.parseInt(hp[1])).setURI(uri))
          .onSuccess(w -> {
            ws = w;
            w.closeHandler(v -> transportClosed());
            w.exceptionHandler(e -> count("ws.error"));
            w.textMessageHandler(this::onFrame);
            if (ending) {
              w.close();
            } else if (!framed) {
              opened();
            }
          })
          .onFailure(this::connectFailed);
    }

    private void onFrame(String text) {
      if (!framed) {
        onText(text);
        return;
      }
      switch (text.isEmpty() ? ' ' : text.charAt(0)) {
        case 'o' -> opened();
        case 'a' -> new JsonArray(text.substring(1)).forEach(m -> onText((String) m));
        case 'c' -> count("sockjs.close_frame");
        default -> {
        }
      }
    }

    @Override
    void write(String json) {
      if (ws != null && !ws.isClosed()) {
        ws.writeTextMessage(framed ? new JsonArray().add(json).encode() : json);
      }
    }

    @Override
    void closeTransport() {
      if (ws != null) {
        ws.close();
      }
    }
  }

  /**
   * SockJS xhr-polling ({@code /xhr} long polls, {@code /xhr_send} posts), sends serialized so
   * that hello comes before join. Ending it abandons the session, like a closed tab: the server
   * drops it after the SockJS session timeout.
   */
  private final class XhrConn extends Conn {
    final String base = "/rt/" + random.nextInt(1000) + "/" + user;
    final List<String> outbox = new ArrayList<>();
    boolean sending;
    boolean open;

    @Override
    String kind() {
      return "xhr";
    }

    @Override
    void open() {
      poll();
    }

    private void poll() {
      if (ending) {
        transportClosed();
        return;
      }
      http.request(HttpMethod.POST, Integer.parseInt(hp[1]), hp[0], base + "/xhr")
          .compose(req -> req.idleTimeout(60_000).send())
          .compose(resp -> resp.body().map(b -> resp.statusCode() == 200 ? b.toString() : null))
          .onComplete(ar -> {
            if (ending) {
              transportClosed();
              return;
            }
            if (ar.failed() || ar.result() == null) {
              if (open) {
                transportClosed();
              } else {
                connectFailed(ar.failed() ? ar.cause() : new IllegalStateException("xhr open refused"));
              }
              return;
            }
            boolean again = true;
            for (String frame : ar.result().split("\n")) {
              if (frame.isEmpty()) {
                continue;
              }
              switch (frame.charAt(0)) {
                case 'o' -> {
                  open = true;
                  opened();
                }
                case 'a' -> new JsonArray(frame.substring(1)).forEach(m -> onText((String) m));
                case 'c' -> {
                  count("sockjs.close_frame");
                  again = false;
                }
                default -> {
                }
              }
            }
            if (again) {
              poll();
            } else {
              transportClosed();
            }
          });
    }

    @Override
    void write(String json) {
      outbox.add(json);
      flush();
    }

    private void flush() {
      if (sending || outbox.isEmpty()) {
        return;
      }
      JsonArray batch = new JsonArray();
      outbox.forEach(batch::add);
      outbox.clear();
      sending = true;
      http.request(HttpMethod.POST, Integer.parseInt(hp[1]), hp[0], base + "/xhr_send")
          .compose(req -> req.putHeader("Content-Type", "text/plain").send(batch.encode()))
          .compose(resp -> resp.body().map(b -> resp.statusCode()))
          .onComplete(ar -> {
            sending = false;
            if (ar.failed() || ar.result() != 204) {
              if (!ending && !stopping) {
                count("xhr_send.failed");
              }
              return;
            }
            flush();
          });
    }

    @Override
    void closeTransport() {
      // the poll in flight comes back with the next heartbeat or message, then stops polling
      transportClosed();
    }
  }

  // ---- standalone -----------------------------------------------------------------------

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o == null) {
      System.out.println(Options.USAGE);
      return;
    }
    Vertx vertx = Vertx.vertx();
    MixedLoad load = new MixedLoad(o);
    vertx.deployVerticle(load).await();
    TimeUnit.SECONDS.sleep(o.durationSeconds);
    vertx.undeploy(load.deploymentID()).await();
    JsonObject stats = load.stats();
    System.out.println("mixed: " + stats.getLong("operations") + " operations in " + o.durationSeconds + " s, "
        + stats.getLong("unexpected") + " unexpected");
    if (o.out != null) {
      Path out = Path.of(o.out);
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.writeString(out, stats.encodePrettily());
    }
    vertx.close().await();
    System.exit(stats.getLong("unexpected") == 0 ? 0 : 1);
  }

  /** Command-line options of the mix. */
  public static final class Options {
    static final String USAGE = """
        usage: java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.MixedLoad [options]
          --targets h:p,h:p       nodes, chosen at random per connection and request (default 127.0.0.1:8080)
          --duration S            seconds (default 60; standalone only)
          --connections N         real-time connections kept open (default 200)
          --connects-per-sec N    pace of new connections (default 30, under the default per-address limit)
          --lifetime-ms N         mean connection lifetime, exponential (default 15000)
          --xhr-share F           share of connections over SockJS xhr-polling (default 0.1)
          --framed-share F        share over SockJS framed WebSocket (default 0.2); the rest raw WebSocket
          --sender-share F        share of connections that send (default 0.2)
          --send-interval-ms N    mean time between a sender's messages (default 2000)
          --rooms N               live rooms at any time (default 30)
          --room-churn F          rooms ended and created per second (default 1)
          --rest-per-sec F        REST reads and publishes per second (default 20)
          --jwt-secret S          HS256 secret of the nodes (default dev-secret)
          --api-key K             API key of the nodes (default dev-key)
          --progress S            print a progress line every S seconds (default 0: never)
          --verbose true          print each failed connect
          --out FILE              JSON stats file (standalone)
        """;
    List<String> targets = List.of("127.0.0.1:8080");
    int durationSeconds = 60;
    int connections = 200;
    double connectsPerSec = 30;
    double lifetimeMs = 15_000;
    double xhrShare = 0.1;
    double framedShare = 0.2;
    double senderShare = 0.2;
    int sendIntervalMs = 2000;
    int rooms = 30;
    double roomChurnPerSec = 1;
    double restPerSec = 20;
    String jwtSecret = "dev-secret";
    String apiKey = "dev-key";
    int progressSec;
    boolean verbose;
    String out;

    /** Parses the options; null for --help. Unknown options fail. */
    public static Options parse(String[] args) {
      Options o = new Options();
      return Args.pairs(args, USAGE, o::set) ? o.check() : null;
    }

    /** Sets one option; false when {@code name} is not one of these. */
    public boolean set(String name, String v) {
      switch (name) {
        case "--targets" -> targets = List.of(v.split(","));
        case "--duration" -> durationSeconds = Integer.parseInt(v);
        case "--connections" -> connections = Integer.parseInt(v);
        case "--connects-per-sec" -> connectsPerSec = Double.parseDouble(v);
        case "--lifetime-ms" -> lifetimeMs = Double.parseDouble(v);
        case "--xhr-share" -> xhrShare = Double.parseDouble(v);
        case "--framed-share" -> framedShare = Double.parseDouble(v);
        case "--sender-share" -> senderShare = Double.parseDouble(v);
        case "--send-interval-ms" -> sendIntervalMs = Integer.parseInt(v);
        case "--rooms" -> rooms = Integer.parseInt(v);
        case "--room-churn" -> roomChurnPerSec = Double.parseDouble(v);
        case "--rest-per-sec" -> restPerSec = Double.parseDouble(v);
        case "--jwt-secret" -> jwtSecret = v;
        case "--api-key" -> apiKey = v;
        case "--progress" -> progressSec = Integer.parseInt(v);
        case "--verbose" -> verbose = Boolean.parseBoolean(v);
        case "--out" -> out = v;
        default -> {
          return false;
        }
      }
      return true;
    }

    public Options check() {
      if (connections < 0 || rooms < 1 || connectsPerSec <= 0 || lifetimeMs < 100 || xhrShare + framedShare > 1
          || durationSeconds < 1) {
        throw new IllegalArgumentException("bad options: connections >= 0, rooms >= 1, connects-per-sec > 0, "
            + "lifetime-ms >= 100, xhr-share + framed-share <= 1, duration >= 1");
      }
      return this;
    }

    public JsonObject describe() {
      return new JsonObject().put("targets", String.join(",", targets)).put("connections", connections)
          .put("connectsPerSec", connectsPerSec).put("lifetimeMs", lifetimeMs).put("xhrShare", xhrShare)
          .put("framedShare", framedShare).put("senderShare", senderShare).put("sendIntervalMs", sendIntervalMs)
          .put("rooms", rooms).put("roomChurnPerSec", roomChurnPerSec).put("restPerSec", restPerSec);
    }
  }
}
