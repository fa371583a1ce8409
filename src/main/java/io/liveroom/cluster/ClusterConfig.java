package io.liveroom.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.liveroom.config.ConfigException;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.config.Role;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds the Hazelcast member config of a node: {@code cluster.xml} for what every node shares,
 * then the node's own settings from {@code cluster.*}: name, bind address and port, the address
 * announced to the others, TCP-IP members, lite membership for nodes that own no rooms, and the member attributes edges use to
 * find a partition owner's shard addresses.
 */
public final class ClusterConfig {
  /** Member attribute: how many shard verticle instances the member runs (0 on edge-only nodes). */
  public static final String SHARDS_ATTRIBUTE = "liveroom.shards";

  private ClusterConfig() {
  }

  public static Config build(LiveroomConfig cfg) {
    Config hz = load(cfg.cluster().configFile());
    LiveroomConfig.Cluster c = cfg.cluster();
    hz.setClusterName(c.name());
    hz.setProperty("hazelcast.local.localAddress", c.host());
    // else Hazelcast listens on every interface (0.0.0.0) and only announces cluster.host
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.getNetworkConfig().setPort(c.port()).setPortAutoIncrement(false);
    if (!c.publicAddress().isEmpty()) {
      // what the others connect to when it is not the bind address (NAT, a proxy)
      hz.getNetworkConfig().setPublicAddress(c.publicAddress());
    }
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (c.discovery().equals("kubernetes")) {
      // DNS lookup of a headless service: needs no Kubernetes API permissions
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", c.kubernetesServiceDns())
          .setProperty("service-port", Integer.toString(c.port()));
    } else {
      join.getTcpIpConfig().setEnabled(true).setMembers(c.members())
          .setConnectionTimeoutSeconds(5);
    }
    // a graceful stop hands the partitions over within half its grace period, the rest is for the shards
    hz.setProperty("hazelcast.graceful.shutdown.max.wait",
        Long.toString(Math.max(1, cfg.node().shutdownGraceMs() / 2000)));
    boolean shard = cfg.node().has(Role.SHARD);
    hz.setLiteMember(!shard);
    hz.getMemberAttributeConfig().setAttribute(SHARDS_ATTRIBUTE,
        Integer.toString(shard ? cfg.shard().instances() : 0));
    return hz;
  }

  private static Config load(String file) {
    try (InputStream in = open(file)) {
      return new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new ConfigException("cluster.configFile: cannot read " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw new ConfigException("cluster.configFile: " + file + " is not a valid Hazelcast config: " + e.getMessage());
    }
  }

  private static InputStream open(String file) throws IOException {
    Path p = Path.of(file);
    if (Files.isRegularFile(p)) {
      return new FileInputStream(p.toFile());
    }
    InputStream in = ClusterConfig.class.getClassLoader().getResourceAsStream(file);
    if (in == null) {
      throw new IOException("no such file, neither on disk nor in the jar");
    }
    return in;
  }
}
