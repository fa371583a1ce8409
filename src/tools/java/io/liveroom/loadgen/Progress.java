package io.liveroom.loadgen;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The seconds of a measured window: fed once a second from the load generator's main thread with
 * that second's latency histogram and count, it keeps the per-second series the plots draw
 * ({@link Plots}), the whole window's histogram, and prints a progress line every
 * {@link #EVERY_SECONDS} seconds. It only reads what the load already records (an interval
 * histogram, a counter): nothing is added per item.
 */
final class Progress {
  static final int EVERY_SECONDS = 5;

  private final String rateName;
  private final String unit;
  private final int totalSeconds;
  private final Supplier<String> soFar;
  private final Histogram window = new Histogram(3);
  private final Histogram recent = new Histogram(3);
  private final JsonArray p50 = new JsonArray();
  private final JsonArray p99 = new JsonArray();
  private final JsonArray rate = new JsonArray();
  private long recentCount;
  private int recentSeconds;
  private int seconds;

  /**
   * @param rateName the figure of the per-second counts, e.g. {@code deliveries}: written as
   *     {@code deliveriesBySecond}
   * @param unit how a line names the rate, e.g. {@code deliveries/s}
   * @param soFar running totals for the end of each line ({@code gaps 0, dropped 0}), or null
   */
  Progress(String rateName, String unit, int totalSeconds, Supplier<String> soFar) {
    this.rateName = rateName;
    this.unit = unit;
    this.totalSeconds = totalSeconds;
    this.soFar = soFar;
  }

  /** One second: its latency in microseconds (null when this load has none per second) and its count. */
  void second(Histogram latencyMicros, long count) {
    seconds++;
    rate.add(count);
    recentCount += count;
    recentSeconds++;
    if (latencyMicros != null) {
      p50.add(ms(latencyMicros, 50));
      p99.add(ms(latencyMicros, 99));
      window.add(latencyMicros);
      recent.add(latencyMicros);
    }
    if (recentSeconds == EVERY_SECONDS || seconds == totalSeconds) {
      LoadGen.log("%s", line());
      recent.reset();
      recentCount = 0;
      recentSeconds = 0;
    }
  }

  /** The line of the last interval: elapsed/total, its rate and percentiles, and the totals so far. */
  String line() {
    StringBuilder sb = new StringBuilder().append(seconds).append('/').append(totalSeconds).append(" s: ")
        .append(Math.round((double) recentCount / Math.max(1, recentSeconds))).append(' ').append(unit);
    if (recent.getTotalCount() > 0) {
      sb.append(", p50 ").append(ms(recent, 50)).append(" ms, p99 ").append(ms(recent, 99)).append(" ms");
    }
    sb.append(" over the last ").append(recentSeconds).append(" s");
    String totals = soFar == null ? "" : soFar.get();
    if (!totals.isEmpty()) {
      sb.append("; ").append(totals).append(" so far");
    }
    return sb.toString();
  }

  /** The seconds fed so far. */
  int seconds() {
    return seconds;
  }

  /** Every latency of the window so far, in microseconds. */
  Histogram window() {
    return window;
  }

  /** Adds {@code <rateName>BySecond}, and {@code p50MsBySecond}, {@code p99MsBySecond} when there was latency. */
  void putSeries(JsonObject figures) {
    figures.put(rateName + "BySecond", rate);
    if (!p99.isEmpty()) {
      figures.put("p50MsBySecond", p50).put("p99MsBySecond", p99);
    }
  }

  private static double ms(Histogram h, double percentile) {
    return Results.round(h.getValueAtPercentile(percentile) / 1000.0);
  }
}
