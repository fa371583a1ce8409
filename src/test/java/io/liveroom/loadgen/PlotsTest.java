package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
  /** A latency result as bench.sh writes it, cut to what the plots read and ten seconds long. */
  private static final String LATENCY = """
      {
        "scenario" : "latency",
        "figures" : {
          "subscribers" : 100,
          "deliveriesPerSecond" : 5001.2,
          "p50Ms" : 1.21,
          "p99Ms" : 3.4,
          "p99MsBySecond" : [ 3.1, 3.3, 2.9, 12.5, 3.2, 3.0, 3.4, 3.1, 2.8, 3.3 ],
          "p50MsBySecond" : [ 1.2, 1.3, 1.1, 1.9, 1.2, 1.2, 1.3, 1.2, 1.1, 1.2 ],
          "deliveriesBySecond" : [ 5000, 5000, 4900, 5100, 5000, 5000, 5000, 5000, 5000, 5000 ],
          "gaps" : 0
        },
        "targets" : { "p99Ms" : "<= 75" },
        "met" : true,
        "jdk" : "Eclipse Adoptium 25.0.1",
        "cores" : 2,
        "startedAt" : "2026-12-06T03:25:00Z"
      }
      """;

  @Test
  void pubSubResultGetsBothPlotsBesideItsJson(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("latency.json");
    Files.writeString(json, LATENCY);
    List<Path> written = Plots.write(new JsonObject(LATENCY), json);
    assertEquals(List.of(dir.resolve("latency-latency.png"), dir.resolve("latency-throughput.png")), written);
    written.forEach(PlotsTest::assertPng);
  }

  @Test
  void wrkCreateResultWithoutLatencyPerSecondStillGetsBoth(@TempDir Path dir) throws Exception {
    JsonObject result = new JsonObject().put("scenario", "create-http").put("figures", new JsonObject()
        .put("createsPerSecond", 19004.0).put("p50Ms", 2.9).put("p99Ms", 9.8).put("engine", "wrk")
        .put("createsBySecond", new JsonArray(List.of(18000, 19500, 19000, 19100, 18900))));
    List<Path> written = Plots.write(result, dir.resolve("create-http.json"));
    assertEquals(2, written.size());
    written.forEach(PlotsTest::assertPng);
  }

  @Test
  void resultWithoutPerSecondSeriesGetsNoPlot(@TempDir Path dir) throws Exception {
    JsonObject idle = new JsonObject().put("scenario", "idle-conns").put("figures", new JsonObject()
        .put("connections", 50000).put("heapBytesPerConnection", 3000));
    assertEquals(List.of(), Plots.write(idle, dir.resolve("idle-conns.json")));
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void standaloneDrawsAResultFileAgain(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("fanout-hot.json");
    Files.writeString(json, LATENCY.replace("\"latency\"", "\"fanout-hot\""));
    Plots.main(new String[] {json.toString()});
    assertPng(dir.resolve("fanout-hot-latency.png"));
    assertPng(dir.resolve("fanout-hot-throughput.png"));
  }

  @Test
  void curveResultGetsItsLatencyAndCpuPlots(@TempDir Path dir) throws Exception {
    JsonArray steps = new JsonArray();
    double[][] points = {{25, 249_800, 8.1, 21, 30, 0.61}, {50, 499_500, 9.0, 25, 41, 0.52},
        {100, 998_000, 14.2, 48, 80, 0.47}, {150, 1_410_000, 160, 900, 1400, 0.45}};
    for (double[] p : points) {
      steps.add(new JsonObject().put("rate", p[0]).put("deliveriesPerSecond", p[1]).put("p50Ms", p[2])
          .put("p99Ms", p[3]).put("p999Ms", p[4]).put("latencySamples", 5000L).put("gaps", 0L).put("duplicates", 0L)
          .put("serverCpuMsPer1kDeliveries", p[5]).put("loadgenCpuMsPer1kDeliveries", p[5] / 2));
    }
    JsonObject result = new JsonObject().put("scenario", "fanout-curve").put("jdk", "Eclipse Adoptium 25.0.3")
        .put("cores", 2).put("figures", Curve.figures(steps).put("subscribers", 10000));
    List<Path> written = Plots.write(result, dir.resolve("fanout-curve.json"));
    assertEquals(List.of(dir.resolve("fanout-curve-throughput.png"), dir.resolve("fanout-curve-cpu.png")), written);
    written.forEach(PlotsTest::assertPng);
  }

  private static void assertPng(Path p) {
    try {
      assertTrue(Files.size(p) > 1000, p + " is too small to hold a chart");
      byte[] head = new byte[8];
      try (var in = Files.newInputStream(p)) {
        assertEquals(8, in.read(head));
      }
      assertEquals("\u0089PNG\r\n\u001a\n", new String(head, java.nio.charset.StandardCharsets.ISO_8859_1));
      BufferedImage img = ImageIO.read(p.toFile());
      assertNotNull(img, p + " is not an image ImageIO reads");
      assertEquals(Plots.WIDTH, img.getWidth());
      assertEquals(Plots.HEIGHT, img.getHeight());
    } catch (java.io.IOException e) {
      throw new AssertionError(p.toString(), e);
    }
  }
}
