package io.liveroom.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Node.js scripts under {@code src/test/browser} (the browser test and the Node tests of
 * liveroom.js) as child processes with a timeout, their output in a log file under
 * {@code target/browser}. What they need (node, the npm packages, Chromium) is checked first: a
 * missing piece fails the test when {@code CI=true} and skips it otherwise.
 */
public final class NodeScripts {
  /** Where the scripts, their package.json and node_modules are. */
  public static final Path DIR = Path.of("src", "test", "browser");
  public static final Path OUT = Path.of("target", "browser");

  private NodeScripts() {
  }

  /** What a finished script did: exit code, output (stdout and stderr) and its log file. */
  public record Result(int exitCode, String output, Path log, long millis) {
  }

  /** The node executable on PATH, or null. */
  public static Path node() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, "node");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Debian's Chromium, or {@code CHROMIUM_PATH}. */
  public static Path chromium() {
    return Path.of(System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium"));
  }

  /**
   * Checks that {@code what} is there: fails (CI) or skips (elsewhere) naming it and how to get it.
   */
  public static void require(boolean present, String what, String howToGetIt) {
    if (present) {
      return;
    }
    String msg = what + " is missing (" + howToGetIt + ")";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("CI=true and " + msg + "; .ci/run installs it");
    }
    assumeTrue(false, msg);
  }

  /** Requires node and the npm package {@code pkg} under node_modules. */
  public static void requireNodeAnd(String pkg) {
    require(node() != null, "node (Node.js 18+) on PATH", "apt-get install nodejs");
    require(Files.isDirectory(DIR.resolve("node_modules").resolve(pkg)),
        DIR.resolve("node_modules").resolve(pkg).toString(), "run: cd " + DIR + " && npm ci");
  }

  /**
   * Requires node and the JS client package (@liveroom/client) that {@code npm pack} built in
   * clients/js, installed under node_modules (.ci/run does both): the scripts test that package.
   */
  public static void requireNodeAndClient() {
    requireNodeAnd("sockjs-client");
    Path client = DIR.resolve("node_modules").resolve("@liveroom").resolve("client");
    require(Files.isDirectory(client), client.toString(), "run: cd clients/js && npm ci && npm pack, then cd " + DIR
        + " && npm install --no-save ../../../clients/js/liveroom-client-*.tgz");
  }

  /**
   * Runs {@code node args...} in {@link #DIR} with extra environment, waiting at most
   * {@code timeoutSec}; on timeout the process tree is killed and the result has exit code -1.
   */
  public static Result run(String name, List<String> args, Map<String, String> env, long timeoutSec)
      throws IOException, InterruptedException {
    Files.createDirectories(OUT);
    Path log = OUT.resolve(name + ".log").toAbsolutePath();
    List<String> cmd = new ArrayList<>();
    cmd.add(node().toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullFile()));
    pb.environment().putAll(env);
    pb.environment().putIfAbsent("NO_COLOR", "1");
    long t0 = System.nanoTime();
    Process p = pb.start();
    int code;
    if (p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
      code = p.exitValue();
    } else {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      code = -1;
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    String out = Files.readString(log, StandardCharsets.UTF_8);
    if (code == -1) {
      out += "\n(killed after " + timeoutSec + " s)";
    }
    return new Result(code, out, log, ms);
  }

  private static java.io.File nullFile() {
    return new java.io.File("/dev/null");
  }
}
