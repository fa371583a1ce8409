package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerStatsTest {
  private static final String B = "liveroom_fanout_latency_seconds_bucket{le=\"";

  @Test
  void percentileOfAHistogramOverAnIntervalIsTheBoundOfItsBucket() {
    Map<String, Double> before = Map.of(B + "0.005\"}", 10.0, B + "0.05\"}", 10.0, B + "0.5\"}", 10.0,
        B + "+Inf\"}", 10.0);
    // 100 new observations: 50 under 5 ms, 48 more under 50 ms, 2 more under 500 ms
    Map<String, Double> after = Map.of(B + "0.005\"}", 60.0, B + "0.05\"}", 108.0, B + "0.5\"}", 110.0,
        B + "+Inf\"}", 110.0);
    assertEquals(5.0, ServerStats.histogramPercentileMs(before, after, 50), 1e-9);
    assertEquals(50.0, ServerStats.histogramPercentileMs(before, after, 98), 1e-9);
    assertEquals(500.0, ServerStats.histogramPercentileMs(before, after, 99), 1e-9);
  }

  @Test
  void noObservationsOrBeyondTheLastBoundIsMinusOne() {
    Map<String, Double> same = Map.of(B + "0.005\"}", 3.0, B + "+Inf\"}", 3.0);
    assertEquals(-1, ServerStats.histogramPercentileMs(same, same, 99));
    assertEquals(-1, ServerStats.histogramPercentileMs(Map.of(), Map.of(B + "0.005\"}", 1.0, B + "+Inf\"}", 5.0), 99));
  }
}
