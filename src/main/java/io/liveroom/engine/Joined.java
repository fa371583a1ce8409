package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import java.util.List;

/**
 * A join's answer: the room's current position and the history items to hand over, with whether
 * they are exactly the ones missed since the member's {@code since}.
 */
public record Joined(long epoch, long seq, List<Danmaku> items, boolean recovered) {
}
