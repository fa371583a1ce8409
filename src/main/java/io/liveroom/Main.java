package io.liveroom;

import io.liveroom.config.ConfigException;
import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a liveroom node: loads and validates the config, joins the cluster, deploys the
 * configured roles, and stops gracefully on SIGTERM within {@code node.shutdownGraceMs}.
 * {@code --check-config} and {@code --version} answer and exit without starting one.
 */
public final class Main {
  private static final String USAGE = """
      Usage: java -jar liveroom.jar [--check-config | --version | --help]

      Without an option, starts a node. Its config is the defaults in the jar, then the file
      conf/liveroom.json (or LIVEROOM_CONFIG, -Dliveroom.config), then LIVEROOM_* environment
      variables, then -Dliveroom.* system properties.

        --check-config  load the config as a node would, print it as JSON with secrets masked;
                        exit 0 if it is valid, 2 with the error if it is not
        --version       print the version of liveroom, Vert.x and Java, and exit
        --help          print this help and exit
      """;
  private static final int EXIT_INVALID = 2;

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 1) {
      usageError("one option at most, got " + String.join(" ", args));
    }
    String option = args.length == 0 ? "" : args[0];
    switch (option) {
      case "" -> startNode();
      case "--check-config" -> checkConfig();
      case "--version" -> System.out.println(BuildInfo.current());
      case "--help", "-h" -> System.out.print(USAGE);
      default -> usageError("unknown option " + option);
    }
  }

  private static void startNode() {
    logThroughSlf4j();
    // created here, not in a static field, so that the other options never start the logging
    Logger log = LoggerFactory.getLogger(Main.class);
    LiveroomConfig config = withLoader(ConfigLoader::load);
    Node node;
    try {
      node = Node.start(config).await(config.cluster().joinTimeoutMs() + 30_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.error("node failed to start", e);
      fail("node failed to start: " + e.getMessage());
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping node {}", node.nodeId());
      node.closeAndWait();
      log.info("node {} stopped", node.nodeId());
    }, "liveroom-shutdown"));
  }

  /** Prints the effective config, secrets masked, on stdout; the log lines of loading it go to stderr. */
  private static void checkConfig() {
    PrintStream out = System.out;
    // Logback's console appender writes to whatever System.out is when it logs
    System.setOut(System.err);
    logThroughSlf4j();
    JsonObject effective = withLoader(ConfigLoader::loadJson);
    try {
      LiveroomConfig cfg = LiveroomConfig.from(effective);
      // -1 means "by mode": show what the node will use
      effective.getJsonObject("redis").put("replicasToAck", cfg.redis().replicasToAck());
    } catch (ConfigException e) {
      fail("invalid config: " + e.getMessage());
    }
    out.println(ConfigLoader.masked(effective).encodePrettily());
    out.flush();
  }

  /** Runs {@code load} on a short-lived Vert.x; exits with status 2 if the config cannot be loaded or is invalid. */
  private static <T> T withLoader(Function<Vertx, Future<T>> load) {
    Vertx loader = Vertx.vertx();
    try {
      return load.apply(loader).await(30, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      fail("invalid config: " + e.getMessage());
    } catch (Exception e) {
      fail("cannot load config: " + e.getMessage());
    } finally {
      loader.close();
    }
    throw new AssertionError("unreachable: fail exits");
  }

  private static void logThroughSlf4j() {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
  }

  private static void usageError(String message) {
    System.err.println("liveroom: " + message);
    System.err.print(USAGE);
    System.exit(EXIT_INVALID);
  }

  private static void fail(String message) {
    System.err.println("liveroom: " + message);
    System.exit(EXIT_INVALID);
  }
}
