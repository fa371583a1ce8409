package io.liveroom.protocol;

import io.liveroom.error.LiveroomException;
import io.liveroom.error.ErrorCode;
import io.liveroom.room.Danmaku;
import io.liveroom.room.Member;
import java.util.List;

/** An owner's answer to a {@link ShardCommand}: one record per kind of reply. */
public sealed interface ShardReply permits RoomView, ShardReply.JoinReply, ShardReply.Position,
    ShardReply.HistoryReply, ShardReply.MembersPage, ShardReply.Refused {

  /** A place in a room's sequence: the owner's epoch and a seq (the assigned one for a send). */
  record Position(long epoch, long seq) implements ShardReply {
    public static final Position NONE = new Position(0, 0);
  }

  /** A join's answer: the room, its position, and the history items with whether they are exactly the missed ones. */
  record JoinReply(long epoch, long seq, RoomView room, List<Danmaku> items, boolean recovered) implements ShardReply {
  }

  /** Recent history; {@code complete} when the items are exactly every item after the asked-for seq. */
  record HistoryReply(long epoch, long seq, List<Danmaku> items, boolean complete) implements ShardReply {
  }

  /**
   * A page of a room's member list: signed-in users in id order with their role in the room,
   * whether more follow, and the guest connections (not listed).
   */
  record MembersPage(List<Member> members, boolean more, int guests) implements ShardReply {
  }

  /**
   * The owner refused: a code of {@link ErrorCode}, the HTTP status the REST API answers with (409
   * for an existing room id), a message for the client, and milliseconds after which a retry may
   * succeed (-1 when not applicable). {@code MOVED} never reaches a client: the edge re-routes.
   */
  record Refused(ErrorCode code, int httpStatus, String message, long retryAfterMs) implements ShardReply {

    public static Refused of(LiveroomException e) {
      return new Refused(e.code(), e.httpStatus(), e.getMessage(), e.retryAfterMs());
    }

    public static Refused moved(String message) {
      return new Refused(ErrorCode.MOVED, ErrorCode.MOVED.httpStatus(), message, -1);
    }

    public LiveroomException toException() {
      return LiveroomException.of(code, httpStatus, message, retryAfterMs);
    }
  }
}
