package io.liveroom.loadgen;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * liveroom's load generator. Its modes:
 * <ul>
 *   <li>{@code pubsub} (default): real-time clients over the raw WebSocket transport
 *       ({@code /rt/websocket}) speaking the liveroom protocol. Subscribers join rooms,
 *       publishers send at a fixed total rate, and every receiver measures end-to-end latency
 *       (the publisher's send time travels in the text; both sides are this process, so one
 *       clock) and checks each room's {@code seq} for gaps and duplicates;</li>
 *   <li>{@code idle}: connections that join rooms and stay silent; heap and RSS per connection
 *       after full GCs of the servers;</li>
 *   <li>{@code failover}: pubsub traffic over several nodes, one of which is killed with
 *       SIGKILL; time until every room answers again, client recovery, acknowledged items
 *       lost and {@code (epoch, seq)} seen with two texts;</li>
 *   <li>{@code http-create}: {@code POST /api/v1/rooms} from {@code wrk} or from this process
 *       ({@link HttpLoad});</li>
 * </ul>
 * Bounded by {@code --duration}; writes a JSON result in the shape of BENCHMARKS.md. Run:
 * {@code java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.LoadGen --help}.
 *
 * <p>{@code main} drives the run from its own thread and waits with {@code Future.await()}; the
 * connections' callbacks run on the Vert.x event loops, which never block.
 */
public final class LoadGen {
  private static final String PREFIX = "lg ";

  private final Options o;
  private static final String FANOUT_BUCKETS = "liveroom_fanout_latency_seconds_bucket";
  private static final String DROPPED = "liveroom_messages_dropped_total";
  private static final ServerStats.Series DROPPED_TOTAL = new ServerStats.Series(DROPPED);
  /** Bytes of whole fan-out frames the node wrote to raw WebSockets, plain and compressed. */
  private static final ServerStats.Series RAW_FANOUT_BYTES = new ServerStats.Series("liveroom_fanout_raw_bytes_total{");
  private final Vertx vertx;
  private final JWTAuth jwt;
  private final List<Conn> subscribers = new ArrayList<>();
  private final List<Conn> publishers = new ArrayList<>();
  private final Recorder latency = new Recorder(3);
  /** Counted on every event loop at millions a second: a LongAdder does not bounce one cache line between them. */
  private final LongAdder deliveries = new LongAdder();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong connectFailures = new AtomicLong();
  private final AtomicLong joinRetries = new AtomicLong();
  /** Text frames that were not JSON: never expected from a correct server. */
  private final AtomicLong badFrames = new AtomicLong();
  /** Gaps as receivers meet them, for the progress lines: touched only when an item is missing. */
  private final LongAdder gapsSeen = new LongAdder();
  /** Duplicates as receivers meet them, for the steps of a curve. */
  private final LongAdder duplicatesSeen = new LongAdder();
  private final Map<String, AtomicLong> maxAckedSeq = new HashMap<>();
  /** Failover mode only: every acknowledged and every received item. */
  private final Ledger ledger;
  private volatile boolean measuring;
  /** Latency counts items sent from this time on (System.nanoTime). */
  private volatile long measureFrom = Long.MAX_VALUE;
  /** ... and sent before this time (a curve's step; System.nanoTime). */
  private volatile long measureTo = Long.MAX_VALUE;
  /** Failover mode: connections that were cut and have not joined again yet; when the last one did. */
  private final AtomicInteger cut = new AtomicInteger();
  private final AtomicInteger rejoined = new AtomicInteger();
  private final AtomicLong lastRejoinNanos = new AtomicLong();
  private final AtomicLong reconnectAttempts = new AtomicLong();
  private volatile boolean stopping;
  private volatile String deadTarget;
  private int clientIndex;
  /** One client per source address, kept referenced: Vert.x closes clients that become garbage. */
  private final Map<String, WebSocketClient> clients = new ConcurrentHashMap<>();
  private List<Context> loops;

  LoadGen(Options o, Vertx vertx) {
    this.o = o;
    this.vertx = vertx;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(o.jwtSecret)));
    this.ledger = o.mode.equals("failover") ? new Ledger() : null;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o == null) {
      System.out.println(Options.USAGE);
      return;
    }
    Instant startedAt = Instant.now();
    long selfCpuAtStart = ServerStats.selfCpuNanos();
    double loadAtStart = o.loadAtStart >= 0 ? o.loadAtStart : Results.loadAverage();
    // epoll where Netty has it: the load generator shares the machine, so its own cost per frame counts
    Vertx vertx = Vertx.builder().with(new io.vertx.core.VertxOptions().setPreferNativeTransport(true)
        .setEventLoopPoolSize(Math.max(1, o.eventLoops))).build();
    int status = 0;
    try {
      JsonObject figures = switch (o.mode) {
        case "pubsub" -> new LoadGen(o, vertx).runPubSub();
        case "curve" -> new LoadGen(o, vertx).runCurve();
        case "idle" -> new LoadGen(o, vertx).runIdle();
        case "failover" -> new LoadGen(o, vertx).runFailover();
        case "http-create" -> new HttpLoad(o, vertx).runCreate();
        default -> throw new IllegalArgumentException("unknown mode " + o.mode);
      };
      // every result says what the load generator itself cost over its whole run (connecting
      // included); the pubsub modes also give its share over the measured window
      figures.put("loadgenCpuSecondsRun", round((ServerStats.selfCpuNanos() - selfCpuAtStart) / 1e9));
      JsonObject result = Results.of(o, figures, startedAt, loadAtStart);
      System.out.println(Results.summary(result));
      Results.write(result, o.out);
      plot(result, o.out);
    } catch (Exception e) {
      System.err.println("[loadgen] failed: " + e);
      e.printStackTrace();
      status = 1;
    } finally {
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        // thousands of sockets closing: the process ends anyway
      }
    }
    System.exit(status);
  }

  /** The result's PNG plots beside its JSON; a plot that fails is reported and leaves the result as it is. */
  private static void plot(JsonObject result, String out) {
    if (out == null) {
      return;
    }
    try {
      for (Path p : Plots.write(result, Path.of(out))) {
        log("plot: %s", p);
      }
    } catch (IOException | RuntimeException | LinkageError e) {
      System.err.println("[loadgen] no plots: " + e);
    }
  }

  private List<String> roomIds() {
    List<String> rooms = new ArrayList<>();
    for (int r = 0; r < o.rooms; r++) {
      rooms.add(o.rooms == 1 ? o.room : o.room + "-" + r);
    }
    return rooms;
  }

  /** Subscribers and publishers in rooms, publishing at {@code --rate}: fanout-hot, many-rooms, latency. */
  JsonObject runPubSub() throws Exception {
    List<String> rooms = roomIds();
    createRooms(rooms);
    rooms.forEach(r -> maxAckedSeq.put(r, new AtomicLong()));
    long t0 = System.nanoTime();
    connectAll(rooms);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    log("connected %d subscribers and %d publishers in %.1f s (%d failed)", subscribers.size(), publishers.size(),
        connectSeconds, connectFailures.get());

    long periodicId = startPublishing(o.rate);
    // the drop counters are read 2 s before the window: a /metrics scrape of a loaded node takes
    // a few hundred ms, and it should not stall the window's first items
    sleep(Math.max(0, o.warmupSeconds - 2) * 1000L);
    Map<String, Double> dropped0 = ServerStats.series(o.metricsUrls, DROPPED);
    Map<String, Double> fanout0 = ServerStats.series(o.metricsUrls, FANOUT_BUCKETS);
    sleep(Math.min(2, o.warmupSeconds) * 1000L);
    latency.reset();
    long deliveredBefore = deliveries.sum();
    long ackedBefore = acked.get();
    long cpu0 = ServerStats.cpuTicks(o.serverPids);
    long self0 = ServerStats.selfCpuNanos();
    if (o.jfr != null) {
      ServerStats.jfrStart(o.serverPids);
    }
    long m0 = System.nanoTime();
    measureFrom = m0;
    measuring = true;
    JsonObject figures = new JsonObject();
    try (ServerStats.Sampler sampler = new ServerStats.Sampler(o.serverPids, o.metricsUrls, DROPPED_TOTAL)) {
      double droppedBefore = ServerStats.sum(dropped0);
      Progress progress = new Progress("deliveries", "deliveries/s", o.durationSeconds, () -> {
        double d = sampler.counted();
        return "gaps " + gapsSeen.sum() + (d < 0 ? "" : ", dropped " + (long) (d - droppedBefore))
            + ", refused " + refused.get();
      });
      // one interval histogram a second: the p99 of each second shows periodic stalls, their sum is the whole
      long deliveredSoFar = deliveredBefore;
      for (int sec = 0; sec < o.durationSeconds; sec++) {
        sleep(Math.max(0, m0 + (sec + 1) * 1_000_000_000L - System.nanoTime()) / 1_000_000);
        long d = deliveries.sum();
        progress.second(latency.getIntervalHistogram(), d - deliveredSoFar);
        deliveredSoFar = d;
      }
      org.HdrHistogram.Histogram hist = progress.window();
      measuring = false;
      double window = (System.nanoTime() - m0) / 1e9;
      long cpu1 = ServerStats.cpuTicks(o.serverPids);
      long self1 = ServerStats.selfCpuNanos();
      long delivered = deliveries.sum() - deliveredBefore;
      long ackedIn = acked.get() - ackedBefore;
      Map<String, Double> fanout1 = ServerStats.series(o.metricsUrls, FANOUT_BUCKETS);
      Map<String, Double> dropped1 = ServerStats.series(o.metricsUrls, DROPPED);
      progress.putSeries(figures);
      if (o.jfr != null) {
        figures.put("jfr", String.join(",", ServerStats.jfrStop(o.serverPids, o.jfr)));
      }
      vertx.cancelTimer(periodicId);
      List<Conn> receivers = new ArrayList<>(subscribers);
      if (o.publishersReceive) {
        receivers.addAll(publishers);
      }
      // items still on their way are late, not lost: wait (at most 60 s) until every receiver has the
      // last acknowledged item of its room before counting gaps
      long c0 = System.nanoTime();
      sleep(500);
      for (int i = 0; i < 120 && receivers.stream().anyMatch(c -> c.lastSeq < maxAckedSeq.get(c.room).get()); i++) {
        sleep(500);
      }
      figures.put("catchUpSeconds", round((System.nanoTime() - c0) / 1e9));
      stopping = true;

      long gaps = 0;
      long duplicates = 0;
      for (Conn c : receivers) {
        duplicates += c.duplicates;
        gaps += c.gaps;
        long expected = maxAckedSeq.get(c.room).get();
        if (c.lastSeq < expected) {
          gaps += expected - c.lastSeq;
        }
      }
      figures
          .put("subscribers", subscribers.size())
          .put("publishers", publishers.size())
          .put("rooms", rooms.size())
          .put("connections", subscribers.size() + publishers.size())
          .put("connectFailures", connectFailures.get())
          .put("joinRetries", joinRetries.get())
          .put("connectSeconds", round(connectSeconds))
          .put("messagesSent", sent.get())
          .put("messagesAcked", acked.get())
          .put("messagesInPerSecond", round(ackedIn / window))
          .put("deliveriesPerSecond", round(delivered / window))
          .put("p50Ms", round(hist.getValueAtPercentile(50) / 1000.0))
          .put("p99Ms", round(hist.getValueAtPercentile(99) / 1000.0))
          .put("p999Ms", round(hist.getValueAtPercentile(99.9) / 1000.0))
          .put("maxMs", round(hist.getMaxValue() / 1000.0))
          .put("latencySamples", hist.getTotalCount())
          .put("gaps", gaps)
          .put("duplicates", duplicates)
          // items the server did not deliver (slow consumers, backlog), and sends it refused
          .put("dropped", (long) (ServerStats.sum(dropped1) - ServerStats.sum(dropped0)))
          .put("droppedByReason", droppedByReason(dropped0, dropped1))
          // the server's own share: from the owner accepting an item to the edge having written its frame
          .put("serverFanoutP50Ms", ServerStats.histogramPercentileMs(fanout0, fanout1, 50))
          .put("serverFanoutP99Ms", ServerStats.histogramPercentileMs(fanout0, fanout1, 99))
          .put("refused", refused.get())
          .put("badFrames", badFrames.get())
          .put("latencySample", o.latencySample);
      loadgenCpu(figures, self1 - self0, window, delivered);
      serverFigures(figures, sampler, cpu1 - cpu0, window);
      if (!o.serverPids.isEmpty()) {
        figures.put("serverCpuMsPer1kDeliveries", Curve.msPer1k((cpu1 - cpu0) * 10.0, delivered));
      }
    }
    return figures;
  }

  /**
   * A load curve: the pubsub set-up, connected once, with the publish rate stepped through
   * {@code --rates}; each step is measured for {@code --duration} seconds after its own warm-up
   * ({@code --warmup} before the first, {@code --step-warmup} before the others), the node and the
   * connections staying up between steps. A step's latency counts the items sent inside its window,
   * also those that arrive during the next step's warm-up; its gaps are those the receivers met in
   * its window. At the end, once the last items are in, any item still missing counts as a gap of
   * the whole run ({@code gaps}).
   */
  JsonObject runCurve() throws Exception {
    if (o.rates.isEmpty()) {
      throw new IllegalArgumentException("curve needs --rates r1,r2,...");
    }
    List<String> rooms = roomIds();
    createRooms(rooms);
    rooms.forEach(r -> maxAckedSeq.put(r, new AtomicLong()));
    long t0 = System.nanoTime();
    connectAll(rooms);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    log("connected %d subscribers and %d publishers in %.1f s (%d failed)", subscribers.size(), publishers.size(),
        connectSeconds, connectFailures.get());
    JsonArray steps = new JsonArray();
    JsonObject open = null; // the last step, whose late items are still arriving
    org.HdrHistogram.Histogram openLatency = null;
    int expected = subscribers.size() + (o.publishersReceive ? publishers.size() : 0);
    try (ServerStats.Sampler sampler = new ServerStats.Sampler(o.serverPids, o.metricsUrls, DROPPED_TOTAL)) {
      for (int k = 0; k < o.rates.size(); k++) {
        double rate = o.rates.get(k);
        long periodicId = startPublishing(rate);
        int warmup = k == 0 ? o.warmupSeconds : o.stepWarmupSeconds;
        log("step %d/%d: %s messages/s to %d receivers, %d s warm-up, %d s measured", k + 1, o.rates.size(),
            rate, expected, warmup, o.durationSeconds);
        sleep(warmup * 1000L);
        long m0 = System.nanoTime();
        measureFrom = m0;
        measureTo = m0 + o.durationSeconds * 1_000_000_000L;
        measuring = true;
        if (open != null) {
          // what arrived during this warm-up of the previous step's items completes its latency
          openLatency.add(latency.getIntervalHistogram());
          steps.add(stepLatency(open, openLatency));
          log("%s", Curve.line(open));
        } else {
          latency.reset();
        }
        long delivered0 = deliveries.sum();
        long gaps0 = gapsSeen.sum();
        long duplicates0 = duplicatesSeen.sum();
        long acked0 = acked.get();
        long refused0 = refused.get();
        double dropped0 = sampler.counted();
        double wire0 = ServerStats.count(o.metricsUrls, RAW_FANOUT_BYTES);
        long cpu0 = ServerStats.cpuTicks(o.serverPids);
        long self0 = ServerStats.selfCpuNanos();
        Progress progress = new Progress("deliveries", "deliveries/s", o.durationSeconds,
            () -> "gaps " + (gapsSeen.sum() - gaps0) + ", refused " + (refused.get() - refused0));
        long soFar = delivered0;
        for (int sec = 0; sec < o.durationSeconds; sec++) {
          sleep(Math.max(0, m0 + (sec + 1) * 1_000_000_000L - System.nanoTime()) / 1_000_000);
          long d = deliveries.sum();
          progress.second(latency.getIntervalHistogram(), d - soFar);
          soFar = d;
        }
        double window = (System.nanoTime() - m0) / 1e9;
        long cpu1 = ServerStats.cpuTicks(o.serverPids);
        long self1 = ServerStats.selfCpuNanos();
        long delivered = deliveries.sum() - delivered0;
        double dropped1 = sampler.counted();
        double wire1 = ServerStats.count(o.metricsUrls, RAW_FANOUT_BYTES);
        vertx.cancelTimer(periodicId);
        open = new JsonObject()
            .put("rate", rate)
            .put("seconds", round(window))
            .put("messagesInPerSecond", round((acked.get() - acked0) / window))
            .put("deliveriesPerSecond", round(delivered / window))
            .put("expectedDeliveriesPerSecond", round(rate * expected))
            .put("gaps", gapsSeen.sum() - gaps0)
            .put("duplicates", duplicatesSeen.sum() - duplicates0)
            .put("refused", refused.get() - refused0)
            .put("dropped", dropped0 < 0 || dropped1 < 0 ? null : (long) (dropped1 - dropped0))
            // bytes the node wrote per delivery (frame headers included), plain or compressed
            .put("wireBytesPerDelivery", wire0 < 0 || wire1 < 0 || delivered == 0 || o.metricsUrls.isEmpty() ? null
                : round((wire1 - wire0) / delivered));
        if (!o.serverPids.isEmpty()) {
          open.put("serverCpuPercent", round(ServerStats.cpuPercent(cpu1 - cpu0, window)))
              .put("serverCpuMsPer1kDeliveries", Curve.msPer1k((cpu1 - cpu0) * 10.0, delivered));
        }
        loadgenCpu(open, self1 - self0, window, delivered);
        JsonObject series = new JsonObject();
        progress.putSeries(series);
        open.put("deliveriesBySecond", series.getValue("deliveriesBySecond"))
            .put("p99MsBySecond", series.getValue("p99MsBySecond"));
        openLatency = progress.window().copy();
      }
      // the last step's late items, then every receiver's last item (at most 60 s), as pubsub does
      long c0 = System.nanoTime();
      List<Conn> receivers = new ArrayList<>(subscribers);
      if (o.publishersReceive) {
        receivers.addAll(publishers);
      }
      sleep(500);
      for (int i = 0; i < 120 && receivers.stream().anyMatch(c -> c.lastSeq < maxAckedSeq.get(c.room).get()); i++) {
        sleep(500);
      }
      measuring = false;
      openLatency.add(latency.getIntervalHistogram());
      steps.add(stepLatency(open, openLatency));
      log("%s", Curve.line(open));
      stopping = true;
      long missing = 0;
      for (Conn c : receivers) {
        missing += Math.max(0, maxAckedSeq.get(c.room).get() - c.lastSeq);
      }
      JsonObject figures = new JsonObject()
          .put("subscribers", subscribers.size())
          .put("publishers", publishers.size())
          .put("latencySample", o.latencySample)
          .put("connectFailures", connectFailures.get())
          .put("connectSeconds", round(connectSeconds))
          .put("catchUpSeconds", round((System.nanoTime() - c0) / 1e9))
          .put("messagesSent", sent.get())
          .put("messagesAcked", acked.get())
          .put("gaps", gapsSeen.sum() + missing)
          .put("duplicates", duplicatesSeen.sum())
          .put("badFrames", badFrames.get());
      serverFigures(figures, sampler, 0, 1);
      // the knee's figures (and its serverCpuPercent in place of serverFigures' whole-run placeholder)
      return figures.mergeIn(Curve.figures(steps));
    }
  }

  /** A step's figures with its latency: every item sent inside its window that arrived. */
  private static JsonObject stepLatency(JsonObject step, org.HdrHistogram.Histogram h) {
    return step
        .put("p50Ms", round(h.getValueAtPercentile(50) / 1000.0))
        .put("p99Ms", round(h.getValueAtPercentile(99) / 1000.0))
        .put("p999Ms", round(h.getValueAtPercentile(99.9) / 1000.0))
        .put("maxMs", round(h.getMaxValue() / 1000.0))
        .put("latencySamples", h.getTotalCount());
  }

  /**
   * The load generator's own CPU over a window: as a share of the machine (both cores = 100%) and,
   * when it received items, in ms per 1,000 deliveries, beside the servers' figures.
   */
  static void loadgenCpu(JsonObject figures, long cpuNanos, double window, long deliveries) {
    if (cpuNanos < 0) {
      return;
    }
    figures.put("loadgenCpuPercent", round(cpuNanos / 1e9 / window / Runtime.getRuntime().availableProcessors() * 100));
    if (deliveries > 0) {
      figures.put("loadgenCpuMsPer1kDeliveries", Curve.msPer1k(cpuNanos / 1e6, deliveries));
    }
  }

  /** The server's undelivered items from {@code before} to {@code after}, by reason (slow_consumer, backlog, ...). */
  private static JsonObject droppedByReason(Map<String, Double> before, Map<String, Double> after) {
    JsonObject out = new JsonObject();
    after.forEach((series, v) -> {
      long d = (long) (v - before.getOrDefault(series, 0.0));
      if (d > 0) {
        int at = series.indexOf("reason=\"");
        out.put(at < 0 ? series : series.substring(at + 8, series.indexOf('"', at + 8)), d);
      }
    });
    return out;
  }

  /** CPU over the measured window, peak one-second CPU, heap at the end and its peak, RSS peak. */
  private void serverFigures(JsonObject figures, ServerStats.Sampler sampler, long ticks, double window) {
    if (!o.serverPids.isEmpty()) {
      figures.put("serverCpuPercent", round(ServerStats.cpuPercent(ticks, window)));
      figures.put("serverCpuMaxPercent", round(sampler.cpuMaxPercent()));
      figures.put("serverRssMaxMiB", round(sampler.rssMaxBytes() / 1048576.0));
    }
    if (!o.metricsUrls.isEmpty()) {
      figures.put("heapMiB", round(ServerStats.heapBytes(o.metricsUrls) / 1048576.0));
      figures.put("heapMaxMiB", round(sampler.heapMaxBytes() / 1048576.0));
    }
  }

  /**
   * Idle connections: full GC and heap/RSS of the servers, then {@code --subscribers}
   * connections joined to {@code --rooms} rooms that send nothing more, a hold, full GC and
   * heap/RSS again. The difference divided by the connections is the cost of one.
   */
  JsonObject runIdle() throws Exception {
    List<String> rooms = roomIds();
    createRooms(rooms);
    ServerStats.fullGc(o.serverPids);
    double heap0 = ServerStats.heapBytes(o.metricsUrls);
    long rss0 = ServerStats.rssBytes(o.serverPids);
    Map<String, long[]> histo0 = o.serverPids.size() == 1 ? ServerStats.histogram(o.serverPids.get(0)) : Map.of();
    double conns0 = ServerStats.metric(o.metricsUrls, "liveroom_connections");
    long t0 = System.nanoTime();
    connectAll(rooms);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    int n = subscribers.size() + publishers.size();
    log("connected %d idle connections in %.1f s (%d failed); holding %d s", n, connectSeconds,
        connectFailures.get(), o.holdSeconds);
    long cpu0 = ServerStats.cpuTicks(o.serverPids);
    long self0 = ServerStats.selfCpuNanos();
    sleep(o.holdSeconds * 1000L);
    double idleCpu = ServerStats.cpuPercent(ServerStats.cpuTicks(o.serverPids) - cpu0, o.holdSeconds);
    long selfCpu = ServerStats.selfCpuNanos() - self0;
    ServerStats.fullGc(o.serverPids);
    double heap1 = ServerStats.heapBytes(o.metricsUrls);
    long rss1 = ServerStats.rssBytes(o.serverPids);
    double conns1 = ServerStats.metric(o.metricsUrls, "liveroom_connections");
    Map<String, long[]> histo1 = o.serverPids.size() == 1 ? ServerStats.histogram(o.serverPids.get(0)) : Map.of();
    // where the bytes of a connection are: the classes that grew most, per connection
    JsonArray top = new JsonArray();
    histo1.entrySet().stream()
        .map(e -> {
          long[] b = histo0.getOrDefault(e.getKey(), new long[2]);
          return Map.entry(e.getKey(), new long[] {e.getValue()[0] - b[0], e.getValue()[1] - b[1]});
        })
        .filter(e -> e.getValue()[1] > 0)
        .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
        .limit(30)
        .forEach(e -> top.add(new JsonObject().put("class", e.getKey())
            .put("instancesPerConnection", round((double) e.getValue()[0] / Math.max(1, n)))
            .put("bytesPerConnection", round((double) e.getValue()[1] / Math.max(1, n)))));
    JsonObject figures = new JsonObject();
    loadgenCpu(figures, selfCpu, Math.max(1, o.holdSeconds), 0);
    return figures
        .put("connections", n)
        .put("rooms", rooms.size())
        .put("serverConnections", (long) (conns1 - conns0))
        .put("connectFailures", connectFailures.get())
        .put("joinRetries", joinRetries.get())
        .put("connectSeconds", round(connectSeconds))
        .put("connectsPerSecond", round(n / connectSeconds))
        .put("heapBytesPerConnection", Math.round((heap1 - heap0) / Math.max(1, n)))
        .put("rssBytesPerConnection", Math.round((double) (rss1 - rss0) / Math.max(1, n)))
        .put("heapBeforeMiB", round(heap0 / 1048576.0))
        .put("heapAfterMiB", round(heap1 / 1048576.0))
        .put("rssBeforeMiB", round(rss0 / 1048576.0))
        .put("rssAfterMiB", round(rss1 / 1048576.0))
        .put("serverCpuIdlePercent", round(idleCpu))
        .put("heapGrowthByClass", top);
  }

  /**
   * Failover: pubsub traffic over every target, then SIGKILL of {@code --kill-pid} (the node at
   * {@code --kill-target}) after the warm-up. From the kill on, every room is asked for through
   * the survivors until it answers from a live owner; cut clients reconnect to a survivor and
   * join again with {@code since}. At the end every acknowledged item must have reached a client
   * or the room's Redis history.
   */
  JsonObject runFailover() throws Exception {
    if (o.killPid <= 0 || o.killTarget == null || !o.targets.contains(o.killTarget)) {
      throw new IllegalArgumentException("failover needs --kill-pid and --kill-target (one of --targets)");
    }
    List<String> rooms = roomIds();
    createRooms(rooms);
    rooms.forEach(r -> maxAckedSeq.put(r, new AtomicLong()));
    long t0 = System.nanoTime();
    connectAll(rooms);
    log("connected %d subscribers and %d publishers in %.1f s (%d failed)", subscribers.size(), publishers.size(),
        (System.nanoTime() - t0) / 1e9, connectFailures.get());
    List<String> survivors = o.targets.stream().filter(t -> !t.equals(o.killTarget)).toList();
    // a big pool: an ask routed to the dead owner holds its connection for shard.requestTimeoutMs,
    // and the asks queued behind it must not measure the load generator's pool instead of the nodes
    WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
        new io.vertx.core.http.PoolOptions().setHttp1MaxSize(Math.min(1000, Math.max(32, o.rooms / 2))));
    String killedNode = nodeId(web, o.killTarget);
    Map<String, String> ownerBefore = owners(web, survivors.get(0), rooms);
    long onKilled = ownerBefore.values().stream().filter(killedNode::equals).count();

    long periodicId = startPublishing(o.rate);
    sleep(o.warmupSeconds * 1000L);
    latency.reset();
    // the survivors' CPU: the killed node's ticks vanish with it
    List<Long> live = o.serverPids.stream().filter(p -> p != o.killPid).toList();
    List<String> liveUrls = o.metricsUrls.stream().filter(u -> !u.contains(":" + o.killTarget.split(":")[1] + "/"))
        .toList();
    long cpu0 = ServerStats.cpuTicks(live);
    long self0 = ServerStats.selfCpuNanos();
    long delivered0 = deliveries.sum();
    measureFrom = System.nanoTime();
    measuring = true;
    JsonObject figures = new JsonObject();
    try (ServerStats.Sampler sampler = new ServerStats.Sampler(live, liveUrls)) {
      long m0 = System.nanoTime();
      deadTarget = o.killTarget;
      long killNanos = System.nanoTime();
      ProcessHandle.of(o.killPid).ifPresent(ProcessHandle::destroyForcibly);
      log("killed pid %d (%s, node %s, owner of %d of %d rooms)", o.killPid, o.killTarget, killedNode, onKilled,
          rooms.size());
      RoomProbe probe = new RoomProbe(web, survivors, rooms, killedNode, killNanos);
      probe.start();
      Progress progress = new Progress("deliveries", "deliveries/s", o.durationSeconds,
          () -> "rooms answering " + (rooms.size() - probe.pending()) + "/" + rooms.size() + ", clients rejoined "
              + rejoined.get() + "/" + cut.get());
      long delivered = deliveries.sum();
      for (int sec = 0; sec < o.durationSeconds; sec++) {
        sleep(Math.max(0, m0 + (sec + 1) * 1_000_000_000L - System.nanoTime()) / 1_000_000);
        long d = deliveries.sum();
        progress.second(latency.getIntervalHistogram(), d - delivered);
        delivered = d;
      }
      measuring = false;
      double window = (System.nanoTime() - m0) / 1e9;
      long cpu1 = ServerStats.cpuTicks(live);
      loadgenCpu(figures, ServerStats.selfCpuNanos() - self0, window, deliveries.sum() - delivered0);
      vertx.cancelTimer(periodicId);
      sleep(3000); // the last acknowledgements and pushes
      stopping = true;
      var hist = progress.window();
      // only what Redis holds can still be found: every acknowledged item either reached a client or is there
      Ledger.Check check = ledger.check(vertx, o.redisUrl);
      double recovery = probe.slowestSeconds();
      figures
          .put("rooms", rooms.size())
          .put("connections", subscribers.size() + publishers.size())
          .put("roomsOnKilledNode", onKilled)
          .put("recoverySeconds", recovery < 0 ? null : round(recovery))
          .put("roomsNotAnswering", probe.pending())
          .put("movedRoomsMedianSeconds", round(probe.seconds(r -> killedNode.equals(ownerBefore.get(r)))[0]))
          .put("otherRoomsMaxSeconds", round(probe.seconds(r -> !killedNode.equals(ownerBefore.get(r)))[1]))
          .put("clientsCut", cut.get())
          .put("clientsRejoined", rejoined.get())
          .put("clientRecoverySeconds", cut.get() == 0 || rejoined.get() < cut.get() ? null
              : round((lastRejoinNanos.get() - killNanos) / 1e9))
          .put("reconnectAttempts", reconnectAttempts.get())
          .put("joinRetries", joinRetries.get())
          .put("messagesSent", sent.get())
          .put("acked", check.acked())
          .put("ackedLost", check.lost())
          .put("ackedOnlyInRedis", check.onlyInRedis())
          .put("duplicateSeqs", check.conflicts())
          .put("refused", refused.get())
          .put("p50Ms", round(hist.getValueAtPercentile(50) / 1000.0))
          .put("p99Ms", round(hist.getValueAtPercentile(99) / 1000.0))
          .put("maxMs", round(hist.getMaxValue() / 1000.0));
      progress.putSeries(figures);
      if (!live.isEmpty()) {
        figures.put("serverCpuPercent", round(ServerStats.cpuPercent(cpu1 - cpu0, window)));
        figures.put("serverCpuMaxPercent", round(sampler.cpuMaxPercent()));
      }
      if (!liveUrls.isEmpty()) {
        figures.put("heapMiB", round(ServerStats.heapBytes(liveUrls) / 1048576.0));
      }
    }
    return figures;
  }

  private String nodeId(WebClient web, String target) {
    String[] hp = target.split(":");
    HttpResponse<Buffer> r = web.get(Integer.parseInt(hp[1]), hp[0], "/api/v1/stats").bearerTokenAuthentication(o.apiKey)
        .send().await();
    return r.bodyAsJsonObject().getJsonObject("node").getString("nodeId");
  }

  /** The owner node id of each room, from {@code X-Liveroom-Owner}. */
  private Map<String, String> owners(WebClient web, String target, List<String> rooms) {
    String[] hp = target.split(":");
    Map<String, String> out = new ConcurrentHashMap<>();
    List<Future<?>> batch = new ArrayList<>();
    for (String r : rooms) {
      batch.add(web.get(Integer.parseInt(hp[1]), hp[0], "/api/v1/rooms/" + r).bearerTokenAuthentication(o.apiKey)
          .send().onSuccess(resp -> {
            String owner = resp.getHeader("X-Liveroom-Owner");
            if (owner != null) {
              out.put(r, owner);
            }
          }));
      if (batch.size() >= 100) {
        Future.join(batch).otherwiseEmpty().await();
        batch.clear();
      }
    }
    Future.join(batch).otherwiseEmpty().await();
    return out;
  }

  /**
   * Asks for every room through the survivors, each room again 100 ms after its last answer,
   * until it answers 200 from an owner that is not the killed node.
   */
  private final class RoomProbe {
    private final WebClient web;
    private final List<String> survivors;
    private final List<String> rooms;
    private final String killedNode;
    private final long since;
    private final AtomicInteger left;
    private final AtomicLong slowest = new AtomicLong(-1);
    private final Map<String, Long> answered = new ConcurrentHashMap<>();

    RoomProbe(WebClient web, List<String> survivors, List<String> rooms, String killedNode, long since) {
      this.web = web;
      this.survivors = survivors;
      this.rooms = rooms;
      this.killedNode = killedNode;
      this.since = since;
      this.left = new AtomicInteger(rooms.size());
    }

    void start() {
      for (int i = 0; i < rooms.size(); i++) {
        ask(rooms.get(i), i);
      }
    }

    /**
     * Asks again every 250 ms while the room has not answered, without waiting for the asks in
     * flight (one routed to the dead owner waits for {@code shard.requestTimeoutMs}): the room
     * counts as answering at its first good answer, whichever ask brought it.
     */
    private void ask(String room, int i) {
      if (stopping || answered.containsKey(room)) {
        return;
      }
      String[] hp = survivors.get(i % survivors.size()).split(":");
      web.get(Integer.parseInt(hp[1]), hp[0], "/api/v1/rooms/" + room).bearerTokenAuthentication(o.apiKey)
          .timeout(10_000).send().onComplete(ar -> {
            String owner = ar.succeeded() ? ar.result().getHeader("X-Liveroom-Owner") : null;
            if (ar.succeeded() && ar.result().statusCode() == 200 && owner != null && !owner.equals(killedNode)
                && answered.putIfAbsent(room, System.nanoTime() - since) == null) {
              slowest.accumulateAndGet(System.nanoTime() - since, Math::max);
              left.decrementAndGet();
            }
          });
      vertx.setTimer(250, id -> ask(room, i + 1));
    }

    /** The median and the longest time to answer, in seconds, of the rooms {@code which} accepts. */
    double[] seconds(java.util.function.Predicate<String> which) {
      List<Long> t = answered.entrySet().stream().filter(e -> which.test(e.getKey())).map(Map.Entry::getValue)
          .sorted().toList();
      return t.isEmpty() ? new double[] {0, 0} : new double[] {t.get(t.size() / 2) / 1e9, t.get(t.size() - 1) / 1e9};
    }

    /** Seconds from the kill until the last room answered, -1 while some room has not. */
    double slowestSeconds() {
      return left.get() > 0 ? -1 : slowest.get() / 1e9;
    }

    int pending() {
      return left.get();
    }
  }

  private void createRooms(List<String> rooms) {
    if (o.apiKey == null) {
      return;
    }
    WebClient web = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(16));
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
    web.close();
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
      if (pending.size() >= o.connectBatch) {
        collect(pending);
      }
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
        if (connectFailures.get() <= 3) {
          log("connect failed: %s", f.cause());
        }
      }
    }
    pending.clear();
  }

  private Future<Conn> connect(String room, boolean publisher) {
    int i = clientIndex++;
    List<String> targets = publisher ? o.pubTargets : o.targets;
    Conn c = new Conn(room, publisher, "lg-" + (publisher ? "p" : "s") + i, i, i % targets.size());
    // a connection lives on the event loop it was opened from: spread them over all of them
    Promise<Conn> opened = Promise.promise();
    List<Context> loops = eventLoops();
    loops.get(i % loops.size()).runOnContext(v -> c.open(targets.get(c.target)).onComplete(opened));
    return opened.future();
  }

  /**
   * One context per event loop of the load generator's Vert.x. Vert.x 5 gives every call from one
   * non-Vert.x thread the same (sticky) context, so connections opened from the main thread would
   * all share one event loop, and the load generator would read on one core.
   */
  private List<Context> eventLoops() {
    if (loops == null) {
      List<Context> found = new java.util.concurrent.CopyOnWriteArrayList<>();
      int n = Math.max(1, o.eventLoops);
      vertx.deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          found.add(context);
          return Future.succeededFuture();
        }
      }, new DeploymentOptions().setInstances(n)).await();
      loops = List.copyOf(found);
    }
    return loops;
  }

  private WebSocketClient client(int i) {
    String source = o.sourceIps.isEmpty() ? "" : o.sourceIps.get(i % o.sourceIps.size());
    return clients.computeIfAbsent(source, src -> {
      // compressing, the clients offer to drop their own context (as Netty's client can, instead of a
      // browser's smaller window): no deflater kept per connection here, no window of it at the node
      WebSocketClientOptions wo = new WebSocketClientOptions().setTryUsePerMessageCompression(o.deflate)
          .setCompressionAllowClientNoContext(o.deflate)
          .setMaxConnections(1_000_000);
      if (!src.isEmpty()) {
        wo.setLocalAddress(src);
      }
      return vertx.createWebSocketClient(wo);
    });
  }

  private long startPublishing(double rate) {
    if (publishers.isEmpty() || rate <= 0) {
      return -1;
    }
    // one tick every 10 ms; each tick sends the messages due since the start (no drift)
    long start = System.nanoTime();
    long[] done = {0};
    int[] next = {0};
    return vertx.setPeriodic(10, id -> {
      long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
      while (done[0] < due) {
        publishers.get(next[0]++ % publishers.size()).publish();
        done[0]++;
      }
    });
  }

  /** One client connection: hello, join, then receive (and, for publishers, send). */
  private final class Conn implements FrameScan.Items {
    final String room;
    final boolean publisher;
    final boolean receives;
    final String user;
    final int index;
    int target;
    volatile WebSocket ws;
    volatile boolean ready;
    final AtomicLong nextId = new AtomicLong(1);
    long helloId;
    long joinId;
    /** Publisher in failover mode: the text of each send not yet answered, by command id. */
    final Map<Long, String> inflight;
    long lastSeq;
    long epoch = -1;
    long gaps;
    long duplicates;
    long published;
    long cutAt;
    int joinAttempts;
    boolean pinging;
    /** A counting receiver's text message still arriving in fragments. */
    Buffer partial;
    /**
     * Whether this connection records latency (every one, or one in {@code --latency-sample}): it
     * decodes each push as JSON, as a real client does; the others only count ({@link #onFrame}).
     */
    final boolean timed;

    Conn(String room, boolean publisher, String user, int index, int target) {
      this.room = room;
      this.publisher = publisher;
      this.receives = !publisher || o.publishersReceive;
      this.user = user;
      this.index = index;
      this.target = target;
      this.inflight = publisher && ledger != null ? new ConcurrentHashMap<>() : null;
      this.timed = index % o.latencySample == 0;
    }

    Future<Conn> open(String hostPort) {
      String[] hp = hostPort.split(":");
      return client(index).connect(new WebSocketConnectOptions().setHost(hp[0]).setPort(Integer.parseInt(hp[1]))
              .setURI("/rt/websocket").setTimeout(30_000))
          .compose(this::start);
    }

    Future<Conn> start(WebSocket ws) {
      this.ws = ws;
      Promise<Conn> done = Promise.promise();
      String token = jwt.generateToken(new JsonObject().put("sub", user).put("name", user),
          new JWTOptions().setExpiresInSeconds(24 * 3600));
      if (receives && !timed && ledger == null && ChannelScan.install(ws, this)) {
        // a counting receiver: danmaku pushes are read off the channel (no Vert.x frame, String or
        // JSON); what else comes is text for onText
        ws.textMessageHandler(text -> onText(ws, text, done));
      } else if (receives && !timed && ledger == null) {
        ws.frameHandler(frame -> onFrame(ws, frame, done));
      } else {
        ws.textMessageHandler(text -> onText(ws, text, done));
      }
      ws.closeHandler(v -> {
        done.tryFail("closed");
        onClosed(ws);
      });
      helloId = nextId.getAndIncrement();
      ws.writeTextMessage(new JsonObject().put("id", helloId).put("op", "hello").put("v", 1).put("token", token).encode());
      return done.future();
    }

    /** Failover mode: a connection cut by the kill reconnects to the next live target and joins with since. */
    private void onClosed(WebSocket closed) {
      if (ws != closed) {
        return;
      }
      boolean wasReady = ready;
      ready = false;
      if (ledger == null || stopping || !wasReady) {
        return;
      }
      if (cutAt == 0) {
        cutAt = System.nanoTime();
        cut.incrementAndGet();
      }
      reconnect(0);
    }

    private void reconnect(int attempt) {
      if (stopping || attempt > 200) {
        return;
      }
      List<String> targets = publisher ? o.pubTargets : o.targets;
      target = (target + 1) % targets.size();
      String t = targets.get(target);
      if (t.equals(deadTarget)) {
        target = (target + 1) % targets.size();
        t = targets.get(target);
      }
      long delay = 100 + ThreadLocalRandom.current().nextLong(400) + Math.min(2000, attempt * 200L);
      String hostPort = t;
      vertx.setTimer(delay, id -> {
        reconnectAttempts.incrementAndGet();
        open(hostPort).onFailure(e -> reconnect(attempt + 1));
      });
    }

    void publish() {
      WebSocket w = ws;
      if (!ready || w == null) {
        return;
      }
      long id = nextId.getAndIncrement();
      String text = PREFIX + System.nanoTime() + " " + user + "." + (++published);
      if (inflight != null) {
        inflight.put(id, text);
      }
      sent.incrementAndGet();
      w.writeTextMessage(new JsonObject().put("id", id).put("op", "send").put("room", room)
          .put("body", new JsonObject().put("text", text)).encode());
    }

    void onText(WebSocket w, String text, Promise<Conn> done) {
      long now = System.nanoTime();
      JsonObject m;
      try {
        m = new JsonObject(text);
      } catch (io.vertx.core.json.DecodeException e) {
        if (badFrames.incrementAndGet() <= 3) {
          log("not JSON (%d chars): %s", text.length(), text.substring(0, Math.min(120, text.length()))
              .replaceAll("[^\\x20-\\x7e]", "?"));
        }
        return;
      }
      String push = m.getString("push");
      if (push == null) {
        long id = m.getLong("id", -1L);
        if (!m.getBoolean("ok", false)) {
          JsonObject error = m.getJsonObject("error", new JsonObject());
          if (id == joinId && "UNAVAILABLE".equals(error.getString("code")) && joinAttempts < 10) {
            // the owner could not reach Redis in time (a loaded machine): retry as a real client would
            joinRetries.incrementAndGet();
            long delay = 200L * ++joinAttempts;
            vertx.setTimer(delay, t -> sendJoin(w));
          } else if (id == helloId || id == joinId) {
            done.tryFail(m.encode());
            w.close();
          } else {
            refused.incrementAndGet();
            if (inflight != null) {
              inflight.remove(id);
            }
          }
        } else if (id == helloId) {
          joinAttempts = 0;
          sendJoin(w);
        } else if (id == joinId) {
          onJoined(m);
          ready = true;
          heartbeat(w);
          if (cutAt != 0) {
            cutAt = 0;
            rejoined.incrementAndGet();
            lastRejoinNanos.accumulateAndGet(now, Math::max);
          }
          done.tryComplete(this);
        } else if (publisher && m.containsKey("seq")) {
          acked.incrementAndGet();
          long seq = m.getLong("seq");
          maxAckedSeq.get(room).accumulateAndGet(seq, Math::max);
          if (inflight != null) {
            String t = inflight.remove(id);
            if (t != null) {
              ledger.acked(room, m.getLong("epoch"), seq, t);
            }
          }
        }
        return;
      }
      if (!"danmaku".equals(push) || !receives) {
        return;
      }
      long pushEpoch = m.getLong("epoch");
      if (pushEpoch != epoch) {
        epoch = pushEpoch;
        lastSeq = 0;
      }
      JsonArray items = m.getJsonArray("items");
      for (int i = 0; i < items.size(); i++) {
        JsonObject it = items.getJsonObject(i);
        String t = it.getString("text");
        if (ledger != null) {
          ledger.received(room, pushEpoch, it.getLong("seq"), t);
        }
        if (countItem(it.getLong("seq"))) {
          timed(t, now);
        }
      }
    }

    /**
     * A counting receiver's frame: danmaku pushes are read from the frame's bytes
     * ({@link FrameScan}), anything else (replies, other pushes) is decoded as text.
     */
    void onFrame(WebSocket w, WebSocketFrame frame, Promise<Conn> done) {
      if (!frame.isText() && !(frame.isContinuation() && partial != null)) {
        return; // binary frames are not the protocol's; ping, pong and close are Vert.x's
      }
      Buffer data = frame.binaryData();
      if (!frame.isFinal() || partial != null) {
        // a frame over the node's frame limit arrives in fragments: rare, so simply gathered
        partial = partial == null ? Buffer.buffer().appendBuffer(data) : partial.appendBuffer(data);
        if (!frame.isFinal()) {
          return;
        }
        data = partial;
        partial = null;
      }
      io.netty.buffer.ByteBuf buf = ((BufferInternal) data).getByteBuf();
      int n;
      if (buf.hasArray()) {
        int from = buf.arrayOffset() + buf.readerIndex();
        n = FrameScan.danmaku(buf.array(), from, from + buf.readableBytes(), this);
      } else {
        byte[] b = data.getBytes();
        n = FrameScan.danmaku(b, 0, b.length, this);
      }
      if (n < 0) {
        onText(w, data.toString(java.nio.charset.StandardCharsets.UTF_8), done);
      }
    }

    /**
     * A ping every {@code --ping} seconds (jittered), as the JS client does at the hello's
     * heartbeatMs: the node closes connections that send nothing for {@code rt.idleTimeoutMs}.
     */
    private void heartbeat(WebSocket w) {
      if (o.pingSeconds <= 0 || pinging) {
        return;
      }
      pinging = true;
      long period = o.pingSeconds * 1000L;
      vertx.setTimer(1 + ThreadLocalRandom.current().nextLong(period), t -> {
        pinging = false;
        WebSocket now = ws;
        if (stopping || now == null || now != w || now.isClosed()) {
          return;
        }
        now.writeTextMessage(new JsonObject().put("id", nextId.getAndIncrement()).put("op", "ping").encode());
        heartbeat(now);
      });
    }

    private void sendJoin(WebSocket w) {
      joinId = nextId.getAndIncrement();
      JsonObject join = new JsonObject().put("id", joinId).put("op", "join").put("room", room);
      if (epoch >= 0) {
        join.put("since", new JsonObject().put("epoch", epoch).put("seq", lastSeq));
      }
      w.writeTextMessage(join.encode());
    }

    /** The join reply: the position, and in failover mode the history items it carries. */
    private void onJoined(JsonObject m) {
      long replyEpoch = m.getLong("epoch");
      JsonArray history = m.getJsonArray("history", new JsonArray());
      if (ledger != null) {
        for (int i = 0; i < history.size(); i++) {
          JsonObject it = history.getJsonObject(i);
          ledger.received(room, it.getLong("epoch", replyEpoch), it.getLong("seq"), it.getString("text"));
        }
      }
      if (replyEpoch != epoch) {
        epoch = replyEpoch;
      }
      lastSeq = m.getLong("seq");
    }

    /** One item of a push, read by {@link FrameScan}. */
    @Override
    public void item(long seq) {
      countItem(seq);
    }

    /** One item of a push, in order: gaps and duplicates; false for a duplicate. */
    private boolean countItem(long seq) {
      if (seq <= lastSeq) {
        duplicates++;
        duplicatesSeen.increment();
        return false;
      }
      if (seq > lastSeq + 1) {
        gaps += seq - lastSeq - 1;
        gapsSeen.add(seq - lastSeq - 1);
      }
      lastSeq = seq;
      deliveries.increment();
      return true;
    }

    /** The latency of a received item when this receiver is timed and the item is one of ours. */
    private void timed(String t, long now) {
      if (measuring && timed && t != null && t.startsWith(PREFIX)) {
        int end = t.indexOf(' ', PREFIX.length());
        long sentAt = Long.parseLong(t, PREFIX.length(), end < 0 ? t.length() : end, 10);
        // only items sent inside the window: the warm-up's stragglers are not the window's latency
        if (sentAt >= measureFrom && sentAt < measureTo) {
          latency.recordValue(Math.max(0, (now - sentAt) / 1000)); // microseconds
        }
      }
    }

    @Override
    public void epoch(long e) {
      if (e != epoch) {
        epoch = e;
        lastSeq = 0;
      }
    }
  }

  static double round(double v) {
    return Results.round(v);
  }

  static void sleep(long ms) throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(ms);
  }

  static void log(String fmt, Object... args) {
    System.out.printf("[loadgen] " + fmt + "%n", args);
  }

  /** Command-line options. */
  static final class Options {
    static final String USAGE = """
        usage: java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.LoadGen [options]
          --mode M               pubsub (default), curve, idle, failover or http-create
          --targets h:p,h:p      edges subscribers connect to, round-robin (default 127.0.0.1:8080)
          --pub-targets h:p,..   edges publishers connect to (default: --targets)
          --room ID              room id, or prefix with --rooms > 1 (default lg-room)
          --rooms N              rooms (default 1)
          --subscribers N        subscribing connections (default 100)
          --publishers N         publishing connections (default 1); publisher i joins room i mod rooms
          --publishers-receive B publishers also receive, and count deliveries and gaps (default false)
          --rate N               messages per second, all publishers together (default 10)
          --rates r1,r2,...      curve: the steps' rates, messages per second (each step --duration s measured)
          --step-warmup S        curve: seconds of warm-up before each step after the first (default 5)
          --warmup S             seconds before measuring (default 5)
          --duration S           measured seconds (default 20); sweep: the longest wait for demotion
          --hold S               idle: seconds connections stay idle before the second measurement (default 10)
          --ping S               each connection pings every S seconds, jittered (default 20; 0: never)
          --latency-sample N     one receiver in N decodes each push as JSON and records latency (default 1:
                                 all); the others read the items' seq from the frame's bytes; all check gaps
          --jwt-secret S         HS256 secret of the nodes (default dev-secret)
          --api-key K            creates the rooms over REST first (default dev-key; 'none' to skip)
          --source-ips a,b       local addresses to connect from (more ephemeral ports)
          --connect-batch N      connections opened concurrently (default 500)
          --event-loops N        event loops the connections are spread over (default: the cores)
          --deflate B            receivers offer permessage-deflate (the node agrees with rt.deflateLevel > 0)
                                 and inflate what they get (default false)
          --kill-pid P           failover: the server killed with SIGKILL after the warm-up
          --kill-target h:p      failover: its HTTP address (one of --targets)
          --redis-url U          failover, sweep: the nodes' Redis (default redis://127.0.0.1:6379)
          --engine E             http-create: wrk or java (default java)
          --connections N        http-create, sweep: HTTP connections (default 64)
          --wrk-threads N        http-create with wrk: its threads (default 2)
          --concurrency N        sweep: hydrating requests in flight (default 4)
          --scenario NAME        name written into the result (default custom)
          --server-pids p,p      server processes whose CPU, RSS and heap are sampled
          --redis-pid P          http-create, sweep: Redis, whose CPU is reported too
          --metrics-urls u,u     /metrics URLs whose heap use is read
          --jfr PREFIX           pubsub, http-create: a JFR recording (settings=profile) of each server over the measured window
          --server-flags S       the servers' JVM flags, written into the result
          --command S            the command that ran the scenario, written into the result
          --expect F<=V|F>=V     a target for figure F (repeatable); sets "targets" and "met"
          --load-average L       the machine's 1-minute load average before the scenario started its servers
          --out FILE             JSON result file
        """;
    String mode = "pubsub";
    List<String> targets = List.of("127.0.0.1:8080");
    List<String> pubTargets;
    String room = "lg-room";
    int rooms = 1;
    int subscribers = 100;
    int publishers = 1;
    boolean publishersReceive;
    double rate = 10;
    List<Double> rates = List.of();
    int stepWarmupSeconds = 5;
    int warmupSeconds = 5;
    int durationSeconds = 20;
    int holdSeconds = 10;
    int latencySample = 1;
    int pingSeconds = 20;
    String jwtSecret = "dev-secret";
    String apiKey = "dev-key";
    List<String> sourceIps = List.of();
    int connectBatch = 500;
    int eventLoops = Runtime.getRuntime().availableProcessors();
    boolean deflate;
    long killPid;
    String killTarget;
    String redisUrl = "redis://127.0.0.1:6379";
    String engine = "java";
    int connections = 64;
    int wrkThreads = 2;
    int concurrency = 4;
    String scenario = "custom";
    String out;
    List<Long> serverPids = List.of();
    long redisPid;
    List<String> metricsUrls = List.of();
    String jfr;
    String serverFlags = "";
    String command = "";
    List<String> expects = new ArrayList<>();
    double loadAtStart = -1;

    static Options parse(String[] args) {
      Options o = new Options();
      if (!Args.pairs(args, USAGE, o::set)) {
        return null;
      }
      if (o.pubTargets == null) {
        o.pubTargets = o.targets;
      }
      if (o.durationSeconds < 1 || o.durationSeconds > 3600 || o.holdSeconds < 0 || o.holdSeconds > 3600
          || o.subscribers < 0 || o.rooms < 1 || o.connections < 1 || o.concurrency < 1) {
        throw new IllegalArgumentException("duration must be 1..3600 s, hold 0..3600 s, rooms >= 1, subscribers >= 0, "
            + "connections and concurrency >= 1");
      }
      return o;
    }

    /** Sets one option; false when {@code a} is not one of these. */
    private boolean set(String a, String v) {
      switch (a) {
        case "--mode" -> mode = v;
        case "--targets" -> targets = List.of(v.split(","));
        case "--pub-targets" -> pubTargets = List.of(v.split(","));
        case "--room" -> room = v;
        case "--rooms" -> rooms = Integer.parseInt(v);
        case "--subscribers" -> subscribers = Integer.parseInt(v);
        case "--publishers" -> publishers = Integer.parseInt(v);
        case "--publishers-receive" -> publishersReceive = Boolean.parseBoolean(v);
        case "--rate" -> rate = Double.parseDouble(v);
        case "--rates" -> rates = Arrays.stream(v.split(",")).map(String::trim).filter(x -> !x.isEmpty())
            .map(Double::parseDouble).toList();
        case "--step-warmup" -> stepWarmupSeconds = Integer.parseInt(v);
        case "--warmup" -> warmupSeconds = Integer.parseInt(v);
        case "--duration" -> durationSeconds = Integer.parseInt(v);
        case "--hold" -> holdSeconds = Integer.parseInt(v);
        case "--latency-sample" -> latencySample = Math.max(1, Integer.parseInt(v));
        case "--ping" -> pingSeconds = Integer.parseInt(v);
        case "--jwt-secret" -> jwtSecret = v;
        case "--api-key" -> apiKey = v.equals("none") ? null : v;
        case "--source-ips" -> sourceIps = List.of(v.split(","));
        case "--connect-batch" -> connectBatch = Integer.parseInt(v);
        case "--event-loops" -> eventLoops = Integer.parseInt(v);
        case "--deflate" -> deflate = Boolean.parseBoolean(v);
        case "--kill-pid" -> killPid = Long.parseLong(v);
        case "--kill-target" -> killTarget = v;
        case "--redis-url" -> redisUrl = v;
        case "--engine" -> engine = v;
        case "--connections" -> connections = Integer.parseInt(v);
        case "--wrk-threads" -> wrkThreads = Integer.parseInt(v);
        case "--concurrency" -> concurrency = Integer.parseInt(v);
        case "--scenario" -> scenario = v;
        case "--out" -> out = v;
        case "--server-pids" -> serverPids = Arrays.stream(v.split(",")).filter(x -> !x.isBlank())
            .map(Long::parseLong).toList();
        case "--redis-pid" -> redisPid = v.isBlank() ? 0 : Long.parseLong(v);
        case "--metrics-urls" -> metricsUrls = List.of(v.split(","));
        case "--jfr" -> jfr = v;
        case "--server-flags" -> serverFlags = v;
        case "--command" -> command = v;
        case "--expect" -> expects.add(v);
        case "--load-average" -> loadAtStart = Double.parseDouble(v);
        default -> {
          return false;
        }
      }
      return true;
    }

    JsonObject describe() {
      return new JsonObject().put("mode", mode).put("targets", String.join(",", targets))
          .put("pubTargets", String.join(",", pubTargets))
          .put("rooms", rooms)
          .put("subscribers", subscribers).put("publishers", publishers).put("publishersReceive", publishersReceive)
          .put("rate", rate).put("rates", new JsonArray(new ArrayList<>(rates)))
          .put("stepWarmupSeconds", stepWarmupSeconds).put("warmupSeconds", warmupSeconds).put("durationSeconds", durationSeconds)
          .put("holdSeconds", holdSeconds).put("latencySample", latencySample).put("pingSeconds", pingSeconds)
          .put("engine", engine).put("connections", connections).put("concurrency", concurrency)
          .put("sourceIps", String.join(",", sourceIps));
    }
  }
}
