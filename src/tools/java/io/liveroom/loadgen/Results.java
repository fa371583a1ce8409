package io.liveroom.loadgen;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The JSON result of a scenario in the shape of BENCHMARKS.md ({@code scenario, figures, targets,
 * met, jdk, jvmFlags, cores, startedAt, command}) and its one-line summary.
 */
final class Results {
  /** The figures each scenario's summary line shows, in BENCHMARKS.md's order; others show all. */
  private static final Map<String, List<String>> SUMMARY = Map.of(
      "create-http", List.of("createsPerSecond", "p99Ms", "serverCpuPercent"),
      "fanout-hot", List.of("subscribers", "deliveriesPerSecond", "p50Ms", "p99Ms", "p999Ms", "gaps", "duplicates",
          "dropped", "refused", "serverCpuPercent", "serverCpuMsPer1kDeliveries", "loadgenCpuPercent",
          "loadgenCpuMsPer1kDeliveries"),
      "fanout-curve", List.of("subscribers", "kneeDeliveriesPerSecond", "kneeRate", "kneeP99Ms",
          "serverCpuMsPer1kDeliveries", "serverCpuPercent", "loadgenCpuPercent", "loadgenCpuMsPer1kDeliveries",
          "maxDeliveriesPerSecond", "gaps"),
      "many-rooms", List.of("connections", "messagesInPerSecond", "deliveriesPerSecond", "p99Ms", "serverCpuPercent",
          "heapMiB", "gaps", "dropped", "loadgenCpuPercent"),
      "idle-conns", List.of("connections", "heapBytesPerConnection", "rssBytesPerConnection"),
      "sweep", List.of("rooms", "demotionsPerSecond", "heapAfterMiB", "heapBaselineMiB", "redisBytesPerRoom",
          "hydrateP99Ms"),
      "failover", List.of("recoverySeconds", "clientRecoverySeconds", "ackedLost", "duplicateSeqs", "acked"),
      "latency", List.of("subscribers", "deliveriesPerSecond", "p50Ms", "p99Ms", "p999Ms", "gaps", "duplicates"));

  private Results() {
  }

  /** Evaluates {@code --expect} targets against the figures and wraps them in the result envelope. */
  static JsonObject of(LoadGen.Options o, JsonObject figures, Instant startedAt, double loadAtStart) {
    JsonObject targets = new JsonObject();
    boolean met = true;
    for (String e : o.expects) {
      boolean atMost = e.contains("<=");
      String[] kv = e.split(atMost ? "<=" : ">=");
      double want = Double.parseDouble(kv[1]);
      Object v = figures.getValue(kv[0]);
      Double got = v instanceof Number n ? n.doubleValue() : null;
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
        .put("loadAverageAtStart", loadAtStart)
        .put("loadAverageAtEnd", loadAverage())
        .put("startedAt", startedAt.toString())
        .put("loadgen", o.describe());
  }

  static void write(JsonObject result, String out) throws IOException {
    if (out == null) {
      return;
    }
    Path p = Path.of(out);
    if (p.getParent() != null) {
      Files.createDirectories(p.getParent());
    }
    Files.writeString(p, result.encodePrettily());
  }

  /** One line: the scenario's figures, then whether every target was met. */
  static String summary(JsonObject r) {
    JsonObject f = r.getJsonObject("figures");
    List<String> names = SUMMARY.getOrDefault(r.getString("scenario"), List.copyOf(f.fieldNames()));
    StringBuilder sb = new StringBuilder(r.getString("scenario")).append(':');
    for (String n : names) {
      if (f.containsKey(n)) {
        sb.append(' ').append(n).append('=').append(f.getValue(n));
      }
    }
    if (!r.getJsonObject("targets").isEmpty()) {
      sb.append(" | targets ").append(r.getJsonObject("targets").encode()).append(" met=").append(r.getBoolean("met"));
    }
    return sb.toString();
  }

  /** The 1-minute load average of the machine at the time of the call, from /proc/loadavg. */
  static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
