package io.liveroom.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PromTextTest {
  private static final String SCRAPE = """
      # HELP jvm_memory_used_bytes The amount of used memory
      # TYPE jvm_memory_used_bytes gauge
      jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 8.0740352E7
      jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 2.0168192E7
      jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 5.0E7
      jvm_threads_live_threads 73.0
      liveroom_connections_rejected_total{reason="ip_rate"} 12.0
      liveroom_connections 0.0
      """;

  @Test
  void sumsTheSeriesOfANameWhoseLabelsMatch() {
    PromText m = PromText.parse(SCRAPE);
    assertEquals(80740352 + 20168192, m.sum("jvm_memory_used_bytes", "area=\"heap\""));
    assertEquals(80740352, m.sum("jvm_memory_used_bytes", "area=\"heap\"", "Eden"));
    assertEquals(73, m.sum("jvm_threads_live_threads"));
    // a name that is a prefix of another is not that other
    assertEquals(0, m.sum("liveroom_connections"));
    assertEquals(12, m.sum("liveroom_connections_rejected_total", "reason=\"ip_rate\""));
    assertTrue(Double.isNaN(m.sum("liveroom_connections_accepted_total")));
    assertEquals(0, m.sumOrZero("liveroom_connections_accepted_total"));
  }

  @Test
  void theMixedLoadFlagsOnlyWhatAHealthyClusterNeverAnswers() {
    for (String k : new String[] {"connect.failed", "closed.unexpected", "join.err.INTERNAL", "send.err.UNAVAILABLE",
        "rest.get_room.503", "rest.failed", "bye.RATE_LIMITED", "bye.IDLE_TIMEOUT"}) {
      assertTrue(MixedLoad.isUnexpected(k), k);
    }
    for (String k : new String[] {"join.err.ROOM_CLOSED", "send.err.FORBIDDEN", "join.err.BAD_REQUEST",
        "rest.publish.409", "rest.get_room.200", "connect.xhr.ok", "sockjs.reopened.xhr", "closed.after_bye"}) {
      assertFalse(MixedLoad.isUnexpected(k), k);
    }
  }
}
