package io.liveroom.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordFilterTest {
  private final WordFilter f = new WordFilter(List.of("bad", "badword", "he", "she", "his", "hers", "# comment", "  ",
      "\u50bb\u74dc"));

  @Test
  void masksEveryOccurrenceIncludingOverlaps() {
    assertEquals("a *** thing", f.mask("a bad thing"));
    assertEquals("*******!", f.mask("badword!"));
    assertEquals("u*****", f.mask("ushers"), "she and hers overlap: five characters");
    assertEquals("a clean line", f.mask("a clean line"));
  }

  @Test
  void matchingIgnoresCaseAndWidth() {
    assertTrue(f.matches("So BAD"));
    assertEquals("So ***", f.mask("So BAD"));
    assertEquals("\uff33\uff4f ***", f.mask("\uff33\uff4f \uff42\uff41\uff44"), "full-width letters match, and are masked in place");
    assertEquals("\u4f60\u662f**", f.mask("\u4f60\u662f\u50bb\u74dc"), "CJK words");
  }

  @Test
  void commentsAndBlankLinesAreNotWords() {
    assertEquals(7, f.size());
    assertFalse(f.matches("# comment"));
    assertFalse(WordFilter.EMPTY.matches("bad"));
    assertEquals("bad", WordFilter.EMPTY.mask("bad"));
  }
}
