package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void keepsEachSecondAndTheWholeWindow() {
    Progress p = new Progress("deliveries", "deliveries/s", 3, () -> "gaps 0");
    p.second(micros(1000, 2000), 100);
    p.second(micros(3000), 200);
    p.second(micros(), 0);
    JsonObject f = new JsonObject();
    p.putSeries(f);
    assertEquals(new JsonArray().add(100L).add(200L).add(0L), f.getJsonArray("deliveriesBySecond"));
    assertEquals(new JsonArray().add(2.0).add(3.0).add(0.0), f.getJsonArray("p99MsBySecond"));
    assertEquals(3, p.window().getTotalCount());
    assertEquals(3, p.seconds());
  }

  @Test
  void lineNamesElapsedRatePercentilesAndTotals() {
    Progress p = new Progress("creates", "creates/s", 10, () -> "errors 0");
    for (int i = 0; i < 5; i++) {
      p.second(micros(1000, 1000, 9000), 400);
    }
    // the line of the first five seconds was printed; the next one starts from a fresh interval
    p.second(micros(2000), 500);
    assertEquals("6/10 s: 500 creates/s, p50 2.0 ms, p99 2.0 ms over the last 1 s; errors 0 so far", p.line());
  }

  @Test
  void withoutLatencyOnlyTheRate() {
    Progress p = new Progress("creates", "creates/s (server-counted)", 2, null);
    p.second(null, 19000);
    assertEquals("1/2 s: 19000 creates/s (server-counted) over the last 1 s", p.line());
    JsonObject f = new JsonObject();
    p.putSeries(f);
    assertFalse(f.containsKey("p99MsBySecond"));
  }

  private static Histogram micros(long... values) {
    Histogram h = new Histogram(3);
    for (long v : values) {
      h.recordValue(v);
    }
    return h;
  }
}
