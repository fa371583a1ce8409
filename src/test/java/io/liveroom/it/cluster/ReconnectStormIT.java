package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.loadgen.PromText;
import io.liveroom.testing.Await;
import io.liveroom.testing.NodeProcess;
import io.liveroom.testing.NodeScripts;
import io.liveroom.testing.ProcessCluster;
import io.liveroom.testing.ProcessClusters;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A reconnect storm with the real JS client: {@code src/test/browser/storm.mjs} runs
 * {@value #CLIENTS} liveroom.js clients (sockjs-client, WebSocket transport) in one Node process,
 * through a TCP proxy that stands for a load balancer, against 2 nodes (separate JVMs, real
 * Redis). Phase "drop": the proxy resets every connection at once; phase "drain": node 1 is stopped
 * gracefully and its clients get {@code bye} SHUTDOWN with a reconnect hint. The clients come back
 * with liveroom.js's own backoff (full jitter, base 500 ms, cap 30 s, hint honoured) and re-join
 * with {@code since}.
 *
 * <p>This JVM watches the nodes meanwhile: a well-behaved client pings node 0 every 100 ms, node
 * 0's readiness is polled, and both nodes' {@code /metrics} are scraped every 250 ms (connections
 * accepted and refused by the per-address limit). The figures are printed and written to
 * {@code target/storm/figures.json}.
 */
@RedisAndCluster(nodes = 0)
class ReconnectStormIT {
  private static final int CLIENTS = 2000;
  private static final int ROOMS = 40;
  /** The per-address connect limit of each node (1 edge instance each): low enough to matter. */
  private static final int IP_RATE = 100;
  private static final int IP_BURST = 100;
  private static final Path OUT = Path.of("target", "storm");

  private record Ping(long at, long rttMs, boolean ok) {
  }

  private record Scrape(long at, int node, double accepted, double refused, double connections, double threads,
      double heapBytes) {
  }

  @Test
  void thousandsOfJsClientsDroppedAtOnceComeBackSpreadOutAndRecover(ProcessClusters clusters) throws Exception {
    NodeScripts.requireNodeAnd("sockjs-client");
    Files.createDirectories(OUT);
    Path result = OUT.resolve("storm.json").toAbsolutePath();
    Files.deleteIfExists(result);
    ProcessCluster cluster = clusters.create("storm", 2, Map.of(
      "LIVEROOM_RT_IP_CONNECT_RATE_PER_SEC", Integer.toString(IP_RATE),
      "LIVEROOM_RT_IP_CONNECT_BURST", Integer.toString(IP_BURST)));
    cluster.startAll(2);
    NodeProcess n0 = cluster.node(0);
    NodeProcess n1 = cluster.node(1);
    Vertx vertx = Vertx.vertx();
    List<Ping> pings = new CopyOnWriteArrayList<>();
    List<Scrape> scrapes = new CopyOnWriteArrayList<>();
    List<Integer> notReady = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    Watch watch = new Watch(stop, () -> {
      try (RtClient probe = RtClient.connect(vertx, n0.httpPort())) {
        probe.hello(null);
        while (!stop.get()) {
          long t0 = System.nanoTime();
          boolean ok;
          try {
            ok = probe.call(new JsonObject().put("op", "ping")).getBoolean("ok", false);
          } catch (AssertionError timeout) {
            ok = false;
          }
          pings.add(new Ping(System.currentTimeMillis(), (System.nanoTime() - t0) / 1_000_000, ok));
          Await.pace(Duration.ofMillis(100)); // a ping every 100 ms
        }
      }
    }, () -> {
      while (!stop.get()) {
        for (int i = 0; i < 2; i++) {
          NodeProcess n = cluster.node(i);
          if (!n.isAlive()) {
            continue;
          }
          ProcessCluster.Reply r = cluster.call(n, "GET", "/metrics", null, Duration.ofSeconds(2));
          if (r.status() == 200) {
            PromText m = PromText.parse(r.body());
            scrapes.add(new Scrape(System.currentTimeMillis() - r.millis() / 2, i,
                m.sumOrZero("liveroom_connections_accepted_total"),
                m.sumOrZero("liveroom_connections_rejected_total", "reason=\"ip_rate\""),
                m.sumOrZero("liveroom_connections"), m.sumOrZero("jvm_threads_live_threads"),
                m.sumOrZero("jvm_memory_used_bytes", "area=\"heap\"")));
          }
        }
        Await.pace(Duration.ofMillis(250)); // a metrics scrape of each node every 250 ms
      }
    }, () -> {
      while (!stop.get()) {
        int status = n0.readyStatus();
        if (status != 200) {
          notReady.add(status);
        }
        Await.pace(Duration.ofMillis(500)); // a readiness probe every 500 ms
      }
    });

    NodeScripts.Result run;
    try {
      run = NodeScripts.run("storm", List.of("storm.mjs"), Map.of(
          "LR_URLS", "http://127.0.0.1:" + n0.httpPort() + ",http://127.0.0.1:" + n1.httpPort(),
          "LR_API_KEY", ProcessCluster.API_KEY, "LR_JWT_SECRET", ProcessCluster.JWT_SECRET,
          "STORM_STOP_PID", Long.toString(n1.pid()), "STORM_CLIENTS", Integer.toString(CLIENTS),
          "STORM_ROOMS", Integer.toString(ROOMS), "STORM_RAMP_PER_SEC", "150", "STORM_OUT", result.toString()), 240);
    } finally {
      watch.close();
      vertx.close().await(20, TimeUnit.SECONDS);
    }
    System.out.println(run.output());
    assertEquals(0, run.exitCode(), "storm.mjs failed (log " + run.log() + "):\n" + tail(run.output(), 60));
    JsonObject r = new JsonObject(Files.readString(result));

    int stopped = n1.awaitExit(Duration.ofSeconds(30));
    JsonObject drop = r.getJsonArray("phases").getJsonObject(0);
    JsonObject drain = r.getJsonArray("phases").getJsonObject(1);
    JsonObject figures = new JsonObject()
        .put("clients", CLIENTS).put("rooms", ROOMS)
        .put("ipConnectRatePerSec", IP_RATE).put("ipConnectBurst", IP_BURST)
        .put("backoff", r.getJsonObject("backoff"))
        .put("rampMs", r.getLong("rampMs"))
        .put("rampRefusals", r.getInteger("rampRefusals"))
        .put("drop", phaseFigures(drop, scrapes))
        .put("drain", phaseFigures(drain, scrapes))
        .put("ping", pingFigures(pings))
        .put("node0NotReady", notReady.size())
        .put("node1ExitStatus", stopped)
        .put("peakHeapMiB", Math.round(scrapes.stream().mapToDouble(Scrape::heapBytes).max().orElse(0) / 1048576))
        .put("peakThreads", scrapes.stream().mapToDouble(Scrape::threads).max().orElse(0));
    Files.writeString(OUT.resolve("figures.json"), figures.encodePrettily());
    System.out.println("storm figures: " + figures.encode());
    System.out.printf("storm: %d clients; drop: all back in %.1f s (p50 %.1f s), peak %d admits/100 ms, %d admits/s, "
            + "%d refused (RATE_LIMITED); drain: %d clients back in %.1f s, peak %d admits/s; "
            + "ping p99 %d ms, max %d ms%n", CLIENTS,
        drop.getLong("allBackMs") / 1000.0, drop.getLong("backMsP50") / 1000.0, drop.getInteger("peakAdmitsPer100ms"),
        drop.getInteger("peakAdmitsPerSecond"), drop.getJsonObject("byes").getInteger("RATE_LIMITED", 0),
        drain.getInteger("clients"), drain.getLong("allBackMs") / 1000.0, drain.getInteger("peakAdmitsPerSecond"),
        figures.getJsonObject("ping").getLong("p99Ms"), figures.getJsonObject("ping").getLong("maxMs"));

    // the nodes: no blocked event loop, no OOM, node 0 stayed up and ready, node 1 stopped cleanly
    assertEquals(List.of(), cluster.logLines("has been blocked for"), "Vert.x blocked-thread warnings in the node logs");
    assertEquals(List.of(), cluster.logLines("OutOfMemoryError"), "OutOfMemoryError in the node logs");
    assertTrue(n0.isAlive(), "node 0 died:\n" + n0.logTail(40));
    assertEquals(List.of(), notReady, "node 0's /health/ready answered other than 200 during the storm");
    assertEquals(143, stopped, "node 1 exits with 143 after SIGTERM:\n" + n1.logTail(40));
    JsonObject ping = figures.getJsonObject("ping");
    assertEquals(0, ping.getInteger("failed"), "pings of the well-behaved client failed: " + ping);
    // measured: p99 about 150 ms, max about 400 ms; the bounds leave room for a noisy CI machine
    assertTrue(ping.getLong("p99Ms") <= 1000 && ping.getLong("maxMs") <= 3000,
        "the well-behaved client's ping round trip stays bounded (p99 <= 1 s, max <= 3 s): " + ping);

    assertEquals(0, r.getInteger("rampFailedJoins"), "joins failed during the paced ramp");
    checkPhase(drop, CLIENTS, Set.of("RATE_LIMITED"), figures.getJsonObject("drop"));
    checkPhase(drain, drain.getInteger("clients"), Set.of("RATE_LIMITED", "SHUTDOWN"), figures.getJsonObject("drain"));
    // the storm was a storm: the limit refused connections, and the clients spread out anyway
    assertTrue(figures.getJsonObject("drop").getDouble("refusedByServer") > 0,
        "the per-address limit refused nothing: the storm did not reach it");
    // every client of the stopped node got bye SHUTDOWN with a hint, and waited for it
    assertTrue(drain.getJsonObject("byes").getInteger("SHUTDOWN", 0) >= drain.getInteger("clients"),
        "every client of the stopped node gets bye SHUTDOWN: " + drain);
    assertTrue(drain.getInteger("hintsGiven") >= drain.getInteger("clients"), "SHUTDOWN carries reconnectAfterMs");
    assertEquals(0, drain.getInteger("hintViolations"), "clients came back before the server's reconnectAfterMs");
  }

  /** What every phase must show: all back, spread out, within the limit, nothing lost. */
  private static void checkPhase(JsonObject p, int clients, Set<String> allowedByes, JsonObject f) {
    String name = p.getString("phase");
    assertTrue(p.getLong("allBackMs") <= 60_000, name + ": every client back within 60 s: " + p.getLong("allBackMs"));
    assertEquals(clients, p.getInteger("clients"));
    assertTrue(allowedByes.containsAll(p.getJsonObject("byes").fieldNames()),
        name + ": the only refusals are the documented ones " + allowedByes + ": " + p.getJsonObject("byes"));
    assertEquals(0, p.getInteger("errors"), name + ": client errors " + p.getJsonObject("errorCodes"));
    assertEquals(0, p.getInteger("clientsBehind"), name + ": clients not at their room's last (epoch, seq)");
    assertEquals(0, p.getInteger("itemsLost"), name + ": items missed in rooms that kept their epoch");
    assertEquals(0, p.getInteger("gapsInKeptRooms"), name + ": re-joins that did not recover in rooms that kept their epoch");
    // spread: the attempts (jitter, hints) and the admissions (the limit) are well under N in any 100 ms
    assertTrue(p.getInteger("peakAttemptsPer100ms") <= clients * 35 / 100,
        name + ": at most 35% of the clients attempt in one 100 ms window: " + p.getInteger("peakAttemptsPer100ms"));
    assertTrue(p.getInteger("peakAdmitsPer100ms") <= clients * 15 / 100,
        name + ": at most 15% of the clients admitted in one 100 ms window: " + p.getInteger("peakAdmitsPer100ms"));
    // the server's own count: within rate x time + burst over every stretch of the phase (250 ms scrapes)
    assertEquals(0, f.getInteger("limitExceeded"), name + ": a node admitted more than its per-address limit: " + f);
  }

  /** Server-side figures of a phase from the scrapes: admits and refusals, the limit's bound checked. */
  private static JsonObject phaseFigures(JsonObject phase, List<Scrape> scrapes) {
    long from = phase.getLong("startedAt") - 500;
    long to = phase.getLong("startedAt") + phase.getLong("allBackMs") + 500;
    JsonObject out = new JsonObject();
    double refused = 0;
    double peakPerSecond = 0;
    int exceeded = 0;
    for (int node = 0; node < 2; node++) {
      List<Scrape> s = new ArrayList<>();
      for (Scrape x : scrapes) {
        if (x.node() == node && x.at() >= from && x.at() <= to) {
          s.add(x);
        }
      }
      if (s.size() < 2) {
        continue;
      }
      refused += s.get(s.size() - 1).refused() - s.get(0).refused();
      for (int i = 0; i < s.size(); i++) {
        for (int j = i + 1; j < s.size(); j++) {
          double seconds = (s.get(j).at() - s.get(i).at()) / 1000.0;
          double admitted = s.get(j).accepted() - s.get(i).accepted();
          // a scrape is taken somewhere within its round trip: 0.3 s of slack on the interval
          if (admitted > IP_BURST + IP_RATE * (seconds + 0.3)) {
            exceeded++;
          }
          if (seconds >= 0.9 && seconds <= 1.1) {
            peakPerSecond = Math.max(peakPerSecond, admitted / seconds);
          }
        }
      }
    }
    return out.put("refusedByServer", refused).put("peakAdmitsPerSecondByServer", Math.round(peakPerSecond))
        .put("limitExceeded", exceeded);
  }

  private static JsonObject pingFigures(List<Ping> pings) {
    long[] rtt = pings.stream().filter(Ping::ok).mapToLong(Ping::rttMs).sorted().toArray();
    long failed = pings.stream().filter(p -> !p.ok()).count();
    return new JsonObject().put("samples", pings.size()).put("failed", failed)
        .put("p50Ms", pct(rtt, 0.5)).put("p99Ms", pct(rtt, 0.99))
        .put("maxMs", rtt.length == 0 ? 0 : rtt[rtt.length - 1]);
  }

  private static long pct(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
  }

  private static String tail(String s, int lines) {
    String[] all = s.split("\n");
    return String.join("\n", Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
  }

  /** Background probe loops on their own threads; they end when {@code stop} is set, and close waits for them. */
  private static final class Watch implements AutoCloseable {
    interface Loop {
      void run() throws Exception;
    }

    private final AtomicBoolean stop;
    private final List<Thread> threads = new ArrayList<>();

    Watch(AtomicBoolean stop, Loop... loops) {
      this.stop = stop;
      for (Loop loop : loops) {
        Thread t = new Thread(() -> {
          try {
            loop.run();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }, "storm-watch");
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(15_000);
      }
    }
  }
}
