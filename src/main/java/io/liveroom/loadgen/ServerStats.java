package io.liveroom.loadgen;

import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Samples the server processes under load: CPU from {@code /proc/<pid>/stat}, heap from {@code /metrics}. */
final class ServerStats {
  /** Linux USER_HZ: clock ticks per second of /proc/<pid>/stat. */
  private static final double TICKS_PER_SECOND = 100.0;

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

  /** CPU used over {@code seconds} as a percentage of the whole machine (all cores). */
  static double cpuPercent(long ticks, double seconds) {
    return ticks / TICKS_PER_SECOND / seconds / Runtime.getRuntime().availableProcessors() * 100;
  }

  /** Sum of {@code jvm_memory_used_bytes{area="heap"}} over the servers' Prometheus endpoints. */
  static double heapBytes(Vertx vertx, List<String> urls) {
    WebClient web = WebClient.create(vertx);
    double sum = 0;
    for (String u : urls) {
      URI uri = URI.create(u);
      String text = web.get(uri.getPort(), uri.getHost(), uri.getPath()).send().await().bodyAsString();
      for (String line : text.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return sum;
  }
}
