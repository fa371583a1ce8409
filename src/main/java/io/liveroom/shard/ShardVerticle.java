package io.liveroom.shard;

import io.liveroom.NodeServices;
import io.liveroom.engine.EngineSettings;
import io.liveroom.engine.HistoryPage;
import io.liveroom.engine.Joined;
import io.liveroom.room.Member;
import io.liveroom.engine.RoomEngine;
import io.liveroom.engine.SendResult;
import io.liveroom.engine.SweepResult;
import io.liveroom.protocol.BusErrors;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.protocol.RoomCommand;
import io.liveroom.protocol.RoomView;
import io.liveroom.protocol.RtReply;
import io.liveroom.protocol.RtRequest;
import io.liveroom.room.Room;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import it.unimi.dsi.fastutil.objects.Object2ObjectOpenHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the hot rooms of the partitions that map to this instance ({@code pid mod instances}): the
 * event-bus adapter of a {@link RoomEngine}. Every command first checks that this node still owns
 * the room's partition (else {@code MOVED}); the operations of one room run one after another, so
 * concurrent first accesses to a cold room cause one Redis load and a create cannot race a
 * hydrate. Engine outcomes become bus replies, bundles published to edge nodes, and Redis writes
 * ({@link OwnerStore}). All room state is touched only on this verticle's event loop.
 */
public final class ShardVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ShardVerticle.class);
  private static final long DRAIN_ON_STOP_MS = 5000;

  private final NodeServices node;
  private final int instance;
  private final Ownership ownership;
  private final RoomEngine engine;
  /** The last pending operation of each room that has one. */
  private final Object2ObjectOpenHashMap<String, Future<?>> tails = new Object2ObjectOpenHashMap<>();
  private OwnerStore owner;
  private BundlePublisher publisher;
  private Thread loop;
  private long tickTimer = -1;
  private long expiryTimer = -1;
  private MessageConsumer<Object> commands;
  private MessageConsumer<JsonObject> presence;

  public ShardVerticle(NodeServices node, int instance) {
    this.node = node;
    this.instance = instance;
    this.ownership = node.ownership();
    this.engine = new RoomEngine(EngineSettings.of(node.config()), node.nodeId(), () -> node.words().filter());
  }

  @Override
  public Future<?> start() {
    loop = Thread.currentThread();
    owner = new OwnerStore(vertx, node, engine);
    owner.start();
    publisher = new BundlePublisher(vertx, node.metrics());
    String address = Addresses.shard(node.nodeId(), instance);
    commands = vertx.eventBus().consumer(address, this::onMessage);
    presence = vertx.eventBus().consumer(Addresses.shardPresence(address), this::onPresence);
    MessageConsumer<JsonObject> control = vertx.eventBus().localConsumer(Addresses.shardControl(instance),
        this::onControl);
    tickTimer = vertx.setPeriodic(node.config().rt().batchMs(), id -> {
      engine.tick(System.currentTimeMillis());
      publish();
    });
    expiryTimer = vertx.setPeriodic(node.config().rt().presenceRefreshMs(), id -> expire());
    return Future.all(commands.completion(), control.completion(), presence.completion());
  }

  @Override
  public Future<?> stop() {
    // no new commands (edges re-route them), then the last tick and the write-behind drain
    Future<Void> unregistered = commands == null ? Future.succeededFuture()
        : Future.join(commands.unregister(), presence.unregister()).mapEmpty();
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(expiryTimer);
    engine.tick(System.currentTimeMillis());
    publish();
    Future<Void> drained = owner.drain(System.currentTimeMillis() + DRAIN_ON_STOP_MS);
    return Future.all(unregistered.otherwiseEmpty(), drained).onComplete(ar -> node.metrics().roomsHot(-engine.clear()));
  }

  private void onMessage(Message<Object> msg) {
    Object body = msg.body();
    String roomId = body instanceof RoomCommand c ? c.roomId() : ((RtRequest) body).roomId();
    String op = body instanceof RoomCommand c ? c.op().name() : ((RtRequest) body).kind().name();
    int pid = ownership.partitionOf(roomId);
    boolean trusted = ownership.trusted();
    if (!trusted || !ownership.ownsLocally(pid)) {
      // not ours (migrated), or this node distrusts its partition table after a freeze
      dropPartition(pid, trusted ? "migrated" : "untrusted");
      node.metrics().shardCommand(op, "moved");
      msg.fail(ErrorCode.MOVED_BUS_CODE, "partition " + pid + " is not owned by " + node.nodeId());
      return;
    }
    Future<?> result = body instanceof RoomCommand cmd ? call(() -> command(pid, cmd))
        : call(() -> realtime(pid, (RtRequest) body));
    publish();
    result.onComplete(ar -> {
      publish();
      if (ar.succeeded()) {
        node.metrics().shardCommand(op, "ok");
        msg.reply(ar.result());
      } else if (ar.cause() instanceof Moved) {
        node.metrics().shardCommand(op, "moved");
        msg.fail(ErrorCode.MOVED_BUS_CODE, ar.cause().getMessage());
      } else {
        Throwable t = ar.cause();
        if (!(t instanceof LiveroomException)) {
          LOG.error("room {}: {} failed", roomId, op, t);
        }
        node.metrics().shardCommand(op, t instanceof LiveroomException e ? e.code().name() : "INTERNAL");
        BusErrors.fail(msg, t);
      }
    });
  }

  /**
   * An edge instance's member counts of all the rooms it has here (the presence refresh, batched
   * per owner). Hot rooms with nothing in flight take the count at once; the others go through
   * the room's serial chain like a single refresh. Replies with the rooms this node does not own
   * (moved meanwhile), which the edge refreshes one by one through the routing retries.
   */
  private void onPresence(Message<JsonObject> msg) {
    String edge = msg.body().getString("edge");
    JsonObject counts = msg.body().getJsonObject("rooms");
    JsonArray notHere = new JsonArray();
    long now = System.currentTimeMillis();
    for (String id : counts.fieldNames()) {
      int count = counts.getInteger(id);
      int pid = ownership.partitionOf(id);
      if (!ownership.ownsLocally(pid)) {
        notHere.add(id);
        continue;
      }
      Room hot = engine.find(pid, id);
      if (hot != null && hot.live() != null && !tails.containsKey(id)) {
        engine.members(hot, edge, count, now);
      } else if (hot != null || count > 0) {
        realtime(pid, RtRequest.refresh(id, edge, count))
            .onFailure(e -> LOG.debug("room {}: refresh failed: {}", id, e.toString()));
      }
    }
    msg.reply(notHere);
  }

  private Future<RoomView> command(int pid, RoomCommand cmd) {
    String id = cmd.roomId();
    return switch (cmd.op()) {
      case PEEK -> {
        Room r = engine.find(pid, id);
        yield Future.succeededFuture(r == null ? RoomView.cold(node.nodeId()) : engine.view(r));
      }
      case GET -> serial(id, () -> owner.load(pid, id).map(engine::view));
      case CREATE -> serial(id, () -> owner.create(pid, cmd));
      case UPDATE -> serial(id, () -> owner.mutate(pid, id,
          d -> node.rules().patch(d, cmd.fields(), System.currentTimeMillis())));
      case END -> serial(id, () -> owner.mutate(pid, id, d -> node.rules().end(d, System.currentTimeMillis())));
    };
  }

  private Future<RtReply> realtime(int pid, RtRequest r) {
    String id = r.roomId();
    Member m = new Member(r.userId(), r.userName(), r.role());
    return switch (r.kind()) {
      case SEND -> {
        Room hot = engine.find(pid, id);
        yield hot != null && hot.live() != null ? Future.succeededFuture(send(hot, m, r))
            : serial(id, () -> owner.loadLive(pid, id).map(room -> send(room, m, r)));
      }
      case JOIN -> serial(id, () -> owner.loadLive(pid, id).map(room -> {
        Joined j = engine.join(room, r.edge(), m, r.newMember(), r.hasSince(), r.sinceEpoch(), r.sinceSeq(),
            System.currentTimeMillis());
        return new RtReply(j.epoch(), j.seq(), engine.view(room), j.items(), j.recovered());
      }));
      case LEAVE -> {
        Room hot = engine.find(pid, id);
        if (hot != null) {
          engine.leave(hot, r.edge(), System.currentTimeMillis());
        }
        yield Future.succeededFuture(RtReply.position(0, 0));
      }
      case MODERATE -> serial(id, () -> owner.loadLive(pid, id).compose(room -> owner.moderate(pid, room,
              engine.moderation(room, m, r.text(), r.key(), r.sinceSeq(), r.progress(), r.mode(),
                  System.currentTimeMillis()))
          .map(v -> RtReply.position(room.live().epoch(), room.live().seq()))));
      case HISTORY -> serial(id, () -> owner.loadLive(pid, id).map(room -> {
        HistoryPage p = engine.history(room, r.hasSince(), r.sinceSeq(), r.count());
        return new RtReply(p.epoch(), p.seq(), null, p.items(), p.complete());
      }));
      case REFRESH -> engine.find(pid, id) == null && r.count() <= 0 ? Future.succeededFuture(RtReply.position(0, 0))
          : serial(id, () -> owner.loadLive(pid, id).map(room -> {
            engine.members(room, r.edge(), r.count(), System.currentTimeMillis());
            return RtReply.position(room.live().epoch(), room.live().seq());
          }));
    };
  }

  private RtReply send(Room room, Member m, RtRequest r) {
    SendResult s;
    try {
      s = engine.send(room, m, r.text(), r.color(), r.mode(), r.progress(), r.key(), System.currentTimeMillis());
    } catch (LiveroomException e) {
      if (e.code() == ErrorCode.UNAVAILABLE || e.code() == ErrorCode.RATE_LIMITED) {
        node.metrics().dropped(e.code() == ErrorCode.UNAVAILABLE ? "backlog" : "room_cap", 1);
      }
      throw e;
    }
    if (s.item() != null) {
      node.metrics().messageIn();
      owner.drainWrites();
    }
    return RtReply.position(s.epoch(), s.seq());
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
          dropPartition(pid, whyNotOwned());
        }
        msg.reply(null);
      }
      case "sweep" -> msg.reply(sweep(body.getLong("idleBefore"), body.getInteger("max"),
          body.getBoolean("newCycle", true)));
      case "stats" -> msg.reply(new JsonObject().put("rooms", engine.hotCount())
          .put("partitions", engine.partitionCount()));
      default -> msg.fail(ErrorCode.BAD_REQUEST.busCode(), "unknown control op");
    }
    publish();
  }

  /** One batch of a sweep cycle; the sweeper asks for the next batch right away, so commands interleave. */
  private JsonObject sweep(long idleBefore, int max, boolean newCycle) {
    boolean storeUp = node.health().redisUp();
    if (!storeUp && engine.hotCount() > 0) {
      node.metrics().sweepSkipped("redis_down"); // demote only what Redis holds completely
    }
    SweepResult r = engine.sweep(idleBefore, max, newCycle, tails::containsKey, storeUp);
    node.metrics().roomsHot(-r.demoted());
    node.metrics().roomsDropped("demoted", r.demoted());
    node.metrics().demotionsDeferred("busy", r.deferred());
    return new JsonObject().put("demoted", r.demoted()).put("more", r.more());
  }

  /** Ends empty rooms, drops partitions handed over, forgets edges that stopped refreshing. */
  private void expire() {
    long now = System.currentTimeMillis();
    for (Room room : engine.emptyTooLong(now)) {
      String id = room.id();
      serial(id, () -> owner.mutate(ownership.partitionOf(id), id, d -> node.rules().end(d, System.currentTimeMillis())))
          .onSuccess(v -> LOG.info("room {} ended: empty for {} s", id, room.emptyTimeoutSec()))
          .onFailure(e -> {
            LOG.warn("room {}: could not end it after its empty timeout: {}", id, e.getMessage());
            engine.watchEmpty(room); // try again at the next check
          })
          .onComplete(ar -> publish());
    }
    // a hand-over whose migration event found the table not yet updated is caught here
    for (int pid : engine.partitions()) {
      if (!ownership.ownsLocally(pid)) {
        dropPartition(pid, whyNotOwned());
      }
    }
    engine.expireEdges(now);
    publish();
  }

  /** The drop reason for a partition this node does not own: handed over, or the table is distrusted. */
  private String whyNotOwned() {
    return ownership.trusted() ? "migrated" : "untrusted";
  }

  private void dropPartition(int pid, String reason) {
    int n = engine.dropPartition(pid);
    if (n > 0) {
      node.metrics().roomsHot(-n);
      node.metrics().roomsDropped(reason, n);
      LOG.info("partition {} left node {}: dropped {} hot rooms", pid, node.nodeId(), n);
    }
  }

  private void publish() {
    publisher.publish(engine.drainFanout());
  }
}
