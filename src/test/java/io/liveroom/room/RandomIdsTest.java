package io.liveroom.room;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RandomIdsTest {
  private static final char[] ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyz".toCharArray();

  @Test
  void everyCharacterOfTheAlphabetIsAsLikely() {
    int ids = 40_000;
    int n = 14;
    int[] counts = new int[128];
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ids; i++) {
      String id = RandomIds.next("x-", ALPHABET, n);
      assertEquals(2 + n, id.length());
      assertTrue(seen.add(id), id);
      for (int j = 2; j < id.length(); j++) {
        counts[id.charAt(j)]++;
      }
    }
    // 16,000 expected per character, a standard deviation of about 125: 5% off is 6 deviations
    double expected = (double) ids * n / ALPHABET.length;
    for (char c : ALPHABET) {
      assertTrue(Math.abs(counts[c] - expected) < expected * 0.05, c + " drawn " + counts[c] + " times, not ~" + expected);
    }
    assertEquals(ids * n, Arrays.stream(counts).sum(), "only characters of the alphabet");
  }

  @Test
  void alphabetsOfOneTo256Characters() {
    assertEquals("p-aaaa", RandomIds.next("p-", new char[] {'a'}, 4));
    assertThrows(IllegalArgumentException.class, () -> RandomIds.next("p-", new char[0], 4));
    assertThrows(IllegalArgumentException.class, () -> RandomIds.next("p-", new char[257], 4));
  }
}
