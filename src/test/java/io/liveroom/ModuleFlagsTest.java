package io.liveroom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The JVM module flags Hazelcast and Netty need exist in two forms only: the jar's manifest
 * (pom.xml, for {@code java -jar}) and the java argument file {@code conf/jvm-module-flags} (for
 * JVMs that run our classes from a class path). Both grant the same, and nothing else repeats them.
 */
class ModuleFlagsTest {
  private static final Path ARGFILE = Path.of("conf", "jvm-module-flags");
  /** A module flag with its value, in either spelling ({@code --add-opens m/p=...} or {@code --add-opens=m/p=...}). */
  private static final Pattern FLAG_WITH_VALUE =
      Pattern.compile("--add-(opens|exports|modules)[ =]\\S+|--enable-native-access[ =]\\S+");

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static String property(String pom, String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom);
    assertTrue(m.find(), "pom.xml has no property " + name);
    return m.group(1).strip();
  }

  @Test
  void manifestAndArgumentFileGrantTheSameAccess() {
    String pom = read(Path.of("pom.xml"));
    for (String entry : List.of("<Add-Opens>${manifest.add-opens}</Add-Opens>",
        "<Add-Exports>${manifest.add-exports}</Add-Exports>", "<Enable-Native-Access>ALL-UNNAMED</Enable-Native-Access>")) {
      assertTrue(pom.contains(entry), "the shade plugin's manifest entries lack " + entry);
    }
    Set<String> manifest = new TreeSet<>();
    for (String p : property(pom, "manifest.add-opens").split("\\s+")) {
      manifest.add("--add-opens " + p + "=ALL-UNNAMED");
    }
    for (String p : property(pom, "manifest.add-exports").split("\\s+")) {
      manifest.add("--add-exports " + p + "=ALL-UNNAMED");
    }
    manifest.add("--enable-native-access=ALL-UNNAMED");

    Set<String> argfile = new TreeSet<>();
    read(ARGFILE).lines().map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).forEach(argfile::add);
    assertEquals(manifest, argfile, ARGFILE + " and the manifest entries of pom.xml differ");
  }

  @Test
  void integrationTestsRunWithTheArgumentFile() {
    String argLine = property(read(Path.of("pom.xml")), "argLine");
    assertTrue(argLine.contains("@${project.basedir}/" + ARGFILE), "Failsafe's argLine: " + argLine);
  }

  @Test
  void noScriptManifestDocOrSourceRepeatsTheFlags() throws IOException {
    List<Path> files = new ArrayList<>(List.of(Path.of("README.md"), Path.of("pom.xml")));
    for (String dir : List.of("scripts", "k8s", "src", ".ci")) {
      try (Stream<Path> walk = Files.walk(Path.of(dir))) {
        walk.filter(Files::isRegularFile).filter(p -> !p.toString().contains("node_modules")).forEach(files::add);
      }
    }
    try (Stream<Path> docs = Files.list(Path.of("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
    }
    List<String> copies = new ArrayList<>();
    for (Path f : files) {
      if (f.endsWith("ModuleFlagsTest.java")) {
        continue;
      }
      // bytes as Latin-1: any file reads, and the flags are ASCII
      String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      Matcher m = FLAG_WITH_VALUE.matcher(text);
      if (m.find()) {
        copies.add(f + ": " + m.group());
      }
    }
    assertEquals(List.of(), copies, "module flags belong in pom.xml's manifest entries and " + ARGFILE
        + " (java @" + ARGFILE + " -cp ...)");
  }
}
