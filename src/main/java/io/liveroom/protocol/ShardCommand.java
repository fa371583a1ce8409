package io.liveroom.protocol;

import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.liveroom.room.RoomFields;
import io.vertx.core.Future;
import java.util.List;
import java.util.Locale;

/**
 * A command from an edge to a room's owner shard, one record per command, with the reply type it
 * gets ({@code R}). The owner answers with an {@code R}, or with {@link ShardReply.Refused} (an
 * error code, a message, a retry-after; {@code MOVED} when it no longer owns the room).
 */
public sealed interface ShardCommand<R extends ShardReply> {

  String roomId();

  /** Calls the handler method of this command (JDK 17: no pattern switch over records). */
  Future<R> dispatch(Handler h);

  /** The command's name for meters and logs: JOIN, SEND, CREATE... */
  default String op() {
    return Names.OP.get(getClass());
  }

  /** Each record's op name, computed once per class (it is asked for on every command). */
  final class Names {
    private static final ClassValue<String> OP = new ClassValue<>() {
      @Override
      protected String computeValue(Class<?> type) {
        return type.getSimpleName().toUpperCase(Locale.ROOT);
      }
    };

    private Names() {
    }
  }

  /** The owner's side: one method per command. */
  interface Handler {
    Future<RoomView> create(Create c);

    Future<RoomView> get(Get c);

    Future<RoomView> peek(Peek c);

    Future<RoomView> update(Update c);

    Future<RoomView> end(End c);

    Future<ShardReply.JoinReply> join(Join c);

    Future<ShardReply.Position> send(Send c);

    Future<ShardReply.Position> leave(Leave c);

    Future<ShardReply.Position> refresh(Refresh c);

    Future<ShardReply.HistoryReply> history(History c);

    Future<ShardReply.Position> moderate(Moderate c);

    Future<ShardReply.MembersPage> members(Members c);
  }

  /** Create the room from the body of a create; fails when the id exists (409). */
  record Create(String roomId, RoomFields fields) implements ShardCommand<RoomView> {
    public Future<RoomView> dispatch(Handler h) {
      return h.create(this);
    }
  }

  /** The room object, loading the room from Redis when it is cold. */
  record Get(String roomId) implements ShardCommand<RoomView> {
    public Future<RoomView> dispatch(Handler h) {
      return h.get(this);
    }
  }

  /** The room object only if the room is hot ({@link RoomView#cold} otherwise); never loads it. */
  record Peek(String roomId) implements ShardCommand<RoomView> {
    public Future<RoomView> dispatch(Handler h) {
      return h.peek(this);
    }
  }

  /** Apply a PATCH. */
  record Update(String roomId, RoomFields fields) implements ShardCommand<RoomView> {
    public Future<RoomView> dispatch(Handler h) {
      return h.update(this);
    }
  }

  /** End the room. */
  record End(String roomId) implements ShardCommand<RoomView> {
    public Future<RoomView> dispatch(Handler h) {
      return h.end(this);
    }
  }

  /**
   * A connection on edge instance {@code edge} ({@code <nodeId>/<instance>}) joins: counted when
   * {@code newMember}; {@code since} (null when not given) asks for the items missed after it.
   */
  record Join(String roomId, String edge, Member member, boolean newMember, ShardReply.Position since)
      implements ShardCommand<ShardReply.JoinReply> {
    public Future<ShardReply.JoinReply> dispatch(Handler h) {
      return h.join(this);
    }
  }

  /**
   * Sequence and fan out one item. {@code progress} is ms into the stream or -1; {@code key} the
   * idempotency key or null; {@code edge} null for a server-side publish.
   */
  record Send(String roomId, String edge, Member member, String text, String color, String mode, long progress,
              String key) implements ShardCommand<ShardReply.Position> {
    public Future<ShardReply.Position> dispatch(Handler h) {
      return h.send(this);
    }
  }

  /** A connection of {@code userId} (a guest's when {@code guest}) on {@code edge} left the room. */
  record Leave(String roomId, String edge, String userId, boolean guest) implements ShardCommand<ShardReply.Position> {
    public Future<ShardReply.Position> dispatch(Handler h) {
      return h.leave(this);
    }
  }

  /**
   * The edge's full list of the room: its signed-in users with their connections, and its guest
   * connections (soft state that expires unless refreshed). Replaces the owner's copy of the edge.
   */
  record Refresh(String roomId, String edge, List<EdgeUsers.Entry> users, int guests)
      implements ShardCommand<ShardReply.Position> {
    public Future<ShardReply.Position> dispatch(Handler h) {
      return h.refresh(this);
    }
  }

  /** Recent history: the {@code limit} newest items, or those after {@code afterSeq} of the current epoch (-1: none). */
  record History(String roomId, long afterSeq, int limit) implements ShardCommand<ShardReply.HistoryReply> {
    public Future<ShardReply.HistoryReply> dispatch(Handler h) {
      return h.history(this);
    }
  }

  /**
   * A moderation action by {@code actor}: the target {@code user} (or null), the item's {@code seq}
   * (-1 when absent), {@code durationSec} (-1 when absent) and the {@code reason} (or null).
   */
  record Moderate(String roomId, Member actor, String action, String user, long seq, long durationSec, String reason)
      implements ShardCommand<ShardReply.Position> {
    public Future<ShardReply.Position> dispatch(Handler h) {
      return h.moderate(this);
    }
  }

  /** A page of the room's member list: up to {@code limit} users with ids after {@code after} (null: from the first). */
  record Members(String roomId, String after, int limit) implements ShardCommand<ShardReply.MembersPage> {
    public Future<ShardReply.MembersPage> dispatch(Handler h) {
      return h.members(this);
    }
  }
}
