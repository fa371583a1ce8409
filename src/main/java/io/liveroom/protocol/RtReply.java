package io.liveroom.protocol;

import io.liveroom.room.Danmaku;
import java.util.List;

/**
 * An owner's answer to a real-time command: the room's epoch and current (or assigned) seq; for
 * a join also the room and the history items with whether they are exactly the missed ones.
 */
public record RtReply(long epoch, long seq, RoomView room, List<Danmaku> items, boolean recovered) {

  public static RtReply position(long epoch, long seq) {
    return new RtReply(epoch, seq, null, List.of(), false);
  }
}
