package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArgsTest {
  @Test
  void pairsGoToTheSetterInOrder() {
    Map<String, String> seen = new LinkedHashMap<>();
    assertTrue(Args.pairs(new String[] {"--a", "1", "--b", "x,y"}, "usage", (k, v) -> seen.put(k, v) == null));
    assertEquals(Map.of("--a", "1", "--b", "x,y"), seen);
    assertEquals("[--a, --b]", seen.keySet().toString());
  }

  @Test
  void helpStopsAndBadCommandLinesFailWithTheUsage() {
    assertFalse(Args.pairs(new String[] {"--a", "1", "-h"}, "usage", (k, v) -> true));
    assertEquals("--a needs a value",
        assertThrows(IllegalArgumentException.class, () -> Args.pairs(new String[] {"--a"}, "usage", (k, v) -> true))
            .getMessage());
    assertEquals("unknown option --zz\nusage",
        assertThrows(IllegalArgumentException.class, () -> Args.pairs(new String[] {"--zz", "1"}, "usage", (k, v) -> false))
            .getMessage());
  }
}
