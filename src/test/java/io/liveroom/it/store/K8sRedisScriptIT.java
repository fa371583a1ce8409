package io.liveroom.it.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.store.RoomStore;
import io.liveroom.testing.Await;
import io.liveroom.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Runs the start script of k8s/redis.yaml's Redis container as written there, with the real
 * redis-server on a free loopback port (its paths moved to a temporary directory): Redis then asks
 * for the password of REDIS_PASSWORD, the store works with it and is refused without it, the
 * password is on no command line, and a password the script cannot write safely is refused.
 */
@ExtendWith(VertxExtension.class)
class K8sRedisScriptIT {
  private static final String PASSWORD = "0123456789abcdef0123456789abcdef";

  @Test
  void theRedisOfRedisYamlAsksForTheSecretsPassword(Vertx vertx) throws Exception {
    Path dir = Files.createTempDirectory("liveroom-k8s-redis-");
    int port = RedisServer.freePort();
    Process redis = start(dir, port, PASSWORD);
    try {
      Await.until(() -> answers(port), Duration.ofSeconds(10), () -> "redis-server of redis.yaml listens: " + log(dir));
      Path conf = dir.resolve("run/auth.conf");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(conf)), "umask 077");
      String cmdline = Files.readString(Path.of("/proc/" + redis.pid() + "/cmdline"), StandardCharsets.UTF_8);
      assertTrue(cmdline.startsWith(redisServer()), "the script execs redis-server: " + cmdline);
      assertFalse(cmdline.contains(PASSWORD), "the password is on the command line: " + cmdline.replace('\0', ' '));

      RoomStore store = store(vertx, port, PASSWORD);
      try {
        RoomData d = new RoomData("k8s-1", "title", "host-1", RoomState.CREATED, 1000, 1000, 100, true, 0, "{}");
        assertTrue(store.create(d).await());
        assertEquals(d, store.hydrate("k8s-1").await().data());
      } finally {
        store.close().await();
      }
      RoomStore without = store(vertx, port, "");
      try {
        Throwable e = without.hydrate("k8s-1").transform(ar -> Future.succeededFuture(ar.cause())).await();
        assertTrue(e instanceof LiveroomException le && le.code() == ErrorCode.UNAVAILABLE, String.valueOf(e));
      } finally {
        without.close().await();
      }
    } finally {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aMissingOrUnsafePasswordStopsTheContainer() throws Exception {
    for (String bad : List.of("", "with space", "quote\"d")) {
      Path dir = Files.createTempDirectory("liveroom-k8s-redis-");
      Process p = start(dir, RedisServer.freePort(), bad);
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the script stops at once on '" + bad + "'");
      assertEquals(1, p.exitValue(), log(dir));
      assertTrue(log(dir).contains("REDIS_PASSWORD is empty") || log(dir).contains("letters, digits"), log(dir));
    }
  }

  /** The container's command and args, with /run/redis and /data under {@code dir}, on {@code port}. */
  private static Process start(Path dir, int port, String password) throws Exception {
    Map<String, Object> container = redisContainer();
    List<String> command = new ArrayList<>(strings(container.get("command")));
    Path run = Files.createDirectories(dir.resolve("run"));
    Path data = Files.createDirectories(dir.resolve("data"));
    command.set(2, command.get(2).replace("/run/redis", run.toString())
        .replace("exec redis-server ", "exec " + redisServer() + " "));
    List<String> args = new ArrayList<>(strings(container.get("args")));
    args.set(args.indexOf("--dir") + 1, data.toString());
    // later options win: loopback only, a free port
    args.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1"));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile());
    pb.environment().put("REDIS_PASSWORD", password);
    return pb.start();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> redisContainer() throws Exception {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    for (Object o : yaml.loadAll(Files.readString(Path.of("k8s/redis.yaml"), StandardCharsets.UTF_8))) {
      if (o instanceof Map<?, ?> m && "StatefulSet".equals(m.get("kind"))) {
        Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) m.get("spec"))
            .get("template")).get("spec");
        for (Object c : (List<Object>) spec.get("containers")) {
          if ("redis".equals(((Map<String, Object>) c).get("name"))) {
            return (Map<String, Object>) c;
          }
        }
      }
    }
    throw new AssertionError("k8s/redis.yaml has no StatefulSet with a container redis");
  }

  private static List<String> strings(Object o) {
    return ((List<?>) o).stream().map(String::valueOf).toList();
  }

  /** The redis-server the tests use (PATH, else the embedded one), by its absolute path. */
  private static String redisServer() throws Exception {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(d, "redis-server");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    RedisServer.started().close(); // unpacks the embedded binary
    return Path.of("target", "redis-bin", "redis-server").toAbsolutePath().toString();
  }

  private static RoomStore store(Vertx vertx, int port, String password) {
    JsonObject redis = new JsonObject().put("url", "redis://127.0.0.1:" + port).put("timeoutMs", 1000);
    if (!password.isEmpty()) {
      redis.put("password", password);
    }
    LiveroomConfig cfg = ConfigLoader.fromJson(new JsonObject()
        .put("node", new JsonObject().put("roles", new JsonArray().add("shard"))).put("redis", redis));
    return new RoomStore(vertx, cfg.redis(), "test-node", new SimpleMeterRegistry());
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.UTF_8));
      byte[] buf = new byte[32];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).startsWith("-NOAUTH");
    } catch (Exception e) {
      return false;
    }
  }

  private static String log(Path dir) {
    try {
      return Files.readString(dir.resolve("out.log"));
    } catch (Exception e) {
      return "(no log)";
    }
  }
}
