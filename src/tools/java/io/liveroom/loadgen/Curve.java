package io.liveroom.loadgen;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The figures of a load curve ({@code scripts/bench.sh fanout-curve}): one room's publish rate
 * stepped up in one run, each step measured on its own. The knee is the highest step that still
 * meets the latency target with every item delivered; what the node costs is read there.
 */
final class Curve {
  /** BENCHMARKS.md's latency target for the knee: p99 at most batchMs + 50 ms. */
  static final double KNEE_P99_MS = 75;

  private Curve() {
  }

  /** CPU milliseconds per 1,000 deliveries; null without deliveries. */
  static Double msPer1k(double cpuMs, long deliveries) {
    return deliveries <= 0 ? null : Results.round(cpuMs / (deliveries / 1000.0));
  }

  /**
   * The knee: of the steps with {@code p99Ms <= p99LimitMs}, no gaps and no duplicates, the one
   * at the highest rate (not the first to fail: a noisy step below does not hide a good one
   * above); null when no step qualifies.
   */
  static JsonObject knee(JsonArray steps, double p99LimitMs) {
    JsonObject best = null;
    for (int i = 0; i < steps.size(); i++) {
      JsonObject s = steps.getJsonObject(i);
      Number p99 = (Number) s.getValue("p99Ms");
      boolean ok = p99 != null && s.getLong("latencySamples", 0L) > 0 && p99.doubleValue() <= p99LimitMs
          && s.getLong("gaps", 1L) == 0 && s.getLong("duplicates", 0L) == 0;
      if (ok && (best == null || s.getDouble("rate") > best.getDouble("rate"))) {
        best = s;
      }
    }
    return best;
  }

  /** One line of a finished step, for the run's output. */
  static String line(JsonObject step) {
    return String.format(java.util.Locale.ROOT,
        "step %s msg/s: %s deliveries/s, p50 %s ms, p99 %s ms, p99.9 %s ms; gaps %s, duplicates %s; server CPU %s%%"
            + " (%s ms per 1,000), load generator CPU %s%% (%s ms per 1,000)",
        step.getValue("rate"), step.getValue("deliveriesPerSecond"), step.getValue("p50Ms"), step.getValue("p99Ms"),
        step.getValue("p999Ms"), step.getValue("gaps"), step.getValue("duplicates"),
        step.getValue("serverCpuPercent", "?"), step.getValue("serverCpuMsPer1kDeliveries", "?"),
        step.getValue("loadgenCpuPercent", "?"), step.getValue("loadgenCpuMsPer1kDeliveries", "?"));
  }

  /** The curve's headline figures, from its steps: the knee's rate, deliveries and costs (null where there is no knee). */
  static JsonObject figures(JsonArray steps) {
    JsonObject knee = knee(steps, KNEE_P99_MS);
    return new JsonObject()
        .put("steps", steps)
        .put("kneeP99LimitMs", KNEE_P99_MS)
        .put("kneeRate", knee == null ? null : knee.getValue("rate"))
        .put("kneeDeliveriesPerSecond", knee == null ? null : knee.getValue("deliveriesPerSecond"))
        .put("kneeP99Ms", knee == null ? null : knee.getValue("p99Ms"))
        .put("serverCpuMsPer1kDeliveries", knee == null ? null : knee.getValue("serverCpuMsPer1kDeliveries"))
        .put("serverCpuPercent", knee == null ? null : knee.getValue("serverCpuPercent"))
        .put("loadgenCpuMsPer1kDeliveries", knee == null ? null : knee.getValue("loadgenCpuMsPer1kDeliveries"))
        .put("loadgenCpuPercent", knee == null ? null : knee.getValue("loadgenCpuPercent"))
        .put("maxDeliveriesPerSecond", steps.stream().mapToDouble(s -> ((JsonObject) s).getDouble("deliveriesPerSecond"))
            .max().orElse(0));
  }
}
