package io.liveroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.vertx.core.json.JsonObject;
import java.io.File;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code java -jar target/liveroom.jar} as an operator runs it, in a separate JVM and with no JVM
 * flags: {@code --version}, {@code --check-config}, {@code --help}, a bad option, and a node that
 * starts without any warning about module or native access on JDK 17 and JDK 25.
 */
@RedisAndCluster(nodes = 0)
class JarCommandLineIT {
  private static final Path JAR = Path.of("target", "liveroom.jar");
  private static final Path OUT = Path.of("target", "jar-command-line");
  private static final Path TEST_JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
  private static final Path JDK25_JAVA = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
  /** What a node needs on top of the defaults to pass validation. */
  private static final Map<String, String> VALID = Map.of(
      "LIVEROOM_AUTH_API_KEYS", "first-api-key,second-api-key",
      "LIVEROOM_AUTH_JWT_SECRET", "a-jwt-secret-nobody-may-see-0123456789");
  private static int runs;

  /** One finished run of the jar: exit status, stdout and stderr apart. */
  record Run(int exit, String out, String err) {
    String both() {
      return "exit " + exit + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
    }
  }

  /** Runs {@code java [jvmArgs] -jar liveroom.jar args}, with exactly {@code env} as its LIVEROOM_* variables. */
  private static Run run(Path java, List<String> jvmArgs, Map<String, String> env, String... args) throws Exception {
    assertTrue(Files.isRegularFile(JAR), "run after package: " + JAR);
    Files.createDirectories(OUT);
    int n = ++runs;
    Path out = OUT.resolve("run-" + n + ".out");
    Path err = OUT.resolve("run-" + n + ".err");
    List<String> cmd = new ArrayList<>(List.of(java.toString()));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("LIVEROOM_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " still runs after 60 s:\n" + Files.readString(out) + Files.readString(err));
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static Run run(Map<String, String> env, String... args) throws Exception {
    return run(TEST_JAVA, List.of(), env, args);
  }

  private static Map<String, String> validWith(String... keyValues) {
    Map<String, String> env = new HashMap<>(VALID);
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  /** The project version, from the pom (not from the code under test). */
  private static String pomVersion() throws IOException {
    Matcher m = Pattern.compile("<artifactId>liveroom</artifactId>\\s*<version>([^<]+)</version>")
        .matcher(Files.readString(Path.of("pom.xml")));
    assertTrue(m.find(), "the project version in pom.xml");
    return m.group(1);
  }

  @Test
  void versionPrintsThePomsVersionAndStartsNoNode() throws Exception {
    // no config at all: a node would refuse to start (auth.apiKeys), so exit 0 means none started
    Run r = run(Map.of(), "--version");
    assertEquals(0, r.exit(), r.both());
    assertTrue(r.out().matches("liveroom " + Pattern.quote(pomVersion()) + " \\(Vert\\.x 5\\.\\S+, Java \\S+\\)\\R"),
        r.both());
    assertEquals("", r.err(), r.both());
  }

  @Test
  void checkConfigPrintsTheEffectiveConfigWithSecretsMasked() throws Exception {
    Files.createDirectories(OUT);
    Path file = OUT.resolve("check-config.json");
    Files.writeString(file, new JsonObject().put("rooms", new JsonObject().put("pageSize", 20))
        .put("http", new JsonObject().put("port", 9000)).encode());
    Run r = run(TEST_JAVA, List.of("-Dliveroom.rt.batchMs=40"), validWith(
        "LIVEROOM_CONFIG", file.toString(),
        "LIVEROOM_HTTP_PORT", "18081",
        "LIVEROOM_REDIS_URL", "redis://app:redis-password@10.0.0.9:6379",
        "LIVEROOM_WEBHOOKS_URLS", "https://hooks.example/in",
        "LIVEROOM_WEBHOOKS_SECRET", "a-webhook-secret-of-32-characters",
        "LIVEROOM_NOT_A_KEY", "x"), "--check-config");
    assertEquals(0, r.exit(), r.both());
    JsonObject c = new JsonObject(r.out()); // stdout is the JSON and nothing else
    assertEquals(20, c.getJsonObject("rooms").getInteger("pageSize"), "from the file");
    assertEquals(18081, c.getJsonObject("http").getInteger("port"), "the environment over the file");
    assertEquals(40, c.getJsonObject("rt").getInteger("batchMs"), "from a system property");
    assertEquals(100, c.getJsonObject("rooms").getInteger("maxTitleLength"), "from the jar's defaults");
    assertEquals("redis://app:****@10.0.0.9:6379", c.getJsonObject("redis").getString("url"));
    assertEquals(0, c.getJsonObject("redis").getInteger("replicasToAck"), "-1 shows as what standalone mode uses");
    assertEquals(500, c.getJsonObject("redis").getInteger("replicasAckTimeoutMs"));
    assertEquals(List.of("****", "****"), c.getJsonObject("auth").getJsonArray("apiKeys").getList());
    assertEquals("****", c.getJsonObject("auth").getJsonObject("jwt").getString("secret"));
    assertEquals("****", c.getJsonObject("webhooks").getString("secret"));
    for (String secret : List.of("first-api-key", "second-api-key", "a-jwt-secret", "redis-password", "a-webhook-secret")) {
      assertFalse(r.out().contains(secret) || r.err().contains(secret), secret + " shows:\n" + r.both());
    }
    assertTrue(r.err().contains("ignoring environment variable LIVEROOM_NOT_A_KEY"), "log lines go to stderr:\n" + r.both());
  }

  @Test
  void aShortJwtSecretPassesOnlyWithAllowWeakSecret() throws Exception {
    Run weak = run(validWith("LIVEROOM_AUTH_JWT_SECRET", "dev-secret"), "--check-config");
    assertEquals(2, weak.exit(), weak.both());
    assertTrue(weak.err().contains("auth.jwt.allowWeakSecret"), weak.both());
    Run allowed = run(validWith("LIVEROOM_AUTH_JWT_SECRET", "dev-secret", "LIVEROOM_AUTH_JWT_ALLOW_WEAK_SECRET", "true"),
        "--check-config");
    assertEquals(0, allowed.exit(), allowed.both());
    JsonObject jwt = new JsonObject(allowed.out()).getJsonObject("auth").getJsonObject("jwt");
    assertEquals(true, jwt.getBoolean("allowWeakSecret"));
    assertEquals("****", jwt.getString("secret"));
  }

  @Test
  void checkConfigExitsWith2AndTheMessageOnAnInvalidConfig() throws Exception {
    Object[][] cases = {
        {validWith("LIVEROOM_REDIS_TIMEOUT_MS", "-5"), "redis.timeoutMs must be between 10 and 60000, got -5"},
        {validWith("LIVEROOM_HTTP_PORT", "eighty"), "http.port must be an integer"},
        {validWith("LIVEROOM_AUTH_JWT_SECRET", "dev-secret"), "auth.jwt.secret has 10 bytes: an HS256 secret needs at least 32"},
        {Map.of(), "auth.apiKeys is empty"},
    };
    for (Object[] c : cases) {
      @SuppressWarnings("unchecked")
      Map<String, String> env = (Map<String, String>) c[0];
      Run r = run(env, "--check-config");
      assertEquals(2, r.exit(), r.both());
      assertTrue(r.err().contains("liveroom: invalid config: " + c[1]), r.both());
      assertEquals("", r.out(), "nothing on stdout for an invalid config:\n" + r.both());
      assertFalse(r.err().contains("\tat "), "no stack trace:\n" + r.both());
    }
  }

  @Test
  void helpListsTheOptionsAndABadOptionExitsWith2() throws Exception {
    Run help = run(Map.of(), "--help");
    assertEquals(0, help.exit(), help.both());
    for (String option : List.of("--check-config", "--version", "--help")) {
      assertTrue(help.out().contains(option), option + " in the help:\n" + help.both());
    }
    for (String[] args : List.of(new String[] {"--bogus"}, new String[] {"--version", "--check-config"})) {
      Run bad = run(Map.of(), args);
      assertEquals(2, bad.exit(), bad.both());
      assertTrue(bad.err().contains("Usage: java -jar liveroom.jar"), bad.both());
      assertEquals("", bad.out(), bad.both());
    }
    assertTrue(run(Map.of(), "--bogus").err().contains("unknown option --bogus"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"the test JVM's JDK", "JDK 25"})
  void aNodeStartsWithoutFlagsAndWithoutWarnings(String which, RedisServer redis) throws Exception {
    Path java = which.equals("JDK 25") ? JDK25_JAVA : TEST_JAVA;
    assumeTrue(Files.isExecutable(java), "no " + which + " at " + java + ": skipped");
    int http = RedisServer.freePort();
    int hz = RedisServer.freePort();
    Files.createDirectories(OUT);
    Path log = OUT.resolve("node-" + which.replaceAll("\\W+", "-") + ".log");
    ProcessBuilder pb = new ProcessBuilder(java.toString(), "-jar", JAR.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("LIVEROOM_"));
    pb.environment().putAll(validWith(
        "LIVEROOM_HTTP_HOST", "127.0.0.1", "LIVEROOM_HTTP_PORT", Integer.toString(http),
        "LIVEROOM_CLUSTER_HOST", "127.0.0.1", "LIVEROOM_CLUSTER_PORT", Integer.toString(hz),
        "LIVEROOM_CLUSTER_MEMBERS", "127.0.0.1:" + hz, "LIVEROOM_CLUSTER_NAME", "jar-it-" + hz,
        "LIVEROOM_REDIS_URL", redis.url(), "LIVEROOM_HTTP_INSTANCES", "1", "LIVEROOM_SHARD_INSTANCES", "1"));
    Process p = pb.start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      Await.until(() -> !p.isAlive() || status(client, http, "/health/ready") == 200, Duration.ofSeconds(90),
          () -> which + ": the node answers 200 on /health/ready:\n" + text(log));
      assertTrue(p.isAlive(), which + ": the node exited during start-up:\n" + text(log));
      String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      int feature = javaFeature(java);
      Matcher info = Pattern.compile("(?m)^liveroom_build_info\\{([^}]*)} 1(\\.0)?$").matcher(metrics);
      assertTrue(info.find(), "liveroom_build_info in /metrics:\n" + metrics.lines().filter(l -> l.contains("build")).toList());
      assertTrue(info.group(1).contains("java=\"" + feature + "\""), info.group());
      assertTrue(info.group(1).contains("version=\"" + pomVersion() + "\""), info.group());
      assertTrue(info.group(1).matches(".*vertx=\"5\\.[^\"]+\".*"), info.group());
      p.destroy();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), which + ": SIGTERM stops the node");
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    List<String> lines = text(log).lines().toList();
    List<String> unsafe = lines.stream().filter(JarCommandLineIT::hazelcastUnsafeWarning).toList();
    if (!unsafe.isEmpty()) {
      // JDK 24+ (JEP 498) warns about Hazelcast 5.3's sun.misc.Unsafe calls: only a JVM flag can
      // silence that, no manifest attribute; docs/operations.md says so
      System.out.println(which + ": the JVM warned about sun.misc.Unsafe, as expected on JDK 24+:\n" + String.join("\n", unsafe));
    }
    List<String> warnings = lines.stream().filter(l -> !hazelcastUnsafeWarning(l))
        .filter(l -> l.contains("WARNING") || l.contains("--add-opens") || l.contains("--add-exports")
            || l.contains("native access") || l.contains("restricted method") || l.contains("modular environment"))
        .toList();
    assertEquals(List.of(), warnings, which + ": warnings about module or native access in\n" + text(log));
  }

  /** The four lines of JEP 498's warning about a sun.misc.Unsafe memory-access method that Hazelcast calls. */
  private static boolean hazelcastUnsafeWarning(String line) {
    return line.startsWith("WARNING: ") && (line.contains("sun.misc.Unsafe")
        || line.contains("reporting this to the maintainers of class com.hazelcast."));
  }

  private static int javaFeature(Path java) throws Exception {
    Process v = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
    String out = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    v.waitFor(30, TimeUnit.SECONDS);
    Matcher m = Pattern.compile("java\\.specification\\.version = (\\d+)").matcher(out);
    assertTrue(m.find(), out);
    return Integer.parseInt(m.group(1));
  }

  private static int status(HttpClient client, int port, String path) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private static String text(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
