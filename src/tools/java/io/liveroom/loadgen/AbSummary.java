package io.liveroom.loadgen;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The medians of an A/B run of {@code scripts/bench-ab.sh}: reads {@code A-<i>.json} and
 * {@code B-<i>.json} of a folder, prints each numeric figure's runs and median per side and the
 * ratio B/A of the medians, and writes {@code summary.json} beside them. A load curve's steps
 * are compared step by step ({@link #numbers}).
 */
public final class AbSummary {
  private AbSummary() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: AbSummary <folder> <A settings> <B settings>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    List<JsonObject> a = read(dir, "A-");
    List<JsonObject> b = read(dir, "B-");
    Set<String> names = new LinkedHashSet<>();
    Stream.concat(a.stream(), b.stream()).forEach(r -> names.addAll(numbers(r).fieldNames()));
    JsonObject figures = new JsonObject();
    System.out.printf(Locale.ROOT, "A: %s (%d runs)%nB: %s (%d runs)%n", args[1], a.size(), args[2], b.size());
    System.out.printf(Locale.ROOT, "%-36s %-34s %-34s %s%n", "figure", "A runs -> median", "B runs -> median", "B/A");
    for (String name : names) {
      double[] av = values(a, name);
      double[] bv = values(b, name);
      double am = median(av);
      double bm = median(bv);
      double ratio = am == 0 ? Double.NaN : bm / am;
      System.out.printf(Locale.ROOT, "%-36s %-34s %-34s %s%n", name, runs(av, am), runs(bv, bm),
          Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.3f", ratio));
      figures.put(name, new JsonObject().put("a", list(av)).put("b", list(bv)).put("aMedian", am)
          .put("bMedian", bm).put("ratio", Double.isNaN(ratio) ? null : ratio));
    }
    JsonObject summary = new JsonObject().put("a", args[1]).put("b", args[2]).put("aRuns", a.size())
        .put("bRuns", b.size()).put("figures", figures);
    Files.writeString(dir.resolve("summary.json"), summary.encodePrettily(), StandardCharsets.UTF_8);
  }

  private static List<JsonObject> read(Path dir, String prefix) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      // the runs' results, not the plots kept beside them
      for (Path p : files.filter(f -> f.getFileName().toString().startsWith(prefix)
          && f.getFileName().toString().endsWith(".json")).sorted().toList()) {
        out.add(new JsonObject(Files.readString(p, StandardCharsets.UTF_8)));
      }
    }
    return out;
  }

  /**
   * The numeric figures of a result; a load curve's steps ({@code fanout-curve}) are added as
   * {@code step<rate>.<figure>}, e.g. {@code step200.p99Ms}, so that each step compares with its own.
   */
  static JsonObject numbers(JsonObject result) {
    JsonObject out = new JsonObject();
    JsonObject f = result.getJsonObject("figures", new JsonObject());
    f.forEach(e -> {
      if (e.getValue() instanceof Number) {
        out.put(e.getKey(), e.getValue());
      }
    });
    if (f.getValue("steps") instanceof io.vertx.core.json.JsonArray steps) {
      for (Object o : steps) {
        if (o instanceof JsonObject step && step.getValue("rate") instanceof Number rate) {
          String prefix = "step" + fmt(rate.doubleValue()) + ".";
          step.forEach(e -> {
            if (e.getValue() instanceof Number && !e.getKey().equals("rate")) {
              out.put(prefix + e.getKey(), e.getValue());
            }
          });
        }
      }
    }
    return out;
  }

  private static double[] values(List<JsonObject> results, String name) {
    return results.stream().map(r -> numbers(r).getValue(name))
        .filter(v -> v instanceof Number).mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  static double median(double[] v) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static String runs(double[] v, double median) {
    StringBuilder sb = new StringBuilder();
    for (double d : v) {
      sb.append(sb.isEmpty() ? "" : " ").append(fmt(d));
    }
    return sb.append(" -> ").append(fmt(median)).toString();
  }

  private static String fmt(double d) {
    return Math.abs(d) >= 1000 || d == Math.rint(d) ? String.format(Locale.ROOT, "%.0f", d)
        : String.format(Locale.ROOT, "%.2f", d);
  }

  private static io.vertx.core.json.JsonArray list(double[] v) {
    io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
    for (double d : v) {
      a.add(d);
    }
    return a;
  }
}
