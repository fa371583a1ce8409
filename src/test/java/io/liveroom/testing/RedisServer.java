package io.liveroom.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server process on a free loopback port: the one on PATH, else the Linux binary
 * that the embedded-redis artifact from Maven Central carries. Can be stopped and started again
 * on the same port to test Redis outages.
 */
public final class RedisServer implements AutoCloseable {
  private final int port;
  private final Path dir;
  private final List<String> extraArgs;
  private Process process;

  /**
   * @param extraArgs more redis-server options, e.g. {@code --cluster-enabled yes}; a first one
   *     ending in {@code .conf} is a config file (a Sentinel's) and goes before the others
   */
  public RedisServer(String... extraArgs) throws IOException {
    this.port = freePort();
    this.dir = Files.createTempDirectory("liveroom-redis-");
    this.extraArgs = List.of(extraArgs);
  }

  public static RedisServer started() throws Exception {
    RedisServer r = new RedisServer();
    r.start();
    return r;
  }

  public int port() {
    return port;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public synchronized void start() throws Exception {
    if (process != null && process.isAlive()) {
      return;
    }
    List<String> cmd = new java.util.ArrayList<>(List.of(binary().toString()));
    List<String> rest = extraArgs;
    if (!rest.isEmpty() && rest.get(0).endsWith(".conf")) {
      cmd.add(rest.get(0)); // a config file (a Sentinel's) comes first
      rest = rest.subList(1, rest.size());
    }
    cmd.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir.toString()));
    cmd.addAll(rest);
    process = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile())
        .start();
    Process started = process;
    Await.until(() -> {
      if (!started.isAlive()) {
        throw new IllegalStateException("redis-server exited: " + log());
      }
      return ping();
    }, Duration.ofSeconds(10), () -> "redis-server answers PING on port " + port + ": " + log());
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Stops the server (SIGKILL, like a crash) and waits until the port is closed. */
  public synchronized void stop() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      process = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private boolean ping() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.getOutputStream().write("PING\r\n".getBytes());
      byte[] buf = new byte[7];
      int n = s.getInputStream().read(buf);
      // a Redis started with --requirepass answers -NOAUTH: up all the same
      return n > 0 && (new String(buf, 0, n).startsWith("+PONG") || new String(buf, 0, n).startsWith("-NOAUTH"));
    } catch (IOException e) {
      return false;
    }
  }

  private static Path binary() throws IOException {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(d, "redis-server");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    Path target = Path.of("target", "redis-bin", "redis-server");
    synchronized (RedisServer.class) {
      if (!Files.isExecutable(target)) {
        String name = "redis-server-6.2.6-v5-linux-amd64";
        try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(name)) {
          if (in == null) {
            throw new IllegalStateException("no redis-server on PATH and no " + name + " on the classpath");
          }
          Files.createDirectories(target.getParent());
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        target.toFile().setExecutable(true);
      }
    }
    return target;
  }

  /**
   * A free loopback port below the kernel's ephemeral range (32768+), where client sockets never
   * take it between this check and the bind. Another process may still take it: callers that
   * bind late retry on a bind failure.
   */
  public static int freePort() throws IOException {
    java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = 20_000 + rnd.nextInt(12_000);
      try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
        return s.getLocalPort();
      } catch (IOException inUse) {
        // try another
      }
    }
    throw new IOException("no free port found in 20000-32000");
  }
}
