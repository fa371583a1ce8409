package io.liveroom.shard;

import io.liveroom.cluster.Ownership;
import io.liveroom.node.NodeServices;
import io.liveroom.engine.ModerationChange;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.engine.Appends;
import io.liveroom.engine.RoomEngine;
import io.liveroom.engine.SendResult;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.RoomView;
import io.liveroom.room.Danmaku;
import io.liveroom.room.Room;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomModeration;
import io.liveroom.room.RoomState;
import io.liveroom.room.StoredKey;
import io.liveroom.store.HistoryStore;
import io.liveroom.store.ModerationStore;
import io.liveroom.store.RoomStore;
import io.liveroom.webhook.Webhooks;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The owner's Redis paths around the {@link RoomEngine}: loading a room with a new epoch, giving
 * it real-time state, create, write-through changes and moderation, and the appends that make a
 * send durable before it is acknowledged. Every write is fenced by epoch: a stale owner drops the
 * room and answers MOVED. Runs on the shard's event loop.
 */
final class OwnerStore {
  private static final Logger LOG = LoggerFactory.getLogger(OwnerStore.class);
  private static final int AUDIT_CAP = 1000;
  /** Items per append round trip at most, and round trips in flight at most (pipelined, in order). */
  private static final int APPEND_BATCH = 1024;
  private static final int BATCHES_IN_FLIGHT = 4;

  private final Vertx vertx;
  private final NodeServices node;
  private final RoomEngine engine;
  private final RoomStore store;
  private final Ownership ownership;
  private RoomStore.Appender appender;
  private RoomStore.Creator creator;
  /** The acknowledgement of each item whose append is queued or in flight. */
  private final IdentityHashMap<Danmaku, Promise<Void>> acks = new IdentityHashMap<>();
  private boolean flushQueued;
  private int batchesInFlight;

  OwnerStore(Vertx vertx, NodeServices node, RoomEngine engine) {
    this.vertx = vertx;
    this.node = node;
    this.engine = engine;
    this.store = node.store();
    this.ownership = node.ownership();
  }

  void start() {
    appender = store.appender();
    creator = store.creator();
  }

  /** The hot room, or loads it from Redis with a new epoch. Runs inside the room's serial chain. */
  Future<Room> load(int pid, String id) {
    Room hot = engine.find(pid, id);
    if (hot != null) {
      hot.touch(System.currentTimeMillis());
      return Future.succeededFuture(hot);
    }
    if (!ownership.ownsLocally(pid)) {
      // a load takes a new epoch, which would fence out the real owner
      return Future.failedFuture(new Moved("partition " + pid + " is not owned here"));
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
      put(pid, room, h.pinned());
      return Future.succeededFuture(room);
    }, e -> {
      node.metrics().hydration("error");
      return Future.failedFuture(e);
    });
  }

  /**
   * The room loaded and with real-time state: its moderation state and idempotency keys (both
   * required) and recent history (if Redis answers).
   */
  Future<Room> loadLive(int pid, String id) {
    return load(pid, id).compose(room -> room.live() != null ? Future.succeededFuture(room) : makeLive(pid, room));
  }

  /**
   * {@link #loadLive}, except that a room whose append failed ({@link io.liveroom.room.RoomLive#broken})
   * is loaded again with a new epoch, since Redis may hold part of what failed. Until that load
   * succeeds the broken copy stays, for reads.
   */
  Future<Room> loadForSend(int pid, String id) {
    Room hot = engine.find(pid, id);
    if (hot == null || hot.live() == null || !hot.live().broken()) {
      return loadLive(pid, id);
    }
    return store.hydrate(id).compose(h -> {
      if (engine.find(pid, id) != hot) {
        return loadLive(pid, id); // replaced or dropped meanwhile
      }
      if (h == null) {
        remove(pid, id, null);
        return Future.failedFuture(new LiveroomException(ErrorCode.NOT_FOUND, "no room " + id));
      }
      engine.remove(pid, id);
      node.metrics().roomsDropped("write_uncertain", 1);
      engine.put(pid, new Room(h.data(), h.epoch(), System.currentTimeMillis()), h.pinned());
      return loadLive(pid, id);
    });
  }

  private Future<Room> makeLive(int pid, Room room) {
    Future<RoomModeration> moderation = store.moderation(room.id()).map(RoomModeration::of);
    Future<List<Danmaku>> recent = store.recentHistory(room.id(), node.config().rt().historySize()).recover(e -> {
      LOG.warn("room {}: history not loaded ({}); starting with an empty one", room.id(), e.getMessage());
      return Future.succeededFuture(List.of());
    });
    Future<List<StoredKey>> keys = store.idempotencyKeys(room.id());
    return Future.all(moderation, recent, keys).compose(all -> {
      if (engine.find(pid, room.id()) != room) {
        // dropped (partition handed over, or fenced) while history loaded
        return Future.failedFuture(new Moved("room " + room.id() + " left this node while loading"));
      }
      engine.makeLive(room, moderation.result(), recent.result(), keys.result(), System.currentTimeMillis());
      return Future.succeededFuture(room);
    });
  }

  Future<RoomView> create(int pid, ShardCommand.Create cmd) {
    String id = cmd.roomId();
    if (engine.find(pid, id) != null) {
      return Future.failedFuture(exists(id));
    }
    long now = System.currentTimeMillis();
    RoomData data = node.rules().create(id, cmd.fields(), now);
    return creator.create(data).compose(created -> {
      if (!created) {
        return Future.failedFuture(exists(id));
      }
      Room room = new Room(data, 1, now);
      node.webhooks().emit(Webhooks.ROOM_CREATED, id, Pushes.roomObject(new RoomView(data, 1, 0, 0, true, node.nodeId())));
      if (ownership.ownsLocally(pid)) {
        put(pid, room, null);
        return Future.succeededFuture(engine.view(room));
      }
      // the partition moved away while we wrote: the room is durable; its new owner loads it
      return Future.succeededFuture(new RoomView(data, 1, 0, 0, false, node.nodeId()));
    });
  }

  /** Writes a change of the room's data through to Redis (fenced), then applies and announces it. */
  Future<RoomView> mutate(int pid, String id, UnaryOperator<RoomData> change) {
    return load(pid, id).compose(room -> {
      RoomData before = room.data();
      RoomData after = change.apply(before);
      if (after.equals(before)) {
        return Future.succeededFuture(engine.view(room));
      }
      return store.write(after, before.state(), room.epoch(), node.config().sweeper().retentionMs()).recover(e -> {
        // a timed-out write may have been applied: reload from Redis on the next use (a refused
        // connection applied nothing, and the hot copy keeps serving reads while Redis is away)
        if (e.getCause() instanceof TimeoutException && remove(pid, id, "write_uncertain") != null) {
          LOG.debug("room {}: dropped after an uncertain write", id);
        }
        return Future.failedFuture(e);
      }).compose(w -> fenced(w, pid, room).map(v -> {
        engine.committed(room, after, System.currentTimeMillis());
        if (after.state() != before.state() && (after.state() == RoomState.LIVE || after.state() == RoomState.ENDED)) {
          node.webhooks().emit(after.state() == RoomState.LIVE ? Webhooks.ROOM_LIVE : Webhooks.ROOM_ENDED, id,
              Pushes.roomObject(engine.view(room)));
        }
        return engine.view(room);
      }));
    });
  }

  /** The item {@code (epoch, seq)} from the room's history stream or replay archive in Redis, or null. */
  Future<Danmaku> findItem(String roomId, long epoch, long seq) {
    return store.findItem(roomId, epoch, seq, node.config().rt().historySize());
  }

  /**
   * Writes a checked moderation change (with its audit entry, and the room's pinned item when it
   * changes) through to Redis, then applies it.
   */
  Future<Void> moderate(int pid, Room room, ModerationChange c) {
    Future<?> settings = c.patch() == null ? Future.succeededFuture()
        : mutate(pid, room.id(), d -> node.rules().patch(d, c.patch(), System.currentTimeMillis()));
    JsonObject audit = new JsonObject(c.audit());
    ModerationStore.Change change = new ModerationStore.Change(c.op(), c.field(), c.value(), c.removed(),
        c.pin() ? c.item() : null, c.unpin());
    return settings.compose(v -> store.moderate(room.id(), room.epoch(), change, audit, AUDIT_CAP))
        .compose(w -> fenced(w, pid, room))
        .map(v -> {
          engine.moderated(room, c, System.currentTimeMillis());
          node.webhooks().emit(Webhooks.MODERATION, room.id(), audit);
          return null;
        });
  }

  /** OK passes; STALE (another owner took a newer epoch) drops this copy and answers MOVED; MISSING is NOT_FOUND. */
  private Future<Void> fenced(RoomStore.WriteResult w, int pid, Room room) {
    return switch (w) {
      case OK -> Future.succeededFuture();
      case STALE -> {
        remove(pid, room.id(), "stale");
        LOG.warn("room {}: write with epoch {} rejected as stale, dropped from node {}", room.id(), room.epoch(),
            node.nodeId());
        yield Future.failedFuture(new Moved("room " + room.id() + " has a newer owner"));
      }
      case MISSING -> {
        remove(pid, room.id(), null);
        yield Future.failedFuture(new LiveroomException(ErrorCode.NOT_FOUND, "no room " + room.id()));
      }
    };
  }

  void put(int pid, Room room, Danmaku pinned) {
    if (engine.put(pid, room, pinned)) {
      node.metrics().roomsHot(1);
    }
  }

  /** Takes a room out of memory; {@code reason} labels the drop meter (null: not counted as a drop). */
  Room remove(int pid, String id, String reason) {
    Room r = engine.remove(pid, id);
    if (r != null) {
      node.metrics().roomsHot(-1);
      if (reason != null) {
        node.metrics().roomsDropped(reason, 1);
      }
    }
    return r;
  }

  /**
   * A send the engine accepted, acknowledged once stored: its own append, or for a repeated
   * idempotency key the first send's append when that is still in flight.
   */
  Future<Void> stored(SendResult s) {
    if (s.item() != null) {
      Promise<Void> ack = Promise.promise();
      acks.put(s.item(), ack);
      queueFlush();
      return ack.future();
    }
    Promise<Void> first = s.inFlight() == null ? null : acks.get(s.inFlight());
    return first == null ? Future.succeededFuture() : first.future();
  }

  /** The queued appends go out after the sends of this event-loop turn have joined them: one round trip for all. */
  private void queueFlush() {
    if (!flushQueued && batchesInFlight < BATCHES_IN_FLIGHT) {
      flushQueued = true;
      vertx.runOnContext(v -> flush());
    }
  }

  private void flush() {
    flushQueued = false;
    Appends appends = engine.appends();
    if (appends.isEmpty() || batchesInFlight >= BATCHES_IN_FLIGHT) {
      return;
    }
    List<Room> rooms = new ArrayList<>();
    List<HistoryStore.RoomAppends> batch = new ArrayList<>();
    engine.appends().take(APPEND_BATCH).forEach((room, items) -> {
      List<Danmaku> ds = new ArrayList<>(items.size());
      List<String> keys = new ArrayList<>(items.size());
      items.forEach(a -> {
        ds.add(a.item());
        keys.add(a.key());
      });
      if (engine.find(ownership.partitionOf(room.id()), room.id()) != room || room.live().broken()) {
        settle(room, ds, null, null); // dropped or broken since: these are not stored by this owner
        return;
      }
      rooms.add(room);
      batch.add(new HistoryStore.RoomAppends(room.id(), room.epoch(), ds, keys));
    });
    if (!batch.isEmpty()) {
      batchesInFlight++;
      LiveroomConfig cfg = node.config();
      appender.append(batch, cfg.rt().historySize(), cfg.replay().maxItems(), cfg.rt().idempotencyTtlMs(),
          cfg.rt().maxKeysPerRoom(), System.currentTimeMillis()).onComplete(ar -> {
            batchesInFlight--;
            for (int i = 0; i < rooms.size(); i++) {
              settle(rooms.get(i), batch.get(i).items(), ar.succeeded() ? ar.result().get(i) : null, ar.cause());
            }
            queueFlush();
          });
    }
    if (!appends.isEmpty()) {
      queueFlush(); // pipelined behind this batch
    }
  }

  /**
   * One room's part of a batch came back: stored items are acknowledged and join history. A
   * refusal (a newer owner: MOVED, the edge re-routes; the room is gone: NOT_FOUND) drops the room
   * here. A failure (UNAVAILABLE: the items may or may not be in Redis) fails every item of the
   * room not yet stored, and its next send loads it again with a new epoch.
   */
  private void settle(Room room, List<Danmaku> items, RoomStore.WriteResult w, Throwable cause) {
    int pid = ownership.partitionOf(room.id());
    if (w == RoomStore.WriteResult.OK) {
      // in Redis: acknowledged, and pushed by this owner if it still serves the room (else members
      // find the items in history when they follow the room to its next owner)
      if (!engine.stored(pid, room, items) && engine.find(pid, room.id()) == room) {
        // stored out of seq order (never expected: batches are pipelined in order): this epoch's
        // history here no longer matches Redis, so the room goes on in a new one
        LOG.warn("room {}: items stored out of order; its next send loads it again", room.id());
        engine.notStored(pid, room, false);
      }
      for (Danmaku d : items) {
        node.metrics().historyWrite("ok");
        complete(d, null);
      }
      return;
    }
    boolean refused = w == RoomStore.WriteResult.STALE || w == RoomStore.WriteResult.MISSING;
    if (engine.notStored(pid, room, refused)) {
      node.metrics().roomsHot(-1);
      node.metrics().roomsDropped(w == RoomStore.WriteResult.STALE ? "stale" : "missing", 1);
      LOG.warn("room {}: append refused ({}), dropped from node {}", room.id(), w, node.nodeId());
    } else if (!refused) {
      LOG.warn("room {}: append failed ({}); its senders get UNAVAILABLE and its next send loads it again",
          room.id(), cause == null ? "dropped meanwhile" : cause.getCause() != null ? cause.getCause().toString()
              : cause.toString());
    }
    Throwable failure = w == RoomStore.WriteResult.STALE ? new Moved("room " + room.id() + " has a newer owner")
        : w == RoomStore.WriteResult.MISSING ? new LiveroomException(ErrorCode.NOT_FOUND, "no room " + room.id())
        : cause instanceof LiveroomException e ? e
        : new LiveroomException(ErrorCode.UNAVAILABLE, "room " + room.id() + " is being reloaded; retry");
    for (Danmaku d : items) {
      node.metrics().historyWrite("error");
      complete(d, failure);
    }
  }

  private void complete(Danmaku d, Throwable failure) {
    Promise<Void> ack = acks.remove(d);
    if (ack != null) {
      if (failure == null) {
        ack.complete();
      } else {
        ack.fail(failure);
      }
    }
  }

  /** At stop: queued and in-flight appends get a bounded time to be stored; what is left fails. */
  Future<Void> drain(long deadline) {
    Promise<Void> done = Promise.promise();
    awaitDrain(done, deadline);
    return done.future().onComplete(v -> {
      if (!acks.isEmpty()) {
        LOG.warn("node {}: {} sends not stored at stop; their senders get UNAVAILABLE", node.nodeId(), acks.size());
        LiveroomException e = new LiveroomException(ErrorCode.UNAVAILABLE, "the node stopped; retry");
        new ArrayList<>(acks.keySet()).forEach(d -> complete(d, e));
      }
      appender.close();
      creator.close();
    });
  }

  private void awaitDrain(Promise<Void> done, long deadline) {
    if (engine.appends().isEmpty() && batchesInFlight == 0 || System.currentTimeMillis() > deadline) {
      done.tryComplete();
      return;
    }
    queueFlush();
    vertx.setTimer(20, id -> awaitDrain(done, deadline));
  }

  private static LiveroomException exists(String id) {
    return new LiveroomException(ErrorCode.BAD_REQUEST, 409, "room " + id + " already exists");
  }
}
