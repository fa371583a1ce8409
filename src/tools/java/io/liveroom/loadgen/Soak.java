package io.liveroom.loadgen;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The soak check that {@code scripts/soak.sh} runs against nodes it started: a warm-up of
 * {@link MixedLoad}, then a baseline, then the mixed load for a long time, then the same
 * measurement again. Each measurement first waits until the nodes are idle (no real-time
 * connection, no SockJS session, no hot room: the sweeper demoted them), forces full GCs
 * ({@code jcmd <pid> GC.run}, twice) and reads {@code /metrics}. It checks, per node, that the
 * post-GC heap, the live threads, the SockJS sessions and the connections are back to the
 * baseline within the tolerances; that the node is alive and its log holds no blocked-thread
 * warning and no OutOfMemoryError; and that the load saw nothing unexpected. Writes a JSON result
 * and prints one summary line; exits 1 when a check fails.
 */
public final class Soak {
  private final Options o;
  private final Vertx vertx = Vertx.vertx();
  private final WebClient web = WebClient.create(vertx);

  private Soak(Options o) {
    this.o = o;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o == null) {
      System.out.println(Options.USAGE);
      return;
    }
    Soak soak = new Soak(o);
    int status;
    try {
      status = soak.run();
    } finally {
      soak.vertx.close().await(20, TimeUnit.SECONDS);
    }
    System.exit(status);
  }

  private int run() throws Exception {
    String startedAt = Instant.now().toString();
    long t0 = System.nanoTime();
    if (o.warmupSeconds > 0) {
      log("warm-up: %d s of mixed load", o.warmupSeconds);
      load(o.warmupSeconds, null);
    }
    JsonArray baseline = settle("baseline");
    log("baseline: %s", brief(baseline));

    log("load: %d s of mixed load (%s)", o.durationSeconds, o.load.describe().encode());
    JsonArray samples = new JsonArray();
    JsonObject stats = load(o.durationSeconds, samples);
    log("load done: %d operations, %d unexpected", stats.getLong("operations"), stats.getLong("unexpected"));

    JsonArray after = settle("after");
    log("after: %s", brief(after));

    JsonArray checks = new JsonArray();
    boolean met = true;
    for (int i = 0; i < o.urls.size(); i++) {
      JsonObject b = baseline.getJsonObject(i);
      JsonObject a = after.getJsonObject(i);
      String node = "node-" + (i + 1);
      double heapLimit = b.getDouble("heapAfterGcBytes")
          + Math.max(o.heapToleranceMiB * 1048576.0, b.getDouble("heapAfterGcBytes") * o.heapTolerancePct / 100);
      met &= check(checks, node, "heapAfterGcBytes", b, a, heapLimit,
          "post-GC heap (all pools but eden) <= baseline + max(" + o.heapToleranceMiB + " MiB, " + o.heapTolerancePct + "%)");
      met &= check(checks, node, "threads", b, a, b.getDouble("threads") + o.threadTolerance,
          "live threads <= baseline + " + o.threadTolerance);
      met &= check(checks, node, "sockjsSessions", b, a, b.getDouble("sockjsSessions"), "SockJS sessions <= baseline");
      met &= check(checks, node, "connections", b, a, b.getDouble("connections"), "real-time connections <= baseline");
      met &= check(checks, node, "roomsHot", b, a, b.getDouble("roomsHot"), "hot rooms <= baseline (the sweeper demoted them)");
      met &= check(checks, node, "httpConnections", b, a, b.getDouble("httpConnections"), "open HTTP connections <= baseline");
      boolean alive = o.pids.isEmpty() || ProcessHandle.of(o.pids.get(i)).map(ProcessHandle::isAlive).orElse(false);
      met &= flag(checks, node, "alive", alive, "the node process is running");
      if (i < o.logs.size()) {
        List<String> blocked = grep(o.logs.get(i), "has been blocked for");
        List<String> oom = grep(o.logs.get(i), "OutOfMemoryError");
        met &= flag(checks, node, "noBlockedThreads", blocked.isEmpty(),
            blocked.size() + " blocked-thread warnings" + (blocked.isEmpty() ? "" : ", first: " + blocked.get(0)));
        met &= flag(checks, node, "noOutOfMemory", oom.isEmpty(), oom.size() + " OutOfMemoryError lines");
      }
    }
    long unexpected = stats.getLong("unexpected");
    long ops = stats.getLong("operations");
    met &= flag(checks, "load", "unexpected", unexpected <= ops * o.unexpectedPct / 100,
        unexpected + " unexpected outcomes of " + ops + " operations (limit " + o.unexpectedPct + "%)");
    met &= flag(checks, "load", "operations", ops > 0, ops + " operations");

    double minutes = (System.nanoTime() - t0) / 60e9;
    JsonObject result = new JsonObject()
        .put("scenario", "soak")
        .put("met", met)
        .put("durationSeconds", o.durationSeconds)
        .put("warmupSeconds", o.warmupSeconds)
        .put("wallMinutes", Math.round(minutes * 10) / 10.0)
        .put("nodes", o.urls.size())
        .put("baseline", baseline)
        .put("after", after)
        .put("checks", checks)
        .put("load", stats.put("options", o.load.describe()))
        .put("samples", samples)
        .put("tolerances", new JsonObject().put("heapMiB", o.heapToleranceMiB).put("heapPct", o.heapTolerancePct)
            .put("threads", o.threadTolerance).put("unexpectedPct", o.unexpectedPct))
        .put("jvmFlags", o.jvmFlags)
        .put("command", o.command)
        .put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.version"))
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("startedAt", startedAt);
    if (o.out != null) {
      Path out = Path.of(o.out);
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.writeString(out, result.encodePrettily());
    }
    System.out.println(summary(result, baseline, after, checks));
    return met ? 0 : 1;
  }

  /** Runs the mixed load for {@code seconds}; with {@code samples}, samples the nodes meanwhile. */
  private JsonObject load(int seconds, JsonArray samples) throws Exception {
    MixedLoad load = new MixedLoad(o.load);
    vertx.deployVerticle(load).await();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    long every = TimeUnit.SECONDS.toNanos(o.sampleSeconds > 0 ? o.sampleSeconds : Math.max(10, seconds / 120));
    long next = start;
    long lastLog = start;
    while (System.nanoTime() < end) {
      if (samples != null && System.nanoTime() >= next) {
        JsonObject s = new JsonObject().put("t", Math.round((System.nanoTime() - start) / 1e9)).put("nodes", snapshot());
        samples.add(s);
        next += every;
        if (System.nanoTime() - lastLog >= TimeUnit.SECONDS.toNanos(60)) {
          log("%d s: %s", s.getLong("t"), brief(s.getJsonArray("nodes")));
          lastLog = System.nanoTime();
        }
      }
      TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()), 500)));
    }
    vertx.undeploy(load.deploymentID()).await();
    return load.stats();
  }

  /**
   * Waits (at most {@code settleSeconds}) until every node is idle, forces two full GCs, and
   * answers one snapshot per node with {@code settleSeconds} (how long it took) and {@code settled}.
   */
  private JsonArray settle(String what) throws Exception {
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(o.settleSeconds);
    boolean idle = false;
    long lastLog = start;
    while (!idle && System.nanoTime() < deadline) {
      idle = true;
      JsonArray nodes = snapshot();
      for (Object n : nodes) {
        JsonObject s = (JsonObject) n;
        idle &= s.getDouble("connections") == 0 && s.getDouble("sockjsSessions") == 0 && s.getDouble("roomsHot") == 0;
      }
      if (!idle) {
        if (System.nanoTime() - lastLog > TimeUnit.SECONDS.toNanos(15)) {
          log("%s: waiting for idle nodes: %s", what, brief(nodes));
          lastLog = System.nanoTime();
        }
        TimeUnit.SECONDS.sleep(1);
      }
    }
    double waited = Math.round((System.nanoTime() - start) / 1e8) / 10.0;
    if (!idle) {
      log("%s: the nodes were not idle after %d s; measuring anyway", what, o.settleSeconds);
    }
    for (int round = 0; round < 2; round++) {
      for (long pid : o.pids) {
        gc(pid);
      }
      TimeUnit.SECONDS.sleep(1);
    }
    JsonArray snap = snapshot();
    for (Object n : snap) {
      ((JsonObject) n).put("settled", idle).put("settleSeconds", waited);
    }
    return snap;
  }

  /** {@code jcmd <pid> GC.run}: a full collection in the node, so heap use is its live set. */
  private void gc(long pid) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid), "GC.run")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd " + pid + " GC.run failed: " + out.trim());
    }
  }

  /** One reading per node, from its /metrics and /proc. */
  private JsonArray snapshot() {
    JsonArray out = new JsonArray();
    for (int i = 0; i < o.urls.size(); i++) {
      URI u = URI.create(o.urls.get(i));
      JsonObject s = new JsonObject().put("node", "node-" + (i + 1));
      try {
        String text = web.get(u.getPort(), u.getHost(), "/metrics").timeout(10_000).send().await().bodyAsString();
        PromText m = PromText.parse(text);
        double heap = m.sumOrZero("jvm_memory_used_bytes", "area=\"heap\"");
        double eden = m.sumOrZero("jvm_memory_used_bytes", "area=\"heap\"", "Eden");
        s.put("heapAfterGcBytes", heap - eden)
            .put("heapUsedBytes", heap)
            .put("threads", m.sumOrZero("jvm_threads_live_threads"))
            .put("sockjsSessions", m.sumOrZero("liveroom_sockjs_sessions"))
            .put("connections", m.sumOrZero("liveroom_connections"))
            .put("roomsHot", m.sumOrZero("liveroom_rooms_hot"))
            // the scrape's own connection is one of them, every time
            .put("httpConnections", m.sumOrZero("vertx_http_server_active_connections"))
            .put("acceptedTotal", m.sumOrZero("liveroom_connections_accepted_total"));
      } catch (RuntimeException e) {
        s.put("error", e.toString()).put("heapAfterGcBytes", Double.NaN).put("threads", Double.NaN)
            .put("sockjsSessions", Double.NaN).put("connections", Double.NaN).put("roomsHot", Double.NaN)
            .put("httpConnections", Double.NaN);
      }
      if (i < o.pids.size()) {
        s.put("rssBytes", rss(o.pids.get(i)));
      }
      out.add(s);
    }
    return out;
  }

  private static long rss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  private static boolean check(JsonArray checks, String node, String figure, JsonObject base, JsonObject after,
      double limit, String rule) {
    double b = base.getDouble(figure);
    double a = after.getDouble(figure);
    boolean ok = !Double.isNaN(a) && a <= limit;
    checks.add(new JsonObject().put("node", node).put("check", figure).put("ok", ok).put("baseline", b)
        .put("after", a).put("limit", limit).put("rule", rule));
    return ok;
  }

  private static boolean flag(JsonArray checks, String node, String name, boolean ok, String detail) {
    checks.add(new JsonObject().put("node", node).put("check", name).put("ok", ok).put("detail", detail));
    return ok;
  }

  private static List<String> grep(String file, String needle) {
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
        if (line.contains(needle)) {
          out.add(line);
        }
      }
    } catch (IOException e) {
      out.add("cannot read " + file + ": " + e);
    }
    return out;
  }

  private static String brief(JsonArray nodes) {
    StringBuilder sb = new StringBuilder();
    for (Object n : nodes) {
      JsonObject s = (JsonObject) n;
      sb.append(sb.length() == 0 ? "" : "; ").append(s.getString("node")).append(String.format(
          " heap %.1f MiB, threads %.0f, sockjs sessions %.0f, connections %.0f, rooms hot %.0f",
          s.getDouble("heapAfterGcBytes", Double.NaN) / 1048576, s.getDouble("threads", Double.NaN),
          s.getDouble("sockjsSessions", Double.NaN), s.getDouble("connections", Double.NaN),
          s.getDouble("roomsHot", Double.NaN)));
      if (s.containsKey("settleSeconds")) {
        sb.append(String.format(" (idle after %.1f s)", s.getDouble("settleSeconds")));
      }
    }
    return sb.toString();
  }

  private static String summary(JsonObject r, JsonArray base, JsonArray after, JsonArray checks) {
    StringBuilder sb = new StringBuilder("soak: ").append(r.getBoolean("met") ? "PASS" : "FAIL");
    sb.append(String.format(" %d s load, %d node(s)", r.getInteger("durationSeconds"), r.getInteger("nodes")));
    for (int i = 0; i < base.size(); i++) {
      JsonObject b = base.getJsonObject(i);
      JsonObject a = after.getJsonObject(i);
      sb.append(String.format("; node-%d heap %.1f->%.1f MiB, threads %.0f->%.0f, sockjs sessions %.0f->%.0f,"
              + " connections %.0f->%.0f", i + 1, b.getDouble("heapAfterGcBytes") / 1048576,
          a.getDouble("heapAfterGcBytes") / 1048576, b.getDouble("threads"), a.getDouble("threads"),
          b.getDouble("sockjsSessions"), a.getDouble("sockjsSessions"), b.getDouble("connections"),
          a.getDouble("connections")));
    }
    JsonObject load = r.getJsonObject("load");
    sb.append(String.format("; %d operations, %d unexpected", load.getLong("operations"), load.getLong("unexpected")));
    for (Object c : checks) {
      JsonObject check = (JsonObject) c;
      if (!check.getBoolean("ok")) {
        sb.append("; FAILED ").append(check.getString("node")).append(' ').append(check.getString("check"))
            .append(check.containsKey("detail") ? " (" + check.getString("detail") + ")"
                : " (" + check.getValue("after") + " > " + check.getValue("limit") + ")");
      }
    }
    return sb.toString();
  }

  private static void log(String fmt, Object... args) {
    System.out.printf("[soak] " + fmt + "%n", args);
  }

  /** Options of the check; any other option goes to {@link MixedLoad.Options}. */
  static final class Options {
    static final String USAGE = """
        usage: java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.Soak --urls URL,URL [options] [MixedLoad options]
          --urls u,u              base URLs of the nodes (http://127.0.0.1:8080,...): load, /metrics
          --pids p,p              their process ids, in the same order: jcmd GC.run, RSS, liveness
          --logs f,f              their log files: blocked-thread warnings and OutOfMemoryError
          --duration S            seconds of load (default 1800)
          --warmup S              seconds of load before the baseline (default 60)
          --settle S              at most this long waiting for idle nodes before a measurement (default 120)
          --sample S              seconds between samples during the load (default duration/120, at least 10)
          --heap-tolerance-mib N  (default 4) and --heap-tolerance-pct P (default 10): the larger one applies
          --thread-tolerance N    live threads above the baseline allowed (default 4)
          --unexpected-pct P      unexpected load outcomes allowed, percent of operations (default 0.1)
          --jvm-flags S           the nodes' JVM flags, written into the result
          --command S             the command that ran the soak, written into the result
          --out FILE              JSON result (default target/soak/result.json)
        MixedLoad options (see io.liveroom.loadgen.MixedLoad --help) tune the mix; --targets comes from --urls.
        """;
    List<String> urls = List.of();
    List<Long> pids = List.of();
    List<String> logs = List.of();
    int durationSeconds = 1800;
    int warmupSeconds = 60;
    int settleSeconds = 120;
    int sampleSeconds;
    double heapToleranceMiB = 4;
    double heapTolerancePct = 10;
    int threadTolerance = 4;
    double unexpectedPct = 0.1;
    String jvmFlags = "";
    String command = "";
    String out = "target/soak/result.json";
    MixedLoad.Options load = new MixedLoad.Options();

    static Options parse(String[] args) {
      Options o = new Options();
      if (!Args.pairs(args, USAGE, o::set)) {
        return null;
      }
      if (o.urls.isEmpty() || o.durationSeconds < 1 || o.warmupSeconds < 0) {
        throw new IllegalArgumentException("--urls is required, --duration >= 1, --warmup >= 0\n" + USAGE);
      }
      if (!o.pids.isEmpty() && o.pids.size() != o.urls.size()) {
        throw new IllegalArgumentException("--pids must name one process per URL");
      }
      o.load.targets = o.urls.stream().map(u -> {
        URI uri = URI.create(u);
        return uri.getHost() + ":" + uri.getPort();
      }).toList();
      o.load.check();
      return o;
    }

    /** Sets one option; false when {@code a} is not one of these. */
    private boolean set(String a, String v) {
      switch (a) {
        case "--urls" -> urls = List.of(v.split(","));
        case "--pids" -> pids = java.util.Arrays.stream(v.split(",")).filter(x -> !x.isBlank())
            .map(Long::parseLong).toList();
        case "--logs" -> logs = List.of(v.split(","));
        case "--duration" -> durationSeconds = Integer.parseInt(v);
        case "--warmup" -> warmupSeconds = Integer.parseInt(v);
        case "--settle" -> settleSeconds = Integer.parseInt(v);
        case "--sample" -> sampleSeconds = Integer.parseInt(v);
        case "--heap-tolerance-mib" -> heapToleranceMiB = Double.parseDouble(v);
        case "--heap-tolerance-pct" -> heapTolerancePct = Double.parseDouble(v);
        case "--thread-tolerance" -> threadTolerance = Integer.parseInt(v);
        case "--unexpected-pct" -> unexpectedPct = Double.parseDouble(v);
        case "--jvm-flags" -> jvmFlags = v;
        case "--command" -> command = v;
        case "--out" -> out = v;
        default -> {
          return load.set(a, v);
        }
      }
      return true;
    }
  }
}
