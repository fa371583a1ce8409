package io.liveroom.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One liveroom node as a separate JVM: {@code java -jar target/liveroom.jar} configured only by
 * {@code LIVEROOM_*} environment variables, its output in a log file. It can be crashed
 * ({@code kill -9}), stopped gracefully (SIGTERM), paused (SIGSTOP) and resumed (SIGCONT).
 */
public final class NodeProcess implements AutoCloseable {
  /** The fat jar the tests run; Failsafe runs after {@code package}, so it is there. */
  public static final Path JAR = Path.of("target", "liveroom.jar");

  private final String name;
  private final int httpPort;
  private final int clusterPort;
  private final Path log;
  private final Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private volatile String nodeId;
  private volatile boolean paused;

  private NodeProcess(String name, int httpPort, int clusterPort, Path log, Process process) {
    this.name = name;
    this.httpPort = httpPort;
    this.clusterPort = clusterPort;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts the jar with exactly {@code env} as its {@code LIVEROOM_*} configuration (inherited
   * {@code LIVEROOM_*} variables are removed), plus the HTTP address and, unless {@code env} sets
   * them, the cluster address; does not wait for readiness.
   */
  public static NodeProcess launch(String name, int httpPort, int clusterPort, Map<String, String> env, Path log)
      throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException("run after package: " + JAR.toAbsolutePath() + " is missing");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // small and quick to start: four JVMs share the test machine's cores
    cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"));
    // no module flags: the jar's manifest carries them, as it does for an operator's java -jar
    cmd.addAll(List.of("-jar", JAR.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().keySet().removeIf(k -> k.startsWith("LIVEROOM_"));
    pb.environment().put("LIVEROOM_CLUSTER_HOST", "127.0.0.1");
    pb.environment().put("LIVEROOM_CLUSTER_PORT", Integer.toString(clusterPort));
    // env may bind the cluster links elsewhere (ClusterLinks does)
    pb.environment().putAll(env);
    pb.environment().put("LIVEROOM_HTTP_HOST", "127.0.0.1");
    pb.environment().put("LIVEROOM_HTTP_PORT", Integer.toString(httpPort));
    Files.createDirectories(log.getParent());
    pb.redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return new NodeProcess(name, httpPort, clusterPort, log, pb.start());
  }

  public String name() {
    return name;
  }

  public int httpPort() {
    return httpPort;
  }

  public int clusterPort() {
    return clusterPort;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The Vert.x node id (set by {@link ProcessCluster} from {@code GET /api/v1/stats} once ready). */
  public String nodeId() {
    return nodeId;
  }

  void nodeId(String id) {
    this.nodeId = id;
  }

  /** The status of {@code GET /health/ready}, 0 when nothing answers. */
  public int readyStatus() {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** Waits until {@code /health/ready} answers 200; fails at once, with the log, if the JVM exits. */
  public void awaitReady(Duration timeout) {
    Await.until(() -> {
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " during start-up:\n" + logTail(60));
      }
      return readyStatus() == 200;
    }, timeout, () -> name + " answers 200 on /health/ready:\n" + logTail(60));
  }

  /** {@code kill -9}: a crash, no shutdown hook runs. Waits until the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " still alive 10 s after SIGKILL");
    }
  }

  /** SIGTERM: the JVM's shutdown hook stops the node gracefully. Does not wait. */
  public void terminate() {
    process.destroy();
  }

  /** SIGSTOP: every thread of the JVM stops, sockets stay open (like a long GC pause or a frozen VM). */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
    paused = true;
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
    paused = false;
  }

  private void signal(String sig) throws IOException, InterruptedException {
    Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).redirectErrorStream(true).start();
    if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + process.pid() + " failed: "
          + new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** Waits for the JVM to exit; its exit status, or -1 if it is still running after {@code timeout}. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  public String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public String logTail(int lines) {
    List<String> all = logText().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** Kills the JVM if it still runs (a paused one is resumed first, so it can die). */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    try {
      if (paused) {
        resume();
      }
    } catch (IOException | InterruptedException e) {
      // SIGKILL works on a stopped process too
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + process.pid() + ", http " + httpPort + ", node " + nodeId + ")";
  }
}
