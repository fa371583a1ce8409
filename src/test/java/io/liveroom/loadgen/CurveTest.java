package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The knee of a load curve and the figures read there. */
class CurveTest {
  private static JsonObject step(double rate, double deliveries, double p99, long gaps, double serverMs) {
    return new JsonObject().put("rate", rate).put("deliveriesPerSecond", deliveries).put("p50Ms", p99 / 3)
        .put("p99Ms", p99).put("latencySamples", 1000L).put("gaps", gaps).put("duplicates", 0L)
        .put("serverCpuPercent", rate / 4).put("serverCpuMsPer1kDeliveries", serverMs)
        .put("loadgenCpuPercent", rate / 8).put("loadgenCpuMsPer1kDeliveries", serverMs / 2);
  }

  @Test
  void theKneeIsTheHighestStepWithinTheLatencyLimitAndWithoutGaps() {
    JsonArray steps = new JsonArray(List.of(
        step(25, 250_000, 20, 0, 0.61),
        step(50, 500_000, 31, 0, 0.52),
        step(100, 1_000_000, 75, 0, 0.47), // at the limit: still within it
        step(150, 1_480_000, 90, 0, 0.45), // too slow
        step(200, 1_950_000, 60, 12, 0.44), // fast, but it lost items
        step(300, 2_100_000, 1900, 0, 0.43)));
    JsonObject knee = Curve.knee(steps, Curve.KNEE_P99_MS);
    assertEquals(100.0, knee.getDouble("rate"));

    JsonObject f = Curve.figures(steps);
    assertEquals(1_000_000.0, f.getDouble("kneeDeliveriesPerSecond"));
    assertEquals(100.0, f.getDouble("kneeRate"));
    assertEquals(0.47, f.getDouble("serverCpuMsPer1kDeliveries"));
    assertEquals(25.0, f.getDouble("serverCpuPercent"));
    assertEquals(12.5, f.getDouble("loadgenCpuPercent"));
    assertEquals(2_100_000.0, f.getDouble("maxDeliveriesPerSecond"));
    assertEquals(steps, f.getJsonArray("steps"));
  }

  @Test
  void aNoisyStepBelowDoesNotHideAGoodOneAbove() {
    JsonArray steps = new JsonArray(List.of(step(25, 250_000, 20, 0, 0.6), step(50, 500_000, 80, 0, 0.5),
        step(100, 1_000_000, 40, 0, 0.4)));
    assertEquals(100.0, Curve.knee(steps, 75).getDouble("rate"));
  }

  @Test
  void noKneeWhenEveryStepFailsOrHasNoLatency() {
    JsonArray steps = new JsonArray(List.of(step(25, 250_000, 120, 0, 0.6), step(50, 500_000, 10, 3, 0.5),
        step(100, 0, 0, 0, 0).put("latencySamples", 0L)));
    assertNull(Curve.knee(steps, 75));
    JsonObject f = Curve.figures(steps);
    assertNull(f.getValue("kneeDeliveriesPerSecond"));
    assertNull(f.getValue("serverCpuMsPer1kDeliveries"));
  }

  @Test
  void cpuPerThousandDeliveries() {
    assertEquals(0.5, Curve.msPer1k(1000, 2_000_000));
    assertNull(Curve.msPer1k(1000, 0));
  }
}
