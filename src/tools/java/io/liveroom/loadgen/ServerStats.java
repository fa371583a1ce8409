package io.liveroom.loadgen;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples the server processes under load: CPU from {@code /proc/<pid>/stat}, RSS from
 * {@code /proc/<pid>/status}, heap from {@code /metrics}, and drives {@code jcmd} for full GCs
 * and JFR recordings. Everything here blocks: call it from the load generator's main thread or
 * from the {@link Sampler}'s own thread, never from an event loop.
 */
final class ServerStats {
  /** Linux USER_HZ: clock ticks per second of /proc/<pid>/stat. */
  private static final double TICKS_PER_SECOND = 100.0;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ServerStats() {
  }

  /** User plus system CPU ticks of the processes so far (0 for a process that is gone). */
  static long cpuTicks(List<Long> pids) {
    long sum = 0;
    for (long pid : pids) {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException e) {
        // the process ended or /proc is not Linux's
      }
    }
    return sum;
  }

  /** CPU time of this process (the load generator) so far, in nanoseconds; -1 where the JVM cannot tell. */
  static long selfCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** CPU used over {@code seconds} as a percentage of the whole machine (all cores). */
  static double cpuPercent(long ticks, double seconds) {
    return ticks / TICKS_PER_SECOND / seconds / Runtime.getRuntime().availableProcessors() * 100;
  }

  /** Sum of the resident set sizes of the processes, in bytes (0 for a process that is gone). */
  static long rssBytes(List<Long> pids) {
    long sum = 0;
    for (long pid : pids) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
          if (line.startsWith("VmRSS:")) {
            sum += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException | RuntimeException e) {
        // gone
      }
    }
    return sum;
  }

  /** Sum of {@code jvm_memory_used_bytes{area="heap"}} over the servers' Prometheus endpoints (-1 if one fails). */
  static double heapBytes(List<String> urls) {
    double sum = 0;
    for (String u : urls) {
      String text = scrape(u);
      if (text == null) {
        return -1;
      }
      sum += HEAP.sum(text);
    }
    return sum;
  }

  /** The sum of {@code series} over the endpoints; -1 when one does not answer. */
  static double count(List<String> urls, Series series) {
    double sum = 0;
    for (String u : urls) {
      String text = scrape(u);
      if (text == null) {
        return -1;
      }
      sum += series.sum(text);
    }
    return sum;
  }

  private static final Series HEAP = new Series("jvm_memory_used_bytes{", "area=\"heap\"");

  /** The samples of one metric whose line starts with {@code name} and holds each of {@code labels}, summed. */
  record Series(String name, List<String> labels) {
    Series(String name, String... labels) {
      this(name, List.of(labels));
    }

    double sum(String metricsText) {
      double sum = 0;
      for (String line : metricsText.split("\n")) {
        if (line.startsWith(name) && labels.stream().allMatch(line::contains)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    }
  }

  /** The sum of one Prometheus sample over the endpoints: {@code name} plus its exact label text, e.g. {@code foo{a="b"}}. */
  static double metric(List<String> urls, String series) {
    return series(urls, series).getOrDefault(series, 0.0);
  }

  /** The sum of the values of {@link #series}. */
  static double sum(java.util.Map<String, Double> series) {
    return series.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /** Every series whose name starts with {@code prefix}, with its labels, summed over the endpoints. */
  static java.util.Map<String, Double> series(List<String> urls, String prefix) {
    java.util.Map<String, Double> out = new java.util.TreeMap<>();
    for (String u : urls) {
      String text = scrape(u);
      if (text == null) {
        continue;
      }
      for (String line : text.split("\n")) {
        if (line.startsWith(prefix)) {
          int sp = line.lastIndexOf(' ');
          out.merge(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)), Double::sum);
        }
      }
    }
    return out;
  }

  /**
   * The {@code p}th percentile (0 to 100) of a Prometheus histogram over an interval, in ms: from its
   * cumulative bucket counts before and after (series of {@link #series}, summed over nodes), the
   * upper bound of the first bucket that holds it; -1 without observations or beyond the last bound.
   */
  static double histogramPercentileMs(java.util.Map<String, Double> before, java.util.Map<String, Double> after,
      double p) {
    java.util.TreeMap<Double, Double> byBound = new java.util.TreeMap<>();
    after.forEach((series, v) -> {
      int at = series.indexOf("le=\"");
      if (at >= 0) {
        String le = series.substring(at + 4, series.indexOf('"', at + 4));
        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        byBound.merge(bound, v - before.getOrDefault(series, 0.0), Double::sum);
      }
    });
    double total = byBound.isEmpty() ? 0 : byBound.lastEntry().getValue();
    if (total <= 0) {
      return -1;
    }
    for (java.util.Map.Entry<Double, Double> e : byBound.entrySet()) {
      if (e.getValue() >= total * p / 100) {
        return Double.isInfinite(e.getKey()) ? -1 : e.getKey() * 1000;
      }
    }
    return -1;
  }

  /** The text of a {@code /metrics} endpoint, or null when it does not answer. */
  static String scrape(String url) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Full GC in each server ({@code jcmd <pid> GC.run}, twice, so that what the first freed is gone too). */
  static void fullGc(List<Long> pids) {
    for (int i = 0; i < 2; i++) {
      for (long pid : pids) {
        jcmd(pid, "GC.run");
      }
    }
  }

  /**
   * Starts a JFR recording ({@code settings=profile}) in each server, with CPU-time sampling
   * ({@code jdk.CPUTimeSample}, JDK 25 on Linux: native code and system calls too) where the
   * server's JDK has it.
   */
  static void jfrStart(List<Long> pids) {
    for (long pid : pids) {
      if (!jcmd(pid, "JFR.start", "name=bench", "settings=profile", "jdk.CPUTimeSample#enabled=true",
          "jdk.CPUTimeSample#throttle=5ms")) {
        jcmd(pid, "JFR.start", "name=bench", "settings=profile");
      }
    }
  }

  /** Stops the recordings and writes them to {@code <prefix>-<pid>.jfr}; returns the files. */
  static List<String> jfrStop(List<Long> pids, String prefix) {
    List<String> files = new ArrayList<>();
    for (long pid : pids) {
      String file = Path.of(prefix + "-" + pid + ".jfr").toAbsolutePath().toString();
      if (jcmd(pid, "JFR.stop", "name=bench", "filename=" + file)) {
        files.add(file);
      }
    }
    return files;
  }

  /**
   * The live heap of a server by class ({@code jcmd <pid> GC.class_histogram}, which runs a full
   * GC first): class name to {instances, bytes}; empty when jcmd failed.
   */
  static java.util.Map<String, long[]> histogram(long pid) {
    java.util.Map<String, long[]> out = new java.util.HashMap<>();
    String text = jcmdOutput(pid, "GC.class_histogram");
    if (text == null) {
      return out;
    }
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      // "   1:        123456       7890123  [B (java.base@25)"
      if (f.length >= 4 && f[0].endsWith(":")) {
        try {
          out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        } catch (NumberFormatException e) {
          // a header or total line
        }
      }
    }
    return out;
  }

  /** Runs jcmd of this JVM's JDK against a server; false when it failed (the server may be gone). */
  static boolean jcmd(long pid, String... command) {
    return jcmdOutput(pid, command) != null;
  }

  /** Runs jcmd against a server and returns what it printed, or null when it failed. */
  static String jcmdOutput(long pid, String... command) {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jcmd = Path.of(java).resolveSibling("jcmd");
    List<String> cmd = new ArrayList<>();
    cmd.add(Files.isExecutable(jcmd) ? jcmd.toString() : "jcmd");
    cmd.add(Long.toString(pid));
    cmd.addAll(List.of(command));
    try {
      Path out = Files.createTempFile("jcmd", ".txt");
      try {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return null;
        }
        return p.exitValue() == 0 ? Files.readString(out) : null;
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * Samples the servers once a second on its own thread while a scenario runs: CPU over each
   * second, and heap and RSS at each second. {@link #close} stops it.
   */
  static final class Sampler implements AutoCloseable {
    private final List<Long> pids;
    private final List<String> urls;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "server-sampler");
      t.setDaemon(true);
      return t;
    });
    private long lastTicks;
    private long lastNanos;
    private double cpuMax;
    private double heapMax;
    private double heapLast;
    private long rssMax;
    private final Series counted;
    private double countedLast = -1;

    Sampler(List<Long> pids, List<String> urls) {
      this(pids, urls, null);
    }

    /** Also sums {@code counted} over the endpoints at each sample, from the same scrape as the heap. */
    Sampler(List<Long> pids, List<String> urls, Series counted) {
      this.pids = pids;
      this.urls = urls;
      this.counted = counted;
      lastTicks = cpuTicks(pids);
      lastNanos = System.nanoTime();
      timer.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    /** Scrapes outside the lock: a loaded node takes a few hundred ms to answer, and readers should not wait for it. */
    private void sample() {
      long ticks = cpuTicks(pids);
      long now = System.nanoTime();
      double cpu = cpuPercent(ticks - lastTicks, (now - lastNanos) / 1e9);
      lastTicks = ticks;
      lastNanos = now;
      double heap = urls.isEmpty() ? -1 : 0;
      double count = 0;
      for (String u : urls) {
        String text = scrape(u);
        if (text == null) {
          heap = -1;
          break;
        }
        heap += HEAP.sum(text);
        count += counted == null ? 0 : counted.sum(text);
      }
      long rss = rssBytes(pids);
      synchronized (this) {
        cpuMax = Math.max(cpuMax, cpu);
        if (heap >= 0) {
          heapLast = heap;
          heapMax = Math.max(heapMax, heap);
          countedLast = counted == null ? -1 : count;
        }
        rssMax = Math.max(rssMax, rss);
      }
    }

    /** Highest one-second CPU of the servers so far, percent of the machine. */
    synchronized double cpuMaxPercent() {
      return cpuMax;
    }

    synchronized double heapMaxBytes() {
      return heapMax;
    }

    synchronized double heapLastBytes() {
      return heapLast;
    }

    synchronized long rssMaxBytes() {
      return rssMax;
    }

    /** The last sum of the counted series over every endpoint; -1 before one answered. */
    synchronized double counted() {
      return countedLast;
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
