package io.liveroom.loadgen;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG plots of a result's measured window, beside its JSON ({@code target/bench/<scenario>.json}):
 * {@code <scenario>-latency.png}, p50 and p99 of each second over the window, and
 * {@code <scenario>-throughput.png}, each second's rate (deliveries or creates per second) against
 * its p50 and p99. Drawn from the per-second series of {@link Progress}; a result without them
 * (idle-conns, sweep, rooms-memory) gets no plot. A load curve ({@code fanout-curve}) gets one
 * point a step instead ({@link #curve}). Standalone, to draw results again:
 * {@code java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.Plots target/bench/latency.json ...}.
 */
public final class Plots {
  static {
    // no display on benchmark machines: charts are drawn into images only (set before any AWT class loads)
    System.setProperty("java.awt.headless", "true");
  }

  static final int WIDTH = 960;
  static final int HEIGHT = 540;
  private static final Color P50 = new Color(0x1f, 0x77, 0xb4);
  private static final Color P99 = new Color(0xd6, 0x27, 0x28);
  private static final Color P999 = new Color(0x94, 0x67, 0xbd);

  private Plots() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.out.println("usage: java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.Plots <result.json>...");
      return;
    }
    for (String a : args) {
      Path json = Path.of(a);
      for (Path p : write(new JsonObject(Files.readString(json)), json)) {
        System.out.println("plot: " + p);
      }
    }
  }

  /** Writes the plots of {@code result} beside {@code json}; the files written, none when it has no per-second series. */
  static List<Path> write(JsonObject result, Path json) throws IOException {
    JsonObject f = result.getJsonObject("figures", new JsonObject());
    if (f.getValue("steps") instanceof JsonArray steps) {
      return curve(result, f, steps, json);
    }
    String rateName = f.containsKey("deliveriesBySecond") ? "deliveries" : f.containsKey("createsBySecond")
        ? "creates" : null;
    if (rateName == null) {
      return List.of();
    }
    JsonArray rate = f.getJsonArray(rateName + "BySecond");
    JsonArray p50 = f.getJsonArray("p50MsBySecond");
    JsonArray p99 = f.getJsonArray("p99MsBySecond");
    String name = json.getFileName().toString().replaceFirst("\\.json$", "");
    Path dir = json.getParent() == null ? Path.of(".") : json.getParent();
    Files.createDirectories(dir);
    String scenario = result.getString("scenario", name);
    String about = about(result, f, rateName);
    List<Path> out = new ArrayList<>();

    Path latency = dir.resolve(name + "-latency.png");
    if (p99 != null) {
      XYSeriesCollection d = new XYSeriesCollection();
      d.addSeries(bySecond("p99", p99));
      d.addSeries(bySecond("p50", p50));
      save(line(scenario + ": latency over the measured window", "second of the window", "latency (ms)", d,
          about, P99, P50), latency);
    } else {
      // wrk: percentiles of the whole run only, so the servers' count of each second is what changes over time
      XYSeriesCollection d = new XYSeriesCollection(bySecond(rateName + "/s (server-counted)", rate));
      save(line(scenario + ": " + rateName + " per second (wrk has latency for the whole run only: p50 "
          + f.getValue("p50Ms") + " ms, p99 " + f.getValue("p99Ms") + " ms)", "second of the window", rateName
          + " per second", d, about, P50), latency);
    }
    out.add(latency);

    Path throughput = dir.resolve(name + "-throughput.png");
    XYSeriesCollection d = new XYSeriesCollection();
    if (p99 != null) {
      d.addSeries(against("p99", rate, p99));
      d.addSeries(against("p50", rate, p50));
      JFreeChart chart = ChartFactory.createScatterPlot(scenario + ": " + rateName + "/s against latency, one point a second",
          rateName + " per second", "latency (ms)", d, PlotOrientation.VERTICAL, true, false, false);
      style(chart, about, P99, P50);
      save(chart, throughput);
    } else {
      d.addSeries(bySecond(rateName + "/s (server-counted)", rate));
      save(line(scenario + ": " + rateName + " per second", "second of the window", rateName + " per second", d,
          about, P50), throughput);
    }
    out.add(throughput);
    return out;
  }

  /**
   * A load curve ({@code fanout-curve}): {@code <name>-throughput.png}, each step's deliveries/s
   * against its p50, p99 and p99.9, with the knee's p99 limit drawn across; and
   * {@code <name>-cpu.png}, the CPU per 1,000 deliveries of the server and of the load generator
   * at each step.
   */
  private static List<Path> curve(JsonObject result, JsonObject f, JsonArray steps, Path json) throws IOException {
    String name = json.getFileName().toString().replaceFirst("\\.json$", "");
    Path dir = json.getParent() == null ? Path.of(".") : json.getParent();
    Files.createDirectories(dir);
    String scenario = result.getString("scenario", name);
    String started = result.getString("startedAt", "");
    String about = String.format("%d steps, %s subscribers; knee %s deliveries/s (%s msg/s), server %s ms CPU per 1,000"
            + " | %s, %s cores, load average %s | %s", steps.size(), f.getValue("subscribers", "?"),
        f.getValue("kneeDeliveriesPerSecond", "none"), f.getValue("kneeRate", "-"),
        f.getValue("serverCpuMsPer1kDeliveries", "-"), result.getString("jdk", "?"), result.getValue("cores", "?"),
        result.getValue("loadAverageAtStart", "?"), started.length() > 19 ? started.substring(0, 19) + "Z" : started);
    List<Path> out = new ArrayList<>();

    XYSeriesCollection latency = new XYSeriesCollection();
    latency.addSeries(step("p99.9", steps, "deliveriesPerSecond", "p999Ms"));
    latency.addSeries(step("p99", steps, "deliveriesPerSecond", "p99Ms"));
    latency.addSeries(step("p50", steps, "deliveriesPerSecond", "p50Ms"));
    JFreeChart chart = line(scenario + ": deliveries/s against latency, one point a step", "deliveries per second",
        "latency (ms)", latency, about, P999, P99, P50);
    ((NumberAxis) chart.getXYPlot().getDomainAxis()).setStandardTickUnits(NumberAxis.createStandardTickUnits());
    ValueMarker limit = new ValueMarker(f.getDouble("kneeP99LimitMs", Curve.KNEE_P99_MS));
    limit.setPaint(Color.GRAY);
    limit.setLabel("p99 limit of the knee, " + limit.getValue() + " ms");
    limit.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
    limit.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_RIGHT);
    chart.getXYPlot().addRangeMarker(limit);
    Path throughput = dir.resolve(name + "-throughput.png");
    save(chart, throughput);
    out.add(throughput);

    XYSeriesCollection cpu = new XYSeriesCollection();
    cpu.addSeries(step("server", steps, "deliveriesPerSecond", "serverCpuMsPer1kDeliveries"));
    cpu.addSeries(step("load generator", steps, "deliveriesPerSecond", "loadgenCpuMsPer1kDeliveries"));
    JFreeChart cpuChart = line(scenario + ": CPU per 1,000 deliveries, one point a step", "deliveries per second",
        "CPU ms per 1,000 deliveries", cpu, about, P99, P50);
    ((NumberAxis) cpuChart.getXYPlot().getDomainAxis()).setStandardTickUnits(NumberAxis.createStandardTickUnits());
    Path cpuPng = dir.resolve(name + "-cpu.png");
    save(cpuChart, cpuPng);
    out.add(cpuPng);
    return out;
  }

  /** One point a step, in step order: x and y from the step's figures; a step without y is left out. */
  private static XYSeries step(String key, JsonArray steps, String x, String y) {
    XYSeries s = new XYSeries(key, false, true);
    for (int i = 0; i < steps.size(); i++) {
      JsonObject st = steps.getJsonObject(i);
      if (st.getValue(x) instanceof Number xv && st.getValue(y) instanceof Number yv) {
        s.add(xv.doubleValue(), yv.doubleValue());
      }
    }
    return s;
  }

  /** The subtitle: the window's figures, and on what and when it ran (a busy machine shows in the load average). */
  private static String about(JsonObject result, JsonObject f, String rateName) {
    String started = result.getString("startedAt", "");
    return String.format("%s s, %s %s/s, p50 %s ms, p99 %s ms | %s, %s cores, load average %s | %s",
        f.getJsonArray(rateName + "BySecond").size(), f.getValue(rateName + "PerSecond", "?"), rateName,
        f.getValue("p50Ms", "?"), f.getValue("p99Ms", "?"), result.getString("jdk", "?"),
        result.getValue("cores", "?"), result.getValue("loadAverageAtStart", "?"),
        started.length() > 19 ? started.substring(0, 19) + "Z" : started);
  }

  private static XYSeries bySecond(String key, JsonArray values) {
    XYSeries s = new XYSeries(key);
    for (int i = 0; i < values.size(); i++) {
      s.add(i + 1, ((Number) values.getValue(i)).doubleValue());
    }
    return s;
  }

  /** One point a second: x its rate, y its latency; autoSort off, so points stay in time order. */
  private static XYSeries against(String key, JsonArray rate, JsonArray latency) {
    XYSeries s = new XYSeries(key, false, true);
    for (int i = 0; i < Math.min(rate.size(), latency.size()); i++) {
      s.add(((Number) rate.getValue(i)).doubleValue(), ((Number) latency.getValue(i)).doubleValue());
    }
    return s;
  }

  private static JFreeChart line(String title, String x, String y, XYSeriesCollection d, String about,
      Color... colors) {
    JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, d, PlotOrientation.VERTICAL, true, false, false);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < colors.length; i++) {
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    chart.getXYPlot().setRenderer(r);
    // whole seconds on the time axis
    ((NumberAxis) chart.getXYPlot().getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    style(chart, about, colors);
    return chart;
  }

  private static void style(JFreeChart chart, String about, Color... colors) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getTitle().setFont(chart.getTitle().getFont().deriveFont(16f));
    chart.addSubtitle(new TextTitle(about));
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    for (int i = 0; i < colors.length; i++) {
      plot.getRenderer().setSeriesPaint(i, colors[i]);
    }
  }

  private static void save(JFreeChart chart, Path file) throws IOException {
    ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
  }
}
