package io.liveroom;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * What this node is built from and runs on: liveroom's version (from the pom, through the
 * filtered resource {@code io/liveroom/build.properties}), the Vert.x version on the class path
 * and the Java runtime. Printed by {@code --version} and exported as {@code liveroom_build_info}.
 */
public record BuildInfo(String version, String vertxVersion, int javaFeature, String javaRuntime) {
  private static final String UNKNOWN = "unknown";

  /** The build of the running code. */
  public static BuildInfo current() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BuildInfo(p.getProperty("version", UNKNOWN), readVertxVersion(),
        Runtime.version().feature(), Runtime.version().toString());
  }

  /** vertx-core's own record of its version (the shaded jar's manifest is ours, not Vert.x's). */
  private static String readVertxVersion() {
    try (InputStream in = BuildInfo.class.getClassLoader().getResourceAsStream("META-INF/vertx/vertx-version.txt")) {
      return in == null ? UNKNOWN : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code --version} line. */
  @Override
  public String toString() {
    return "liveroom " + version + " (Vert.x " + vertxVersion + ", Java " + javaRuntime + ")";
  }
}
