package io.liveroom.loadgen;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * {@code create-http}: {@code POST /api/v1/rooms} (no id, so the server generates one; Redis
 * write-through) with {@code --connections} keep-alive connections, from {@code wrk} ({@code --engine
 * wrk}) or from this process ({@code --engine java}, {@link HttpDriver}). A warm-up run, then the
 * measured run; server (and Redis) CPU over the measured run.
 */
final class HttpLoad {
  static final String CREATE_BODY = "{\"title\":\"Friday night stream 1234\",\"ownerId\":\"host-1\"}";
  private static final String WRK_SCRIPT = """
      wrk.method = "POST"
      wrk.body = '%s'
      wrk.headers["Content-Type"] = "application/json"
      wrk.headers["Authorization"] = "Bearer %s"
      done = function(summary, latency, requests)
        io.write(string.format("WRK requests=%%d duration_us=%%d non2xx=%%d errors=%%d p50_us=%%d p99_us=%%d p999_us=%%d max_us=%%d\\n",
          summary.requests, summary.duration, summary.errors.status,
          summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
          latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
      end
      """;

  /** The servers' count of created rooms: in this scenario the only POSTs answered 201. */
  private static final ServerStats.Series CREATED = new ServerStats.Series("vertx_http_server_requests_total{",
      "code=\"201\"", "method=\"POST\"");

  private final LoadGen.Options o;
  private final Vertx vertx;

  HttpLoad(LoadGen.Options o, Vertx vertx) {
    this.o = o;
    this.vertx = vertx;
  }

  JsonObject runCreate() throws Exception {
    boolean wrk = o.engine.equals("wrk");
    if (o.warmupSeconds > 0) {
      LoadGen.log("warm-up: %d s of creates (%s, %d connections)", o.warmupSeconds, o.engine, o.connections);
      if (wrk) {
        wrk(o.warmupSeconds, null, null);
      } else {
        java(o.warmupSeconds, false);
      }
    }
    List<Long> pids = new ArrayList<>(o.serverPids);
    long cpu0 = ServerStats.cpuTicks(o.serverPids);
    long redis0 = o.redisPid > 0 ? ServerStats.cpuTicks(List.of(o.redisPid)) : 0;
    long self0 = ServerStats.cpuTicks(List.of(ProcessHandle.current().pid()));
    JsonObject figures;
    if (o.jfr != null) {
      ServerStats.jfrStart(o.serverPids);
    }
    long t0 = System.nanoTime();
    try (ServerStats.Sampler sampler = new ServerStats.Sampler(pids, o.metricsUrls, CREATED)) {
      figures = wrk ? wrk(o.durationSeconds, sampler, new Progress("creates", "creates/s (server-counted)",
          o.durationSeconds, null)) : java(o.durationSeconds, true);
      if (o.jfr != null) {
        figures.put("jfr", String.join(",", ServerStats.jfrStop(o.serverPids, o.jfr)));
      }
      double window = (System.nanoTime() - t0) / 1e9;
      figures.put("serverCpuPercent", LoadGen.round(ServerStats.cpuPercent(ServerStats.cpuTicks(o.serverPids) - cpu0,
          window)));
      figures.put("serverCpuMaxPercent", LoadGen.round(sampler.cpuMaxPercent()));
      if (o.redisPid > 0) {
        figures.put("redisCpuPercent", LoadGen.round(ServerStats.cpuPercent(
            ServerStats.cpuTicks(List.of(o.redisPid)) - redis0, window)));
      }
      if (!wrk) {
        figures.put("loadgenCpuPercent", LoadGen.round(ServerStats.cpuPercent(
            ServerStats.cpuTicks(List.of(ProcessHandle.current().pid())) - self0, window)));
      }
      if (!o.metricsUrls.isEmpty()) {
        figures.put("heapMiB", LoadGen.round(ServerStats.heapBytes(o.metricsUrls) / 1048576.0));
        figures.put("heapMaxMiB", LoadGen.round(sampler.heapMaxBytes() / 1048576.0));
      }
    }
    figures.put("engine", o.engine).put("connections", o.connections);
    return figures;
  }

  /** {@link HttpDriver}'s closed loop for {@code seconds}; a measured run also keeps per-second series and prints progress. */
  private JsonObject java(int seconds, boolean measured) throws Exception {
    HttpDriver d = new HttpDriver(vertx, o.targets.get(0), o.connections);
    Buffer body = Buffer.buffer(CREATE_BODY);
    HttpDriver.Req req = new HttpDriver.Req(HttpMethod.POST, "/api/v1/rooms", o.apiKey, body);
    Progress progress = measured ? new Progress("creates", "creates/s", seconds,
        () -> "non-2xx " + d.non2xx.get() + ", errors " + d.errors.get()) : null;
    Histogram h = new Histogram(3);
    long t0 = System.nanoTime();
    var done = d.run(o.connections, Long.MAX_VALUE, n -> req);
    long okBefore = 0;
    for (int sec = 0; sec < seconds; sec++) {
      LoadGen.sleep(Math.max(0, t0 + (sec + 1) * 1_000_000_000L - System.nanoTime()) / 1_000_000);
      if (progress != null) {
        Histogram second = d.latency.getIntervalHistogram();
        long ok = d.ok.get();
        progress.second(second, ok - okBefore);
        okBefore = ok;
        h.add(second);
      }
    }
    d.stop();
    done.await(30, TimeUnit.SECONDS);
    double window = (System.nanoTime() - t0) / 1e9;
    h.add(d.latency.getIntervalHistogram()); // the answers that came in while stopping
    d.close();
    JsonObject figures = new JsonObject();
    if (progress != null) {
      progress.putSeries(figures);
    }
    return figures
        .put("createsPerSecond", LoadGen.round(d.ok.get() / window))
        .put("creates", d.ok.get())
        .put("p50Ms", LoadGen.round(h.getValueAtPercentile(50) / 1000.0))
        .put("p99Ms", LoadGen.round(h.getValueAtPercentile(99) / 1000.0))
        .put("p999Ms", LoadGen.round(h.getValueAtPercentile(99.9) / 1000.0))
        .put("maxMs", LoadGen.round(h.getMaxValue() / 1000.0))
        .put("non2xx", d.non2xx.get())
        .put("errors", d.errors.get());
  }

  /**
   * Runs wrk for {@code seconds} and reads the line its script prints. wrk has percentiles for the
   * whole run only; with a {@code progress}, the creates of each second are the servers' count of
   * {@code 201} answers, read by the {@code sampler}.
   */
  private JsonObject wrk(int seconds, ServerStats.Sampler sampler, Progress progress)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("liveroom-create", ".lua");
    try {
      Files.writeString(script, String.format(WRK_SCRIPT, CREATE_BODY, o.apiKey), StandardCharsets.UTF_8);
      List<String> cmd = List.of("wrk", "-t" + o.wrkThreads, "-c" + o.connections, "-d" + seconds + "s",
          "--timeout", "10s", "-s", script.toString(), "http://" + o.targets.get(0) + "/api/v1/rooms");
      double created = progress == null || o.metricsUrls.isEmpty() ? -1 : ServerStats.count(o.metricsUrls, CREATED);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out;
      try {
        long t0 = System.nanoTime();
        for (int sec = 0; created >= 0 && sec < seconds && p.isAlive(); sec++) {
          LoadGen.sleep(Math.max(0, t0 + (sec + 1) * 1_000_000_000L - System.nanoTime()) / 1_000_000);
          double now = sampler.counted();
          progress.second(null, now < 0 ? 0 : (long) Math.max(0, now - created));
          created = now < 0 ? created : now;
        }
        if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
          throw new IllegalStateException("wrk did not finish within " + (seconds + 60) + " s");
        }
        out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } finally {
        p.destroyForcibly();
      }
      String line = out.lines().filter(l -> l.startsWith("WRK ")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no result from wrk:\n" + out));
      Map<String, Long> v = new HashMap<>();
      for (String kv : line.substring(4).split(" ")) {
        String[] p2 = kv.split("=");
        v.put(p2[0], Long.parseLong(p2[1]));
      }
      long good = v.get("requests") - v.get("non2xx");
      double window = v.get("duration_us") / 1e6;
      JsonObject figures = new JsonObject();
      if (progress != null && progress.seconds() > 0) {
        progress.putSeries(figures);
      }
      return figures
          .put("createsPerSecond", LoadGen.round(good / window))
          .put("creates", good)
          .put("p50Ms", LoadGen.round(v.get("p50_us") / 1000.0))
          .put("p99Ms", LoadGen.round(v.get("p99_us") / 1000.0))
          .put("p999Ms", LoadGen.round(v.get("p999_us") / 1000.0))
          .put("maxMs", LoadGen.round(v.get("max_us") / 1000.0))
          .put("non2xx", v.get("non2xx"))
          .put("errors", v.get("errors"))
          .put("wrkThreads", o.wrkThreads);
    } finally {
      Files.deleteIfExists(script);
    }
  }
}
