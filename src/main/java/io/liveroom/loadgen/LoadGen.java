package io.liveroom.loadgen;

import io.vertx.core.Future;
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
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * liveroom's load generator: real-time clients over SockJS's raw WebSocket transport
 * ({@code /rt/websocket}) speaking the liveroom protocol. Subscribers join rooms, publishers
 * send at a fixed total rate, and every subscriber measures end-to-end latency (the publisher's
 * send time travels in the text; both sides are this process, so one clock) and checks each
 * room's {@code seq} for gaps and duplicates. Bounded by {@code --duration}; writes a JSON
 * result. Run: {@code java -cp liveroom.jar io.liveroom.loadgen.LoadGen --help}.
 *
 * <p>{@code main} drives the run from its own thread and waits with {@code Future.await()}; the
 * connections' callbacks run on the Vert.x event loops, which never block.
 */
public final class LoadGen {
  private static final String PREFIX = "lg ";

  private final Options o;
  private final Vertx vertx;
  private final JWTAuth jwt;
  private final List<Conn> subscribers = new ArrayList<>();
  private final List<Conn> publishers = new ArrayList<>();
  private final Recorder latency = new Recorder(3);
  private final AtomicLong deliveries = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong connectFailures = new AtomicLong();
  private final Map<String, AtomicLong> maxAckedSeq = new HashMap<>();
  private volatile boolean measuring;
  private int clientIndex;
  /** One client per source address, kept referenced: Vert.x closes clients that become garbage. */
  private final Map<String, WebSocketClient> clients = new HashMap<>();

  private LoadGen(Options o) {
    this.o = o;
    this.vertx = Vertx.vertx();
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(o.jwtSecret)));
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o == null) {
      System.out.println(Options.USAGE);
      return;
    }
    LoadGen g = new LoadGen(o);
    try {
      JsonObject result = g.run();
      System.out.println(summary(result));
      if (o.out != null) {
        Path out = Path.of(o.out);
        if (out.getParent() != null) {
          Files.createDirectories(out.getParent());
        }
        Files.writeString(out, result.encodePrettily());
      }
    } finally {
      try {
        g.vertx.close().await(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // thousands of sockets closing: the process ends anyway
      }
    }
    System.exit(0);
  }

  private JsonObject run() throws Exception {
    List<String> rooms = new ArrayList<>();
    for (int r = 0; r < o.rooms; r++) {
      rooms.add(o.rooms == 1 ? o.room : o.room + "-" + r);
    }
    createRooms(rooms);
    rooms.forEach(r -> maxAckedSeq.put(r, new AtomicLong()));
    long t0 = System.nanoTime();
    connectAll(rooms);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    log("connected %d subscribers and %d publishers in %.1f s (%d failed)", subscribers.size(), publishers.size(),
        connectSeconds, connectFailures.get());

    long periodicId = startPublishing(rooms);
    sleep(o.warmupSeconds * 1000L);
    latency.reset();
    long deliveredBefore = deliveries.get();
    long cpu0 = ServerStats.cpuTicks(o.serverPids);
    measuring = true;
    long m0 = System.nanoTime();
    sleep(o.durationSeconds * 1000L);
    measuring = false;
    double window = (System.nanoTime() - m0) / 1e9;
    long cpu1 = ServerStats.cpuTicks(o.serverPids);
    long delivered = deliveries.get() - deliveredBefore;
    var hist = latency.getIntervalHistogram();
    vertx.cancelTimer(periodicId);
    sleep(2000); // let the last items arrive before counting gaps

    long gaps = 0;
    long duplicates = 0;
    for (Conn c : subscribers) {
      duplicates += c.duplicates;
      gaps += c.gaps;
      long expected = maxAckedSeq.get(c.room).get();
      if (c.lastSeq < expected) {
        gaps += expected - c.lastSeq;
      }
    }
    JsonObject figures = new JsonObject()
        .put("subscribers", subscribers.size())
        .put("publishers", publishers.size())
        .put("rooms", rooms.size())
        .put("connections", subscribers.size() + publishers.size())
        .put("connectFailures", connectFailures.get())
        .put("connectSeconds", round(connectSeconds))
        .put("messagesSent", sent.get())
        .put("messagesAcked", acked.get())
        .put("messagesInPerSecond", round(acked.get() / (o.warmupSeconds + window)))
        .put("deliveriesPerSecond", round(delivered / window))
        .put("p50Ms", round(hist.getValueAtPercentile(50) / 1000.0))
        .put("p99Ms", round(hist.getValueAtPercentile(99) / 1000.0))
        .put("p999Ms", round(hist.getValueAtPercentile(99.9) / 1000.0))
        .put("maxMs", round(hist.getMaxValue() / 1000.0))
        .put("latencySamples", hist.getTotalCount())
        .put("gaps", gaps)
        .put("duplicates", duplicates)
        .put("dropped", refused.get());
    if (!o.serverPids.isEmpty()) {
      figures.put("serverCpuPercent", round(ServerStats.cpuPercent(cpu1 - cpu0, window)));
    }
    if (!o.metricsUrls.isEmpty()) {
      figures.put("heapMiB", round(ServerStats.heapBytes(vertx, o.metricsUrls) / 1048576.0));
    }
    JsonObject targets = new JsonObject();
    boolean met = true;
    for (String e : o.expects) {
      boolean atMost = e.contains("<=");
      String[] kv = e.split(atMost ? "<=" : ">=");
      double want = Double.parseDouble(kv[1]);
      Double got = figures.getDouble(kv[0]);
      targets.put(kv[0], (atMost ? "<= " : ">= ") + kv[1]);
      met &= got != null && (atMost ? got <= want : got >= want);
    }
    return new JsonObject()
        .put("scenario", o.scenario)
        .put("figures", figures)
        .put("targets", targets)
        .put("met", met)
        .put("jvmFlags", o.serverFlags)
        .put("command", o.command)
        .put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.version"))
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("startedAt", Instant.now().toString())
        .put("loadgen", o.describe());
  }

  private void createRooms(List<String> rooms) {
    if (o.apiKey == null) {
      return;
    }
    WebClient web = WebClient.create(vertx);
    String[] target = o.targets.get(0).split(":");
    List<Future<?>> all = new ArrayList<>();
    for (String r : rooms) {
      all.add(web.post(Integer.parseInt(target[1]), target[0], "/api/v1/rooms")
          .bearerTokenAuthentication(o.apiKey)
          .sendJsonObject(new JsonObject().put("id", r).put("title", "load " + r).put("ownerId", "loadgen-host")
              .put("maxMembers", 10_000_000))
          .map(resp -> {
            if (resp.statusCode() != 201 && resp.statusCode() != 409) {
              throw new IllegalStateException("create " + r + ": " + resp.statusCode() + " " + resp.bodyAsString());
            }
            return resp;
          }));
      if (all.size() >= 200) {
        Future.all(all).await();
        all.clear();
      }
    }
    Future.all(all).await();
  }

  private void connectAll(List<String> rooms) {
    List<Future<Conn>> pending = new ArrayList<>();
    for (int i = 0; i < o.subscribers; i++) {
      pending.add(connect(rooms.get(i % rooms.size()), false));
      if (pending.size() >= o.connectBatch) {
        collect(pending);
      }
    }
    for (int i = 0; i < o.publishers; i++) {
      pending.add(connect(rooms.get(i % rooms.size()), true));
    }
    collect(pending);
  }

  private void collect(List<Future<Conn>> pending) {
    Future.join(pending).otherwiseEmpty().await();
    for (Future<Conn> f : pending) {
      if (f.succeeded()) {
        (f.result().publisher ? publishers : subscribers).add(f.result());
      } else {
        connectFailures.incrementAndGet();
      }
    }
    pending.clear();
  }

  private Future<Conn> connect(String room, boolean publisher) {
    int i = clientIndex++;
    List<String> targets = publisher ? o.pubTargets : o.targets;
    String target = targets.get(i % targets.size());
    String[] hp = target.split(":");
    String source = o.sourceIps.isEmpty() ? "" : o.sourceIps.get(i % o.sourceIps.size());
    WebSocketClient client = clients.computeIfAbsent(source, src -> {
      WebSocketClientOptions wo = new WebSocketClientOptions().setTryUsePerMessageCompression(false)
          .setMaxConnections(1_000_000);
      if (!src.isEmpty()) {
        wo.setLocalAddress(src);
      }
      return vertx.createWebSocketClient(wo);
    });
    Conn c = new Conn(room, publisher, "lg-" + (publisher ? "p" : "s") + i);
    return client.connect(new WebSocketConnectOptions().setHost(hp[0]).setPort(Integer.parseInt(hp[1]))
            .setURI("/rt/websocket").setTimeout(30_000))
        .compose(ws -> c.start(ws));
  }

  private long startPublishing(List<String> rooms) {
    if (publishers.isEmpty() || o.rate <= 0) {
      return -1;
    }
    // one tick every 10 ms; each tick sends the messages due since the start (no drift)
    long start = System.nanoTime();
    long[] done = {0};
    int[] next = {0};
    return vertx.setPeriodic(10, id -> {
      long due = (long) ((System.nanoTime() - start) / 1e9 * o.rate);
      while (done[0] < due) {
        publishers.get(next[0]++ % publishers.size()).publish();
        done[0]++;
      }
    });
  }

  /** One client connection: hello, join, then receive (and, for publishers, send). */
  private final class Conn {
    final String room;
    final boolean publisher;
    final String user;
    WebSocket ws;
    long nextId = 1;
    long lastSeq;
    long epoch = -1;
    long gaps;
    long duplicates;

    Conn(String room, boolean publisher, String user) {
      this.room = room;
      this.publisher = publisher;
      this.user = user;
    }

    Future<Conn> start(WebSocket ws) {
      this.ws = ws;
      io.vertx.core.Promise<Conn> ready = io.vertx.core.Promise.promise();
      String token = jwt.generateToken(new JsonObject().put("sub", user).put("name", user),
          new JWTOptions().setExpiresInSeconds(24 * 3600));
      ws.textMessageHandler(text -> onText(text, ready));
      ws.closeHandler(v -> ready.tryFail("closed"));
      ws.writeTextMessage(new JsonObject().put("id", nextId++).put("op", "hello").put("v", 1).put("token", token).encode());
      return ready.future();
    }

    void publish() {
      sent.incrementAndGet();
      ws.writeTextMessage(new JsonObject().put("id", nextId++).put("op", "send").put("room", room)
          .put("body", new JsonObject().put("text", PREFIX + System.nanoTime())).encode());
    }

    void onText(String text, io.vertx.core.Promise<Conn> ready) {
      JsonObject m = new JsonObject(text);
      String push = m.getString("push");
      if (push == null) {
        long id = m.getLong("id", -1L);
        if (!m.getBoolean("ok", false)) {
          if (id <= 2) {
            ready.tryFail(m.encode());
          } else {
            refused.incrementAndGet();
          }
        } else if (id == 1) {
          ws.writeTextMessage(new JsonObject().put("id", nextId++).put("op", "join").put("room", room).encode());
        } else if (id == 2) {
          epoch = m.getLong("epoch");
          lastSeq = m.getLong("seq");
          ready.tryComplete(this);
        } else if (publisher) {
          acked.incrementAndGet();
          maxAckedSeq.get(room).accumulateAndGet(m.getLong("seq"), Math::max);
        }
        return;
      }
      if (!"danmaku".equals(push) || publisher) {
        return;
      }
      long now = System.nanoTime();
      if (m.getLong("epoch") != epoch) {
        epoch = m.getLong("epoch");
        lastSeq = 0;
      }
      JsonArray items = m.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        JsonObject it = items.getJsonObject(i);
        long seq = it.getLong("seq");
        if (seq <= lastSeq) {
          duplicates++;
          continue;
        }
        if (seq > lastSeq + 1) {
          gaps += seq - lastSeq - 1;
        }
        lastSeq = seq;
        deliveries.incrementAndGet();
        String t = it.getString("text");
        if (measuring && t.startsWith(PREFIX)) {
          long sentAt = Long.parseLong(t.substring(PREFIX.length()));
          latency.recordValue(Math.max(0, (now - sentAt) / 1000)); // microseconds
        }
      }
    }
  }

  private static String summary(JsonObject r) {
    JsonObject f = r.getJsonObject("figures");
    return String.format("%s: %d subscribers, %.0f deliveries/s, p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, "
            + "gaps %d, duplicates %d, refused %d", r.getString("scenario"), f.getInteger("subscribers"),
        f.getDouble("deliveriesPerSecond"), f.getDouble("p50Ms"), f.getDouble("p99Ms"), f.getDouble("p999Ms"),
        f.getLong("gaps"), f.getLong("duplicates"), f.getLong("dropped"));
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static void sleep(long ms) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(ms);
  }

  private static void log(String fmt, Object... args) {
    System.out.printf("[loadgen] " + fmt + "%n", args);
  }

  /** Command-line options. */
  static final class Options {
    static final String USAGE = """
        usage: java -cp liveroom.jar io.liveroom.loadgen.LoadGen [options]
          --targets h:p,h:p      edges subscribers connect to, round-robin (default 127.0.0.1:8080)
          --pub-targets h:p,..   edges publishers connect to (default: --targets)
          --room ID              room id, or prefix with --rooms > 1 (default lg-room)
          --rooms N              rooms (default 1)
          --subscribers N        subscribing connections (default 100)
          --publishers N         publishing connections (default 1)
          --rate N               messages per second, all publishers together (default 10)
          --warmup S             seconds before measuring (default 5)
          --duration S           measured seconds (default 20)
          --jwt-secret S         HS256 secret of the nodes (default dev-secret)
          --api-key K            creates the rooms over REST first (default dev-key; 'none' to skip)
          --source-ips a,b       local addresses to connect from (more ephemeral ports)
          --connect-batch N      connections opened concurrently (default 500)
          --scenario NAME        name written into the result (default custom)
          --server-pids p,p      server processes whose CPU is sampled over the measured window
          --metrics-urls u,u     /metrics URLs whose heap use is read at the end
          --server-flags S       the servers' JVM flags, written into the result
          --command S            the command that ran the scenario, written into the result
          --expect F<=V|F>=V     a target for figure F (repeatable); sets "targets" and "met"
          --out FILE             JSON result file
        """;
    List<String> targets = List.of("127.0.0.1:8080");
    List<String> pubTargets;
    String room = "lg-room";
    int rooms = 1;
    int subscribers = 100;
    int publishers = 1;
    double rate = 10;
    int warmupSeconds = 5;
    int durationSeconds = 20;
    String jwtSecret = "dev-secret";
    String apiKey = "dev-key";
    List<String> sourceIps = List.of();
    int connectBatch = 500;
    String scenario = "custom";
    String out;
    List<Long> serverPids = List.of();
    List<String> metricsUrls = List.of();
    String serverFlags = "";
    String command = "";
    List<String> expects = new ArrayList<>();

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--help") || a.equals("-h")) {
          return null;
        }
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        String v = args[++i];
        switch (a) {
          case "--targets" -> o.targets = List.of(v.split(","));
          case "--pub-targets" -> o.pubTargets = List.of(v.split(","));
          case "--room" -> o.room = v;
          case "--rooms" -> o.rooms = Integer.parseInt(v);
          case "--subscribers" -> o.subscribers = Integer.parseInt(v);
          case "--publishers" -> o.publishers = Integer.parseInt(v);
          case "--rate" -> o.rate = Double.parseDouble(v);
          case "--warmup" -> o.warmupSeconds = Integer.parseInt(v);
          case "--duration" -> o.durationSeconds = Integer.parseInt(v);
          case "--jwt-secret" -> o.jwtSecret = v;
          case "--api-key" -> o.apiKey = v.equals("none") ? null : v;
          case "--source-ips" -> o.sourceIps = List.of(v.split(","));
          case "--connect-batch" -> o.connectBatch = Integer.parseInt(v);
          case "--scenario" -> o.scenario = v;
          case "--out" -> o.out = v;
          case "--server-pids" -> o.serverPids = java.util.Arrays.stream(v.split(",")).filter(x -> !x.isBlank())
              .map(Long::parseLong).toList();
          case "--metrics-urls" -> o.metricsUrls = List.of(v.split(","));
          case "--server-flags" -> o.serverFlags = v;
          case "--command" -> o.command = v;
          case "--expect" -> o.expects.add(v);
          default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
        }
      }
      if (o.pubTargets == null) {
        o.pubTargets = o.targets;
      }
      if (o.durationSeconds < 1 || o.durationSeconds > 3600 || o.subscribers < 0 || o.rooms < 1) {
        throw new IllegalArgumentException("duration must be 1..3600 s, rooms >= 1, subscribers >= 0");
      }
      return o;
    }

    JsonObject describe() {
      return new JsonObject().put("targets", String.join(",", targets)).put("pubTargets", String.join(",", pubTargets))
          .put("rooms", rooms)
          .put("subscribers", subscribers).put("publishers", publishers).put("rate", rate)
          .put("warmupSeconds", warmupSeconds).put("durationSeconds", durationSeconds)
          .put("sourceIps", String.join(",", sourceIps));
    }
  }
}
