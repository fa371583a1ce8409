package io.liveroom.it.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The short soak that CI runs: {@code scripts/soak.sh} itself, with {@value #LOAD} of mixed load
 * after {@value #WARMUP} of warm-up, against 2 nodes (separate JVMs with a fixed heap) on free
 * ports, over the Redis fixture. The script must pass: post-GC heap, threads, SockJS sessions,
 * connections and hot rooms back to the baseline, no blocked thread, nothing unexpected in the
 * load. Its output is in {@code target/soak-it/soak.log}, its result in
 * {@code target/soak-it/result.json}; the long run is the same script with its default 30 minutes.
 */
@RedisAndCluster(nodes = 0)
class SoakIT {
  private static final String LOAD = "100s";
  private static final String WARMUP = "20s";
  private static final Path OUT = Path.of("target", "soak-it");

  @Test
  void aShortSoakComesBackToItsBaseline(RedisServer redis) throws Exception {
    Files.createDirectories(OUT);
    Path log = OUT.resolve("soak.log");
    int http = freePorts(2);
    int cluster = freePorts(2);
    ProcessBuilder pb = new ProcessBuilder("bash", "scripts/soak.sh", LOAD)
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("LIVEROOM_") || k.startsWith("SOAK_") || k.startsWith("DEV_"));
    pb.environment().put("SOAK_WARMUP", WARMUP);
    pb.environment().put("SOAK_OUT", OUT.toString());
    pb.environment().put("DEV_HTTP_BASE", Integer.toString(http));
    pb.environment().put("DEV_CLUSTER_BASE", Integer.toString(cluster));
    pb.environment().put("REDIS_PORT", Integer.toString(redis.port()));
    Process p = pb.start();
    // if this JVM goes first, SIGTERM the script: its trap stops the nodes
    Thread hook = new Thread(() -> {
      p.destroy();
      try {
        p.waitFor(40, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "soak-reaper");
    Runtime.getRuntime().addShutdownHook(hook);
    int status;
    try {
      if (!p.waitFor(8, TimeUnit.MINUTES)) {
        p.destroy();
        p.waitFor(60, TimeUnit.SECONDS);
        p.destroyForcibly();
        throw new AssertionError("scripts/soak.sh still running after 8 minutes:\n" + tail(log, 40));
      }
      status = p.exitValue();
    } finally {
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(output);
    assertEquals(0, status, "scripts/soak.sh failed (" + log + "):\n" + tail(log, 40));
    JsonObject result = new JsonObject(Files.readString(OUT.resolve("result.json")));
    assertTrue(result.getBoolean("met"), "the soak's checks: " + result.getJsonArray("checks").encodePrettily());
    assertTrue(output.lines().anyMatch(l -> l.startsWith("soak: PASS")), "no summary line in the output");
    assertTrue(output.contains("nodes stopped"), "the script stops the nodes it started");
  }

  /** The first of {@code n} consecutive free ports on loopback (dev-cluster.sh numbers nodes from a base). */
  private static int freePorts(int n) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 40_000);
      boolean free = true;
      for (int i = 0; i < n && free; i++) {
        try (ServerSocket s = new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException inUse) {
          free = false;
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IOException("no " + n + " consecutive free ports found");
  }

  private static String tail(Path log, int lines) throws IOException {
    var all = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }
}
