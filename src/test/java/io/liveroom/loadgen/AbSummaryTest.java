package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AbSummaryTest {
  @Test
  void medianOfOddAndEvenCountsAndNothing() {
    assertEquals(3.0, AbSummary.median(new double[] {9, 1, 3}));
    assertEquals(2.5, AbSummary.median(new double[] {4, 1, 3, 2}));
    assertTrue(Double.isNaN(AbSummary.median(new double[0])));
  }

  @Test
  void summaryHasEachSidesMedianAndTheRatio(@TempDir Path dir) throws Exception {
    double[] a = {100, 300, 200};
    double[] b = {50, 150, 90};
    for (int i = 0; i < 3; i++) {
      write(dir.resolve("A-" + (i + 1) + ".json"), a[i]);
      write(dir.resolve("B-" + (i + 1) + ".json"), b[i]);
    }
    AbSummary.main(new String[] {dir.toString(), "X=1", "X=2"});
    JsonObject p99 = new JsonObject(Files.readString(dir.resolve("summary.json"))).getJsonObject("figures")
        .getJsonObject("p99Ms");
    assertEquals(200.0, p99.getDouble("aMedian"));
    assertEquals(90.0, p99.getDouble("bMedian"));
    assertEquals(0.45, p99.getDouble("ratio"), 1e-9);
  }

  @Test
  void aCurveIsComparedStepByStep() {
    JsonObject curve = new JsonObject().put("figures", new JsonObject().put("kneeDeliveriesPerSecond", 1_000_000.0)
        .put("steps", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("rate", 25.0).put("p99Ms", 20.5).put("p99MsBySecond", new io.vertx.core.json.JsonArray()))
            .add(new JsonObject().put("rate", 200.0).put("p99Ms", 61.0).put("gaps", 0))));
    JsonObject n = AbSummary.numbers(curve);
    assertEquals(1_000_000.0, n.getDouble("kneeDeliveriesPerSecond"));
    assertEquals(20.5, n.getDouble("step25.p99Ms"));
    assertEquals(61.0, n.getDouble("step200.p99Ms"));
    assertEquals(0, n.getInteger("step200.gaps"));
    assertEquals(4, n.size(), n.encode());
  }

  private static void write(Path p, double p99) throws Exception {
    Files.writeString(p, new JsonObject().put("figures", new JsonObject().put("p99Ms", p99).put("scenario", "x"))
        .encode(), StandardCharsets.UTF_8);
  }
}
