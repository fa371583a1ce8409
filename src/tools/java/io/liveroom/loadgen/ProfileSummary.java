package io.liveroom.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a server's CPU went, from a JFR recording: the CPU-time samples ({@code jdk.CPUTimeSample},
 * JDK 25 on Linux, which see native code and system calls too) when the recording has them, else
 * the execution samples ({@code jdk.ExecutionSample}, Java code only). Three tables: by what the
 * sampled thread was doing (the first of a priority list of liveroom and framework methods found
 * anywhere in its stack), by the package of the top frame (self time), and by thread; and the
 * machine and JVM CPU load and the GC pauses. Run:
 * {@code java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.ProfileSummary recording.jfr}.
 */
public final class ProfileSummary {
  /** Activities, tried in order against every frame of a stack: the first match names the sample. */
  private static final List<String[]> ACTIVITIES = List.of(
      new String[] {"io.liveroom.edge.FanoutWriter.deliver", "edge: fan-out to sockets (FanoutWriter.deliver)"},
      new String[] {"io.liveroom.edge.LocalRooms.refresh", "edge: presence refresh to owners (LocalRooms.refresh)"},
      new String[] {"io.liveroom.edge.RtCommands.onFrame", "edge: inbound commands (RtCommands.onFrame)"},
      new String[] {"io.liveroom.edge.Realtime.onSocket", "edge: new connections (Realtime.onSocket)"},
      new String[] {"io.liveroom.edge.Realtime.closeIdle", "edge: idle sweep (Realtime.closeIdle)"},
      new String[] {"io.liveroom.edge.RoomApi", "edge: REST API (RoomApi)"},
      new String[] {"io.liveroom.engine.FanoutBatcher", "shard: fan-out tick, frames (FanoutBatcher)"},
      new String[] {"io.liveroom.shard.BundlePublisher", "shard: fan-out tick, bundles (BundlePublisher)"},
      new String[] {"io.liveroom.shard.OwnerStore.drainWrites", "shard: history write-behind (drainWrites)"},
      new String[] {"io.liveroom.engine.RoomEngine.expireEdges", "shard: edge expiry (expireEdges)"},
      new String[] {"io.liveroom.shard.ShardVerticle.onCommand", "shard: commands (ShardVerticle.onCommand)"},
      new String[] {"io.liveroom.sweep", "sweeper"},
      new String[] {"io.liveroom.store", "Redis store (RoomStore)"},
      new String[] {"io.vertx.redis", "Redis client (responses)"},
      new String[] {"io.vertx.core.eventbus", "event bus (other)"},
      new String[] {"io.vertx.ext.web.handler.sockjs", "SockJS (other)"},
      new String[] {"io.vertx.core.http", "HTTP / WebSocket (other)"},
      new String[] {"io.vertx.micrometer", "metrics"},
      new String[] {"io.micrometer", "metrics"},
      new String[] {"com.hazelcast", "Hazelcast"},
      new String[] {"io.netty", "Netty (other)"});

  private ProfileSummary() {
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.out.println("usage: java -cp liveroom-tools.jar:liveroom.jar io.liveroom.loadgen.ProfileSummary recording.jfr");
      return;
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(args[0]));
    boolean cpuTime = events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPUTimeSample"));
    String sampleType = cpuTime ? "jdk.CPUTimeSample" : "jdk.ExecutionSample";
    Map<String, Integer> byActivity = new HashMap<>();
    Map<String, Integer> byTop = new HashMap<>();
    Map<String, Integer> byThread = new HashMap<>();
    int total = 0;
    double jvmUser = 0;
    double jvmSystem = 0;
    double machine = 0;
    int loads = 0;
    long gcPauseNanos = 0;
    long gcMaxNanos = 0;
    int gcs = 0;
    for (RecordedEvent e : events) {
      String type = e.getEventType().getName();
      switch (type) {
        case "jdk.CPULoad" -> {
          jvmUser += e.getFloat("jvmUser");
          jvmSystem += e.getFloat("jvmSystem");
          machine += e.getFloat("machineTotal");
          loads++;
        }
        case "jdk.GCPhasePause" -> {
          long d = e.getDuration().toNanos();
          gcPauseNanos += d;
          gcMaxNanos = Math.max(gcMaxNanos, d);
          gcs++;
        }
        default -> {
          if (!type.equals(sampleType)) {
            continue;
          }
          RecordedStackTrace st = e.getStackTrace();
          if (st == null || st.getFrames().isEmpty()) {
            continue;
          }
          total++;
          List<RecordedFrame> frames = st.getFrames();
          byTop.merge(packageOf(frames.get(0)), 1, Integer::sum);
          byActivity.merge(activity(frames), 1, Integer::sum);
          var t = e.hasField("sampledThread") ? e.getThread("sampledThread") : e.getThread();
          String thread = t == null ? null : t.getJavaName() != null ? t.getJavaName() : t.getOSName();
          byThread.merge(thread == null ? "?" : thread.replaceAll("-?\\d+$", "-N"), 1, Integer::sum);
        }
      }
    }
    System.out.printf("samples: %d %s%n", total, sampleType);
    if (loads > 0) {
      System.out.printf("CPU load (jdk.CPULoad, share of the whole machine): JVM user %.1f%%, JVM system %.1f%%, "
          + "machine %.1f%%%n", 100 * jvmUser / loads, 100 * jvmSystem / loads, 100 * machine / loads);
    }
    System.out.printf("GC pauses: %d, total %.1f ms, longest %.1f ms%n", gcs, gcPauseNanos / 1e6, gcMaxNanos / 1e6);
    table("by activity (first of a priority list found in the stack)", byActivity, total);
    table("by package of the top frame (self)", byTop, total);
    table("by thread", byThread, total);
  }

  /** The first activity of the list that has a frame anywhere in the stack. */
  private static String activity(List<RecordedFrame> frames) {
    for (String[] a : ACTIVITIES) {
      for (int i = frames.size() - 1; i >= 0; i--) {
        RecordedFrame f = frames.get(i);
        if (f.getMethod() == null) {
          continue;
        }
        String name = f.getMethod().getType().getName() + "." + f.getMethod().getName();
        if (name.startsWith(a[0])) {
          return a[1];
        }
      }
    }
    return "other";
  }

  private static String packageOf(RecordedFrame f) {
    if (f.getMethod() == null) {
      return "?";
    }
    String type = f.getMethod().getType().getName();
    String[] parts = type.split("\\.");
    int keep = type.startsWith("io.") || type.startsWith("com.") || type.startsWith("org.") ? 3 : 2;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(keep, parts.length - 1); i++) {
      sb.append(i == 0 ? "" : ".").append(parts[i]);
    }
    if (!f.isJavaFrame()) {
      sb.append(" (native)");
    }
    return sb.toString();
  }

  private static void table(String title, Map<String, Integer> counts, int total) {
    System.out.println();
    System.out.println(title);
    Map<String, Integer> sorted = new LinkedHashMap<>();
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(25)
        .forEach(en -> sorted.put(en.getKey(), en.getValue()));
    sorted.forEach((k, v) -> System.out.printf("  %5.1f%%  %6d  %s%n", 100.0 * v / Math.max(1, total), v, k));
  }
}
