package io.liveroom;

import io.liveroom.config.ConfigException;
import io.liveroom.config.ConfigLoader;
import io.liveroom.config.LiveroomConfig;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a liveroom node: loads and validates the config, joins the cluster, deploys the
 * configured roles, and stops gracefully on SIGTERM within {@code node.shutdownGraceMs}.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) {
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
    LiveroomConfig config;
    Vertx loader = Vertx.vertx();
    try {
      config = ConfigLoader.load(loader).await(30, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      fail("invalid config: " + e.getMessage());
      return;
    } catch (Exception e) {
      fail("cannot load config: " + e.getMessage());
      return;
    } finally {
      loader.close();
    }
    Node node;
    try {
      node = Node.start(config).await(config.cluster().joinTimeoutMs() + 30_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.error("node failed to start", e);
      fail("node failed to start: " + e.getMessage());
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping node {}", node.nodeId());
      node.closeAndWait();
      LOG.info("node {} stopped", node.nodeId());
    }, "liveroom-shutdown"));
  }

  private static void fail(String message) {
    System.err.println("liveroom: " + message);
    System.exit(2);
  }
}
