package io.liveroom.loadgen;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The samples of one scrape of {@code /metrics} (Prometheus text format), enough for the load
 * tools and tests to read a few meters: {@code sum("jvm_memory_used_bytes", "area=\"heap\"")}.
 */
public final class PromText {
  /** Series as written (name plus its label block) to value. */
  private final Map<String, Double> samples;

  private PromText(Map<String, Double> samples) {
    this.samples = samples;
  }

  public static PromText parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      int sp = line.lastIndexOf(' ');
      if (sp <= 0) {
        continue;
      }
      try {
        out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
      } catch (NumberFormatException e) {
        // not a sample line
      }
    }
    return new PromText(out);
  }

  /**
   * The sum of the series named {@code name} whose labels include every {@code k="v"} given; NaN
   * when there is none.
   */
  public double sum(String name, String... labels) {
    double sum = 0;
    boolean found = false;
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      String series = e.getKey();
      if (!series.equals(name) && !series.startsWith(name + "{")) {
        continue;
      }
      boolean all = true;
      for (String l : labels) {
        all &= series.contains(l);
      }
      if (all) {
        sum += e.getValue();
        found = true;
      }
    }
    return found ? sum : Double.NaN;
  }

  /** Like {@link #sum} but 0 when there is no such series (counters appear on first use). */
  public double sumOrZero(String name, String... labels) {
    double v = sum(name, labels);
    return Double.isNaN(v) ? 0 : v;
  }
}
