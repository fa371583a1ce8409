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
        wrk(o.warmupSeconds);
      } else {
        java(o.warmupSeconds);
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
    try (ServerStats.Sampler sampler = new ServerStats.Sampler(pids, o.metricsUrls)) {
      figures = wrk ? wrk(o.durationSeconds) : java(o.durationSeconds);
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

  private JsonObject java(int seconds) throws Exception {
    HttpDriver d = new HttpDriver(vertx, o.targets.get(0), o.connections);
    Buffer body = Buffer.buffer(CREATE_BODY);
    HttpDriver.Req req = new HttpDriver.Req(HttpMethod.POST, "/api/v1/rooms", o.apiKey, body);
    long t0 = System.nanoTime();
    var done = d.run(o.connections, Long.MAX_VALUE, n -> req);
    LoadGen.sleep(seconds * 1000L);
    d.stop();
    done.await(30, TimeUnit.SECONDS);
    double window = (System.nanoTime() - t0) / 1e9;
    var h = d.latency.getIntervalHistogram();
    d.close();
    return new JsonObject()
        .put("createsPerSecond", LoadGen.round(d.ok.get() / window))
        .put("creates", d.ok.get())
        .put("p50Ms", LoadGen.round(h.getValueAtPercentile(50) / 1000.0))
        .put("p99Ms", LoadGen.round(h.getValueAtPercentile(99) / 1000.0))
        .put("p999Ms", LoadGen.round(h.getValueAtPercentile(99.9) / 1000.0))
        .put("maxMs", LoadGen.round(h.getMaxValue() / 1000.0))
        .put("non2xx", d.non2xx.get())
        .put("errors", d.errors.get());
  }

  /** Runs wrk for {@code seconds} and reads the line its script prints. */
  private JsonObject wrk(int seconds) throws IOException, InterruptedException {
    Path script = Files.createTempFile("liveroom-create", ".lua");
    try {
      Files.writeString(script, String.format(WRK_SCRIPT, CREATE_BODY, o.apiKey), StandardCharsets.UTF_8);
      List<String> cmd = List.of("wrk", "-t" + o.wrkThreads, "-c" + o.connections, "-d" + seconds + "s",
          "--timeout", "10s", "-s", script.toString(), "http://" + o.targets.get(0) + "/api/v1/rooms");
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out;
      try {
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
      return new JsonObject()
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
