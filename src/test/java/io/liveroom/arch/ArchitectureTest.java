package io.liveroom.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape of the server's code, read from its sources: no import cycle between
 * {@code io.liveroom} packages, no production source file over 500 lines, and the room engine
 * free of Vert.x in its API. The load tools ({@code src/tools}) are not the server's.
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final int MAX_LINES = 500;
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  /** A reference to one of our classes: an import or a fully qualified name in the code. */
  private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.liveroom(?:\\.[a-z]\\w*)*)\\.[A-Z]\\w*");

  private static Map<Path, String> sources() throws IOException {
    Map<Path, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        out.put(f, Files.readString(f));
      }
    }
    assertFalse(out.isEmpty(), "no sources under " + MAIN.toAbsolutePath());
    return out;
  }

  /** Package -> the other io.liveroom packages its files use. */
  private static Map<String, Set<String>> packageGraph() throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    for (String src : sources().values()) {
      Matcher m = PACKAGE.matcher(src);
      assertTrue(m.find());
      String pkg = m.group(1);
      Set<String> uses = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
      Matcher r = REFERENCE.matcher(src.replaceAll("(?m)^package .*$", ""));
      while (r.find()) {
        if (!r.group(1).equals(pkg)) {
          uses.add(r.group(1));
        }
      }
    }
    return graph;
  }

  @Test
  void noImportCycleBetweenPackages() throws IOException {
    Map<String, Set<String>> graph = packageGraph();
    List<List<String>> cycles = stronglyConnected(graph).stream().filter(c -> c.size() > 1).toList();
    assertEquals(List.of(), cycles, () -> "packages that import each other, directly or around a circle: " + graph);
  }

  @Test
  void noProductionSourceFileIsOver500Lines() throws IOException {
    Map<String, Integer> tooLong = new TreeMap<>();
    sources().forEach((f, src) -> {
      int lines = src.split("\n", -1).length - (src.endsWith("\n") ? 1 : 0);
      if (lines > MAX_LINES) {
        tooLong.put(f.toString(), lines);
      }
    });
    assertEquals(Map.of(), tooLong, "split these by job");
  }

  @Test
  void theRoomEngineAndTheRoomModelUseNoVertx() throws IOException {
    List<String> offenders = new ArrayList<>();
    sources().forEach((f, src) -> {
      String path = f.toString().replace('\\', '/');
      boolean plain = path.contains("/io/liveroom/engine/") || path.contains("/io/liveroom/room/")
          || path.contains("/io/liveroom/error/");
      if (plain && src.contains("import io.vertx.")) {
        offenders.add(path);
      }
    });
    assertEquals(List.of(), offenders, "plain Java only: the verticles are the adapters");
  }

  @Test
  void theCheckFindsACycle() {
    Map<String, Set<String>> g = new HashMap<>();
    g.put("a", Set.of("b"));
    g.put("b", Set.of("c"));
    g.put("c", Set.of("a"));
    g.put("d", Set.of("a"));
    assertEquals(List.of(List.of("a", "b", "c")), stronglyConnected(g).stream().filter(c -> c.size() > 1)
        .map(c -> c.stream().sorted().toList()).toList());
  }

  /** Tarjan's strongly connected components. */
  private static List<List<String>> stronglyConnected(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<List<String>> out = new ArrayList<>();
    int[] next = {0};
    for (String v : new TreeSet<>(graph.keySet())) {
      if (!index.containsKey(v)) {
        connect(v, graph, index, low, stack, onStack, out, next);
      }
    }
    return out;
  }

  private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                              Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                              List<List<String>> out, int[] next) {
    index.put(v, next[0]);
    low.put(v, next[0]++);
    stack.push(v);
    onStack.add(v);
    for (String w : graph.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        connect(w, graph, index, low, stack, onStack, out, next);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      List<String> component = new ArrayList<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        component.add(w);
      } while (!w.equals(v));
      out.add(component);
    }
  }
}
