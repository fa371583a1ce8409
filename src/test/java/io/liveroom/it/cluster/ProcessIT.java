package io.liveroom.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The fat jar as a separate JVM: config errors stop start-up clearly, SIGTERM stops gracefully. */
@RedisAndCluster(nodes = 0)
class ProcessIT {
  private static final Path JAR = Path.of("target", "liveroom.jar");

  private static Process launch(Map<String, String> env, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar", JAR.toString()));
    pb.environment().keySet().removeIf(k -> k.startsWith("LIVEROOM_"));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return pb.start();
  }

  private static int readyStatus(HttpClient client, int port) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private static String logText(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Test
  void badConfigStopsStartUpWithAMessageNamingTheKey() throws Exception {
    assertTrue(Files.isRegularFile(JAR), "run after package: " + JAR);
    Object[][] cases = {
        {Map.of(), "auth.apiKeys"},
        {Map.of("LIVEROOM_AUTH_API_KEYS", "a-long-key"), "auth.jwt.secret"},
        {Map.of("LIVEROOM_AUTH_API_KEYS", "a-long-key", "LIVEROOM_AUTH_JWT_SECRET", "s", "LIVEROOM_HTTP_PORT", "eighty"),
            "http.port"},
        {Map.of("LIVEROOM_AUTH_API_KEYS", "a-long-key", "LIVEROOM_AUTH_JWT_SECRET", "s", "LIVEROOM_NODE_ROLES", "edge,cook"),
            "node.roles"},
        {Map.of("LIVEROOM_AUTH_API_KEYS", "a-long-key", "LIVEROOM_AUTH_JWT_SECRET", "dev-secret"), "auth.jwt.allowWeakSecret"},
    };
    for (Object[] c : cases) {
      @SuppressWarnings("unchecked")
      Map<String, String> env = (Map<String, String>) c[0];
      Path log = Files.createTempFile("liveroom-bad-config", ".log");
      Process p = launch(env, log);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "start-up with a bad config must end");
      String out = Files.readString(log);
      assertEquals(2, p.exitValue(), out);
      assertTrue(out.contains("invalid config") && out.contains((String) c[1]), "message should name " + c[1] + ": " + out);
      assertTrue(!out.contains("\tat "), "no stack trace for a config error: " + out);
    }
  }

  @Test
  void sigtermStopsANodeGracefully(RedisServer redis) throws Exception {
    int http = RedisServer.freePort();
    int hz = RedisServer.freePort();
    Path log = Files.createTempFile("liveroom-node", ".log");
    Process p = launch(Map.of(
        "LIVEROOM_AUTH_API_KEYS", "process-test-key",
        "LIVEROOM_AUTH_JWT_SECRET", "process-test-secret-0123456789abcdef",
        "LIVEROOM_HTTP_PORT", Integer.toString(http),
        "LIVEROOM_HTTP_HOST", "127.0.0.1",
        "LIVEROOM_CLUSTER_PORT", Integer.toString(hz),
        "LIVEROOM_CLUSTER_MEMBERS", "127.0.0.1:" + hz,
        "LIVEROOM_CLUSTER_NAME", "process-it-" + hz,
        "LIVEROOM_REDIS_URL", redis.url(),
        "LIVEROOM_NODE_SHUTDOWN_GRACE_MS", "10000"), log);
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      Await.until(() -> !p.isAlive() || readyStatus(client, http) == 200, Duration.ofSeconds(60),
          () -> "the node answers 200 on /health/ready:\n" + logText(log));
      assertTrue(p.isAlive(), "the node exited during start-up:\n" + logText(log));
      HttpResponse<String> created = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/api/v1/rooms"))
          .header("Authorization", "Bearer process-test-key").header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"proc-1\",\"title\":\"t\",\"ownerId\":\"h\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created.body());

      long t0 = System.nanoTime();
      p.destroy();
      assertTrue(p.waitFor(15, TimeUnit.SECONDS), "SIGTERM must stop the node within its grace period");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      String out = Files.readString(log);
      assertTrue(out.contains("stopping node") && out.contains("stopped"), out);
      assertTrue(!out.contains(" ERROR "), "no errors on a graceful stop: " + out);
      assertEquals(143, p.exitValue(), "exit status of a SIGTERM'd JVM");
      System.out.println("graceful stop took " + ms + " ms");
    } finally {
      p.destroyForcibly();
    }
  }
}
