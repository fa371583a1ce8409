package io.liveroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The two jars of the build: target/liveroom.jar is the node without the load and benchmark tools,
 * target/liveroom-tools.jar holds only the tools (run with liveroom.jar on the class path).
 */
class PackagingIT {
  private static final Path SERVER_JAR = Path.of("target", "liveroom.jar");
  private static final Path TOOLS_JAR = Path.of("target", "liveroom-tools.jar");
  private static final List<String> TOOL_PACKAGES = List.of("io/liveroom/loadgen/", "io/liveroom/bench/");
  /** Dependencies only the tools use (vertx-web-client and what it brings, JFreeChart for the plots). */
  private static final List<String> TOOL_ONLY_LIBRARIES = List.of("io/vertx/ext/web/client/", "io/vertx/uritemplate/",
      "org/jfree/");

  @Test
  void serverJarHoldsNoToolAndNoServerClassNeedsOne() throws IOException {
    assertTrue(Files.isRegularFile(SERVER_JAR), "run after package: " + SERVER_JAR);
    List<String> toolEntries = new ArrayList<>();
    List<String> referencing = new ArrayList<>();
    try (JarFile jar = new JarFile(SERVER_JAR.toFile())) {
      assertNotNull(jar.getEntry("io/liveroom/Main.class"), "the node's main class");
      assertNotNull(jar.getEntry("org/HdrHistogram/Histogram.class"), "Micrometer needs HdrHistogram at run time");
      for (JarEntry e : jar.stream().toList()) {
        String name = e.getName();
        if (isTool(name) || TOOL_ONLY_LIBRARIES.stream().anyMatch(name::startsWith)) {
          toolEntries.add(name);
        } else if (name.startsWith("io/liveroom/") && name.endsWith(".class") && refersToTool(jar, e)) {
          // a class name in the constant pool: the node would fail with NoClassDefFoundError there
          referencing.add(name);
        }
      }
    }
    assertEquals(List.of(), toolEntries, "load tools (or their web client) inside " + SERVER_JAR);
    assertEquals(List.of(), referencing, "server classes that use a load tool class");
  }

  @Test
  void toolsJarHoldsTheToolsOnly() throws IOException {
    assertTrue(Files.isRegularFile(TOOLS_JAR), "run after package: " + TOOLS_JAR);
    List<String> serverEntries = new ArrayList<>();
    try (JarFile jar = new JarFile(TOOLS_JAR.toFile())) {
      for (String cls : List.of("io/liveroom/loadgen/LoadGen.class", "io/liveroom/loadgen/Soak.class",
          "io/liveroom/bench/RoomsMemory.class", "io/liveroom/bench/SweepBench.class",
          "io/vertx/ext/web/client/WebClient.class", "io/liveroom/loadgen/Plots.class",
          "org/jfree/chart/JFreeChart.class")) {
        assertNotNull(jar.getEntry(cls), cls + " in " + TOOLS_JAR);
      }
      jar.stream().map(JarEntry::getName)
          .filter(n -> n.startsWith("io/liveroom/") && n.endsWith(".class") && !isTool(n))
          .forEach(serverEntries::add);
    }
    assertEquals(List.of(), serverEntries, "server classes belong in " + SERVER_JAR + " only");
  }

  private static boolean isTool(String entry) {
    return TOOL_PACKAGES.stream().anyMatch(entry::startsWith);
  }

  private static boolean refersToTool(JarFile jar, JarEntry entry) throws IOException {
    try (InputStream in = jar.getInputStream(entry)) {
      // class names are stored as modified UTF-8, which is ASCII for these
      String bytes = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return TOOL_PACKAGES.stream().anyMatch(bytes::contains);
    }
  }
}
