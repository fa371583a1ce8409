package io.liveroom.shard;

import io.liveroom.cluster.Ownership;
import io.liveroom.node.NodeServices;
import io.liveroom.engine.RoomEngine;
import io.liveroom.engine.SendResult;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.RoomView;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardReply.HistoryReply;
import io.liveroom.protocol.ShardReply.JoinReply;
import io.liveroom.protocol.ShardReply.MembersPage;
import io.liveroom.protocol.ShardReply.Position;
import io.liveroom.room.Room;
import io.liveroom.room.RoomLive;
import io.vertx.core.Future;
import it.unimi.dsi.fastutil.objects.Object2ObjectOpenHashMap;
import java.util.function.Supplier;

/**
 * The shard's side of each {@link ShardCommand}: the engine rule it runs, after loading the room
 * when it is cold ({@link OwnerStore}), one operation of a room after another. A hot room's send,
 * leave and peek skip the chain when nothing of the room is in flight. Runs on the shard's event
 * loop.
 */
final class RoomCommands implements ShardCommand.Handler {
  private final NodeServices node;
  private final RoomEngine engine;
  private final OwnerStore owner;
  private final Ownership ownership;
  /** The last pending operation of each room that has one. */
  private final Object2ObjectOpenHashMap<String, Future<?>> tails = new Object2ObjectOpenHashMap<>();
  private final Thread loop;

  RoomCommands(NodeServices node, RoomEngine engine, OwnerStore owner) {
    this.node = node;
    this.engine = engine;
    this.owner = owner;
    this.ownership = node.ownership();
    this.loop = Thread.currentThread();
  }

  /** Whether the room has an operation in flight (the sweep leaves such rooms hot). */
  boolean busy(String roomId) {
    return tails.containsKey(roomId);
  }

  private int pid(String roomId) {
    return ownership.partitionOf(roomId);
  }

  @Override
  public Future<RoomView> create(ShardCommand.Create c) {
    return serial(c.roomId(), () -> owner.create(pid(c.roomId()), c));
  }

  @Override
  public Future<RoomView> get(ShardCommand.Get c) {
    return serial(c.roomId(), () -> owner.load(pid(c.roomId()), c.roomId()).map(engine::view));
  }

  @Override
  public Future<RoomView> peek(ShardCommand.Peek c) {
    Room r = engine.find(pid(c.roomId()), c.roomId());
    return Future.succeededFuture(r == null ? RoomView.cold(node.nodeId()) : engine.view(r));
  }

  @Override
  public Future<RoomView> update(ShardCommand.Update c) {
    return serial(c.roomId(), () -> owner.mutate(pid(c.roomId()), c.roomId(),
        d -> node.rules().patch(d, c.fields(), System.currentTimeMillis())));
  }

  @Override
  public Future<RoomView> end(ShardCommand.End c) {
    return serial(c.roomId(), () -> owner.mutate(pid(c.roomId()), c.roomId(),
        d -> node.rules().end(d, System.currentTimeMillis())));
  }

  @Override
  public Future<JoinReply> join(ShardCommand.Join c) {
    Position since = c.since();
    return serial(c.roomId(), () -> owner.loadLive(pid(c.roomId()), c.roomId()).map(room -> engine.join(room,
        c.edge(), c.member(), c.newMember(), since != null, since == null ? 0 : since.epoch(),
        since == null ? 0 : since.seq(), System.currentTimeMillis())));
  }

  /** Acknowledged once the item is in Redis (see {@link OwnerStore#stored}). */
  @Override
  public Future<Position> send(ShardCommand.Send c) {
    Room hot = engine.find(pid(c.roomId()), c.roomId());
    if (hot != null && hot.live() != null && !hot.live().broken()) {
      return sequence(hot, c);
    }
    return serial(c.roomId(), () -> owner.loadForSend(pid(c.roomId()), c.roomId()).compose(room -> sequence(room, c)));
  }

  private Future<Position> sequence(Room room, ShardCommand.Send c) {
    SendResult s;
    try {
      s = engine.send(room, c.member(), c.text(), c.color(), c.mode(), c.progress(), c.key(),
          System.currentTimeMillis());
    } catch (LiveroomException e) {
      if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.RATE_LIMITED) {
        node.metrics().dropped(e.code() == ErrorCode.UNAVAILABLE ? "backlog" : "room_cap", 1);
      }
      throw e;
    }
    if (s.item() != null) {
      node.metrics().messageIn();
    }
    Position at = new Position(s.epoch(), s.seq());
    return owner.stored(s).map(v -> at);
  }

  @Override
  public Future<Position> leave(ShardCommand.Leave c) {
    Room hot = engine.find(pid(c.roomId()), c.roomId());
    if (hot != null) {
      engine.leave(hot, c.edge(), c.userId(), c.guest(), System.currentTimeMillis());
    }
    return Future.succeededFuture(Position.NONE);
  }

  @Override
  public Future<Position> refresh(ShardCommand.Refresh c) {
    if (engine.find(pid(c.roomId()), c.roomId()) == null && c.users().isEmpty() && c.guests() <= 0) {
      return Future.succeededFuture(Position.NONE);
    }
    return serial(c.roomId(), () -> owner.loadLive(pid(c.roomId()), c.roomId()).map(room -> {
      engine.refresh(room, c.edge(), c.users(), c.guests(), System.currentTimeMillis());
      return position(room);
    }));
  }

  /** A page of the member list; an unknown room is NOT_FOUND (the load fails with it). */
  @Override
  public Future<MembersPage> members(ShardCommand.Members c) {
    Room hot = engine.find(pid(c.roomId()), c.roomId());
    if (hot != null) {
      return Future.succeededFuture(engine.members(hot, c.after(), c.limit()));
    }
    return serial(c.roomId(), () -> owner.load(pid(c.roomId()), c.roomId())
        .map(room -> engine.members(room, c.after(), c.limit())));
  }

  @Override
  public Future<HistoryReply> history(ShardCommand.History c) {
    return serial(c.roomId(), () -> owner.loadLive(pid(c.roomId()), c.roomId())
        .map(room -> engine.history(room, c.afterSeq() >= 0, Math.max(0, c.afterSeq()), c.limit())));
  }

  @Override
  public Future<Position> moderate(ShardCommand.Moderate c) {
    int pid = pid(c.roomId());
    return serial(c.roomId(), () -> owner.loadLive(pid, c.roomId()).compose(room -> owner.moderate(pid, room,
            engine.moderation(room, c.actor(), c.action(), c.user(), c.seq(), c.durationSec(), c.reason(),
                System.currentTimeMillis()))
        .map(v -> position(room))));
  }

  /** Ends a live room that stayed empty for its {@code emptyTimeoutSec}. */
  Future<RoomView> endEmpty(Room room) {
    return end(new ShardCommand.End(room.id()));
  }

  private static Position position(Room room) {
    RoomLive l = room.live();
    return new Position(l.epoch(), l.seq());
  }

  /** Runs {@code task} after the room's pending operations. */
  private <T> Future<T> serial(String id, Supplier<Future<T>> task) {
    Future<?> prev = tails.get(id);
    Future<T> next = prev == null ? call(task) : prev.transform(ignored -> call(task));
    tails.put(id, next);
    next.onComplete(ar -> {
      assert Thread.currentThread() == loop : "room state touched off its event loop";
      if (tails.get(id) == next) {
        tails.remove(id);
      }
    });
    return next;
  }

  static <T> Future<T> call(Supplier<Future<T>> task) {
    try {
      return task.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
