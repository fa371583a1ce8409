package io.liveroom.shard;

import io.liveroom.NodeServices;
import io.liveroom.protocol.BusErrors;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.protocol.RoomCommand;
import io.liveroom.protocol.RoomView;
import io.liveroom.room.Room;
import io.liveroom.room.RoomData;
import io.liveroom.store.RoomStore;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.objects.Object2ObjectOpenHashMap;
import java.util.Iterator;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the hot rooms of the partitions that map to this instance ({@code pid mod instances}).
 * All room state is touched only on this verticle's event loop. Every command first checks that
 * this node still owns the room's partition (else {@code MOVED}); the operations of one room run
 * one after another, so concurrent first accesses to a cold room cause one Redis load and a
 * create cannot race a hydrate.
 */
public final class ShardVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ShardVerticle.class);

  private final NodeServices node;
  private final int instance;
  private final Ownership ownership;
  private final RoomStore store;
  /** Hot rooms by partition, so a partition handed over is dropped in one step. */
  private final Int2ObjectOpenHashMap<Object2ObjectOpenHashMap<String, Room>> rooms = new Int2ObjectOpenHashMap<>();
  /** The last pending operation of each room that has one. */
  private final Object2ObjectOpenHashMap<String, Future<?>> tails = new Object2ObjectOpenHashMap<>();
  private int hotCount;
  private int sweepCursor;
  private Thread loop;

  public ShardVerticle(NodeServices node, int instance) {
    this.node = node;
    this.instance = instance;
    this.ownership = node.ownership();
    this.store = node.store();
  }

  @Override
  public Future<?> start() {
    loop = Thread.currentThread();
    MessageConsumer<RoomCommand> commands = vertx.eventBus()
        .consumer(Addresses.shard(node.nodeId(), instance), this::onCommand);
    MessageConsumer<JsonObject> control = vertx.eventBus()
        .localConsumer(Addresses.shardControl(instance), this::onControl);
    return Future.all(commands.completion(), control.completion());
  }

  @Override
  public Future<?> stop() {
    node.metrics().roomsHot(-hotCount);
    hotCount = 0;
    rooms.clear();
    return Future.succeededFuture();
  }

  private void onCommand(Message<RoomCommand> msg) {
    RoomCommand cmd = msg.body();
    String op = cmd.op().name();
    int pid = ownership.partitionOf(cmd.roomId());
    if (!ownership.ownsLocally(pid)) {
      dropPartition(pid, "migrated");
      node.metrics().shardCommand(op, "moved");
      msg.fail(ErrorCode.MOVED_BUS_CODE, "partition " + pid + " is not owned by " + node.nodeId());
      return;
    }
    Future<RoomView> result;
    try {
      result = switch (cmd.op()) {
        case PEEK -> Future.succeededFuture(peek(pid, cmd.roomId()));
        case GET -> get(pid, cmd.roomId());
        case CREATE -> serial(cmd.roomId(), () -> create(pid, cmd));
        case UPDATE -> serial(cmd.roomId(), () -> mutate(pid, cmd.roomId(),
            d -> node.rules().patch(d, cmd.fields(), System.currentTimeMillis())));
        case END -> serial(cmd.roomId(), () -> mutate(pid, cmd.roomId(),
            d -> node.rules().end(d, System.currentTimeMillis())));
      };
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        node.metrics().shardCommand(op, "ok");
        msg.reply(ar.result());
      } else {
        Throwable t = ar.cause();
        if (t instanceof Moved) {
          node.metrics().shardCommand(op, "moved");
          msg.fail(ErrorCode.MOVED_BUS_CODE, t.getMessage());
          return;
        }
        if (!(t instanceof LiveroomException)) {
          LOG.error("room {}: {} failed", cmd.roomId(), op, t);
        }
        node.metrics().shardCommand(op, t instanceof LiveroomException e ? e.code().name() : "INTERNAL");
        BusErrors.fail(msg, t);
      }
    });
  }

  private RoomView peek(int pid, String id) {
    Room r = find(pid, id);
    return r == null ? RoomView.cold(node.nodeId()) : view(r);
  }

  private Future<RoomView> get(int pid, String id) {
    Room r = find(pid, id);
    if (r != null) {
      r.touch(System.currentTimeMillis());
      return Future.succeededFuture(view(r));
    }
    return serial(id, () -> load(pid, id).map(this::view));
  }

  private Future<RoomView> create(int pid, RoomCommand cmd) {
    String id = cmd.roomId();
    if (find(pid, id) != null) {
      return Future.failedFuture(exists(id));
    }
    long now = System.currentTimeMillis();
    RoomData data = node.rules().create(id, cmd.fields(), now);
    return store.create(data).compose(created -> {
      if (!created) {
        return Future.failedFuture(exists(id));
      }
      Room room = new Room(data, 1, now);
      if (ownership.ownsLocally(pid)) {
        put(pid, room);
        return Future.succeededFuture(view(room));
      }
      // the partition moved away while we wrote: the room is durable; its new owner loads it
      return Future.succeededFuture(new RoomView(data, 1, 0, false, node.nodeId()));
    });
  }

  private Future<RoomView> mutate(int pid, String id, java.util.function.UnaryOperator<RoomData> change) {
    return load(pid, id).compose(room -> {
      RoomData before = room.data();
      RoomData after = change.apply(before);
      if (after.equals(before)) {
        return Future.succeededFuture(view(room));
      }
      return store.write(after, before.state(), room.epoch()).compose(w -> switch (w) {
        case OK -> {
          room.commit(after, System.currentTimeMillis());
          yield Future.succeededFuture(view(room));
        }
        case STALE -> {
          // another owner took a newer epoch: this copy is stale, drop it and let the edge re-route
          if (remove(pid, id) != null) {
            node.metrics().roomsDropped("stale", 1);
          }
          LOG.warn("room {}: write with epoch {} rejected as stale, dropped from node {}", id, room.epoch(),
              node.nodeId());
          yield Future.failedFuture(new Moved("room " + id + " has a newer owner"));
        }
        case MISSING -> {
          remove(pid, id);
          yield Future.failedFuture(new LiveroomException(ErrorCode.NOT_FOUND, "no room " + id));
        }
      });
    });
  }

  /** The hot room, or loads it from Redis with a new epoch. Runs inside the room's serial chain. */
  private Future<Room> load(int pid, String id) {
    Room hot = find(pid, id);
    if (hot != null) {
      hot.touch(System.currentTimeMillis());
      return Future.succeededFuture(hot);
    }
    Timer.Sample sample = Timer.start(node.metrics().registry());
    return store.hydrate(id).compose(h -> {
      sample.stop(node.metrics().hydrationLatency());
      if (h == null) {
        node.metrics().hydration("missing");
        return Future.failedFuture(new LiveroomException(ErrorCode.NOT_FOUND, "no room " + id));
      }
      node.metrics().hydration("ok");
      if (!ownership.ownsLocally(pid)) {
        return Future.failedFuture(new Moved("partition " + pid + " moved during load"));
      }
      Room room = new Room(h.data(), h.epoch(), System.currentTimeMillis());
      put(pid, room);
      return Future.succeededFuture(room);
    }, e -> {
      node.metrics().hydration("error");
      return Future.failedFuture(e);
    });
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

  private static <T> Future<T> call(Supplier<Future<T>> task) {
    try {
      return task.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void onControl(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    switch (body.getString("op", "")) {
      case "drop" -> {
        int pid = body.getInteger("partition");
        if (!ownership.ownsLocally(pid)) {
          dropPartition(pid, "migrated");
        }
        msg.reply(null);
      }
      case "sweep" -> msg.reply(new JsonObject().put("demoted",
          sweep(body.getLong("idleBefore"), body.getInteger("max"))));
      case "stats" -> msg.reply(new JsonObject().put("rooms", hotCount).put("partitions", rooms.size()));
      default -> msg.fail(ErrorCode.BAD_REQUEST.busCode(), "unknown control op");
    }
  }

  /**
   * Demotes up to {@code max} rooms idle since {@code idleBefore}, continuing where the last sweep
   * stopped. Durable state is written through, so a demoted room only leaves memory; a room with
   * an operation in flight stays.
   */
  private int sweep(long idleBefore, int max) {
    if (rooms.isEmpty()) {
      return 0;
    }
    IntArrayList pids = new IntArrayList(rooms.keySet());
    pids.sort(null);
    int demoted = 0;
    int visited = 0;
    int start = sweepCursor;
    for (int i = 0; i < pids.size() && visited < max; i++) {
      int pid = pids.getInt((start + i) % pids.size());
      sweepCursor = (start + i + 1) % Math.max(1, pids.size());
      Object2ObjectOpenHashMap<String, Room> part = rooms.get(pid);
      for (Iterator<Room> it = part.values().iterator(); it.hasNext() && visited < max; ) {
        Room r = it.next();
        visited++;
        if (r.idleSince(idleBefore) && !tails.containsKey(r.id())) {
          it.remove();
          demoted++;
        }
      }
      if (part.isEmpty()) {
        rooms.remove(pid);
      }
    }
    hotCount -= demoted;
    node.metrics().roomsHot(-demoted);
    node.metrics().roomsDropped("demoted", demoted);
    return demoted;
  }

  private void dropPartition(int pid, String reason) {
    Object2ObjectOpenHashMap<String, Room> part = rooms.remove(pid);
    if (part != null) {
      hotCount -= part.size();
      node.metrics().roomsHot(-part.size());
      node.metrics().roomsDropped(reason, part.size());
      LOG.info("partition {} left node {}: dropped {} hot rooms", pid, node.nodeId(), part.size());
    }
  }

  private Room find(int pid, String id) {
    Object2ObjectOpenHashMap<String, Room> part = rooms.get(pid);
    return part == null ? null : part.get(id);
  }

  private void put(int pid, Room room) {
    Object2ObjectOpenHashMap<String, Room> part = rooms.get(pid);
    if (part == null) {
      part = new Object2ObjectOpenHashMap<>(4);
      rooms.put(pid, part);
    }
    if (part.put(room.id(), room) == null) {
      hotCount++;
      node.metrics().roomsHot(1);
    }
  }

  private Room remove(int pid, String id) {
    Object2ObjectOpenHashMap<String, Room> part = rooms.get(pid);
    Room r = part == null ? null : part.remove(id);
    if (r != null) {
      hotCount--;
      node.metrics().roomsHot(-1);
      if (part.isEmpty()) {
        rooms.remove(pid);
      }
    }
    return r;
  }

  private RoomView view(Room r) {
    return new RoomView(r.data(), r.epoch(), 0, true, node.nodeId());
  }

  private static LiveroomException exists(String id) {
    return new LiveroomException(ErrorCode.BAD_REQUEST, 409, "room " + id + " already exists");
  }

  /** This node no longer owns the room; the edge re-resolves and retries. */
  private static final class Moved extends RuntimeException {
    Moved(String message) {
      super(message, null, false, false);
    }
  }
}
