package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.protocol.Pushes;
import io.liveroom.room.Danmaku;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load generator's JSON-free reading of danmaku pushes agrees with the server's encoding. */
class ScanTest {
  private static final class Seen implements LoadGen.Scan.Items {
    final List<Long> epochs = new ArrayList<>();
    final List<Long> seqs = new ArrayList<>();
    final List<String> texts = new ArrayList<>();

    @Override
    public void epoch(long epoch) {
      epochs.add(epoch);
    }

    @Override
    public void item(long seq, String text, long now) {
      seqs.add(seq);
      texts.add(text);
    }
  }

  private static String push(long epoch, List<Danmaku> items) {
    return Pushes.danmaku("room-1", epoch, items).toString(StandardCharsets.UTF_8);
  }

  @Test
  void readsEpochSeqsAndOwnTexts() {
    String text = push(7, List.of(
        new Danmaku(7, 41, "lg-p0", "lg-p0", "lg 123456789 lg-p0.1", "#ffffff", "scroll", -1, 1L, 0),
        // a stranger's text that looks like keys: quotes are escaped in JSON, so it cannot fool the scan
        new Danmaku(7, 42, "u\"seq\":1", "name \"text\":\"lg 1", "\"seq\":99 \"text\":\"lg 5", "#ffcc00", "top", 5, 2L, 1),
        new Danmaku(7, 43, "lg-p1", "lg-p1", "lg 987654321 lg-p1.2", "#ffffff", "scroll", 120, 3L, 0)));
    assertTrue(text.startsWith(LoadGen.Scan.DANMAKU), text);
    Seen seen = new Seen();
    LoadGen.Scan.danmaku(text, seen, 0);
    assertEquals(List.of(7L), seen.epochs);
    assertEquals(List.of(41L, 42L, 43L), seen.seqs);
    assertEquals("lg 123456789 lg-p0.1", seen.texts.get(0));
    assertEquals(null, seen.texts.get(1));
    assertEquals("lg 987654321 lg-p1.2", seen.texts.get(2));
  }
}
