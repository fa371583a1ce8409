package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import java.util.List;

/**
 * Recent history of a room: its position, the items, and {@code complete} when they are exactly
 * every item after the asked-for seq.
 */
public record HistoryPage(long epoch, long seq, List<Danmaku> items, boolean complete) {
}
