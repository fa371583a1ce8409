package io.liveroom.shard;

import io.liveroom.cluster.Ownership;
import io.liveroom.protocol.Addresses;
import io.liveroom.node.NodeServices;
import io.liveroom.engine.EngineSettings;
import io.liveroom.engine.RoomEngine;
import io.liveroom.engine.SweepResult;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardControl;
import io.liveroom.protocol.ShardReply;
import io.liveroom.protocol.ShardReply.Refused;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Room;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the hot rooms of the partitions that map to this instance ({@code pid mod instances}): the
 * event-bus adapter of a {@link RoomEngine}. Every command first checks that this node still owns
 * the room's partition (else {@code MOVED}); {@link RoomCommands} runs the operations of one room
 * one after another, so concurrent first accesses to a cold room cause one Redis load and a
 * create cannot race a hydrate. Engine outcomes become bus replies (a send's once it is stored),
 * bundles published to edge nodes at each tick, and Redis writes ({@link OwnerStore}). All room state is touched only on
 * this verticle's event loop.
 */
public final class ShardVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ShardVerticle.class);
  private static final long DRAIN_ON_STOP_MS = 5000;
  private static final long OVER_CAP_WARN_MS = 60_000;

  private final NodeServices node;
  private final int instance;
  private final Ownership ownership;
  private final RoomEngine engine;
  private OwnerStore owner;
  private RoomCommands commands;
  private BundlePublisher publisher;
  private long tickTimer = -1;
  private long expiryTimer = -1;
  private int keptOverCap;
  private long overCapWarnedAt = Long.MIN_VALUE / 2;
  private final List<MessageConsumer<?>> clustered = new ArrayList<>();

  public ShardVerticle(NodeServices node, int instance) {
    this.node = node;
    this.instance = instance;
    this.ownership = node.ownership();
    this.engine = new RoomEngine(EngineSettings.of(node.config()), node.nodeId(), () -> node.words().filter());
  }

  @Override
  public Future<?> start() {
    owner = new OwnerStore(vertx, node, engine);
    owner.start();
    commands = new RoomCommands(node, engine, owner);
    publisher = new BundlePublisher(vertx, node.metrics());
    String address = Addresses.shard(node.nodeId(), instance);
    clustered.add(vertx.eventBus().<ShardCommand<?>>consumer(address, this::onCommand));
    clustered.add(vertx.eventBus().<ShardControl.PresenceReport>consumer(Addresses.shardPresence(address),
        this::onPresence));
    MessageConsumer<ShardControl.Drop> drop = vertx.eventBus().localConsumer(Addresses.shardDrop(instance), m -> {
      if (!ownership.ownsLocally(m.body().partition())) {
        dropPartition(m.body().partition(), whyNotOwned());
      }
      publish();
      m.reply(null);
    });
    MessageConsumer<ShardControl.Sweep> sweep = vertx.eventBus().localConsumer(Addresses.shardSweep(instance),
        m -> m.reply(sweep(m.body())));
    tickTimer = vertx.setPeriodic(node.config().rt().batchMs(), id -> {
      engine.tick(System.currentTimeMillis());
      publish();
    });
    expiryTimer = vertx.setPeriodic(node.config().rt().presenceRefreshMs(), id -> expire());
    return Future.all(clustered.get(0).completion(), clustered.get(1).completion(), drop.completion(),
        sweep.completion());
  }

  @Override
  public Future<?> stop() {
    // no new commands (edges re-route them), then the last tick and the appends still waiting
    List<Future<Void>> unregistered = new ArrayList<>();
    clustered.forEach(c -> unregistered.add(c.unregister()));
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(expiryTimer);
    engine.tick(System.currentTimeMillis());
    publish();
    // sends still waiting for Redis get a bounded time to be stored; what they bring goes out too
    Future<Void> drained = owner.drain(System.currentTimeMillis() + DRAIN_ON_STOP_MS).onComplete(ar -> {
      engine.tick(System.currentTimeMillis());
      publish();
    });
    return Future.all(Future.join(unregistered).otherwiseEmpty(), drained)
        .onComplete(ar -> {
          node.metrics().roomsHot(-engine.clear());
          overCap(0);
        });
  }

  private void onCommand(Message<ShardCommand<?>> msg) {
    ShardCommand<?> cmd = msg.body();
    String op = cmd.op();
    int pid = ownership.partitionOf(cmd.roomId());
    boolean trusted = ownership.trusted();
    if (!trusted || !ownership.ownsLocally(pid)) {
      // not ours (migrated), or this node distrusts its partition table after a freeze
      dropPartition(pid, trusted ? "migrated" : "untrusted");
      node.metrics().shardCommand(op, "moved");
      msg.reply(Refused.moved("partition " + pid + " is not owned by " + node.nodeId()));
      return;
    }
    Future<? extends ShardReply> result = RoomCommands.call(() -> cmd.dispatch(commands));
    publish();
    result.onComplete(ar -> {
      publish();
      ShardReply reply = ar.succeeded() ? ar.result() : refusal(cmd, ar.cause());
      node.metrics().shardCommand(op, reply instanceof Refused r ? r.code() == ErrorCode.MOVED ? "moved"
          : r.code().name() : "ok");
      msg.reply(reply);
    });
  }

  /** A failed command's answer: MOVED, the refusal's code and retry-after, or INTERNAL (logged) for a bug. */
  private static Refused refusal(ShardCommand<?> cmd, Throwable t) {
    if (t instanceof Moved) {
      return Refused.moved(t.getMessage());
    }
    if (t instanceof LiveroomException e) {
      return Refused.of(e);
    }
    LOG.error("room {}: {} failed", cmd.roomId(), cmd.op(), t);
    return new Refused(ErrorCode.INTERNAL, ErrorCode.INTERNAL.httpStatus(), "internal error", -1);
  }

  /**
   * An edge instance's summary of all the rooms it has here (the presence refresh, batched per
   * owner). A hot room whose copy of the edge matches is only touched. The owner asks for the full
   * list of every other room the edge reports, which the edge sends through the routing retries
   * ({@code Refresh}): rooms not owned here (moved meanwhile), rooms this owner does not hold live
   * (a new owner after a failover or migration), and rooms whose copy differs (a join or leave
   * lost on the way).
   */
  private void onPresence(Message<ShardControl.PresenceReport> msg) {
    String edge = msg.body().edge();
    List<String> full = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (Map.Entry<String, EdgeUsers.Summary> e : msg.body().rooms().entrySet()) {
      String id = e.getKey();
      EdgeUsers.Summary summary = e.getValue();
      int pid = ownership.partitionOf(id);
      if (!ownership.ownsLocally(pid)) {
        full.add(id);
        node.metrics().presenceFullRefresh("not_owned");
        continue;
      }
      Room hot = engine.find(pid, id);
      if (hot != null && hot.live() != null) {
        if (!engine.presence(hot, edge, summary, now)) {
          full.add(id);
          node.metrics().presenceFullRefresh("differs");
        }
      } else if (summary.connections() > 0) {
        full.add(id);
        node.metrics().presenceFullRefresh("not_live");
      }
    }
    msg.reply(new ShardControl.FullRefresh(full));
  }

  /** One batch of a sweep cycle; the sweeper asks for the next batch right away, so commands interleave. */
  private ShardControl.Swept sweep(ShardControl.Sweep s) {
    boolean storeUp = node.health().redisUp();
    if (!storeUp && engine.hotCount() > 0) {
      node.metrics().sweepSkipped("redis_down"); // demote only what Redis holds completely
    }
    SweepResult r = engine.sweep(s.idleBefore(), s.max(), s.newCycle(), commands::busy, storeUp,
        System.currentTimeMillis());
    node.metrics().roomsHot(-r.demoted());
    node.metrics().roomsDropped("demoted", r.demoted());
    node.metrics().demotions("idle", r.idle());
    node.metrics().demotions("cap", r.capped());
    node.metrics().demotionsDeferred("busy", r.deferred());
    if (s.newCycle()) {
      overCap(engine.keptOverCap());
    }
    publish();
    return new ShardControl.Swept(r.demoted(), r.more());
  }

  /**
   * The cycle's plan found {@code kept} rooms over the cap it could not demote: the gauge follows,
   * and a warning is logged at most once a minute while it lasts.
   */
  private void overCap(int kept) {
    node.metrics().roomsOverCap(kept - keptOverCap);
    keptOverCap = kept;
    long now = System.currentTimeMillis();
    if (kept > 0 && now - overCapWarnedAt >= OVER_CAP_WARN_MS) {
      overCapWarnedAt = now;
      int share = node.config().sweeper().maxHotRoomsPerInstance(node.config().shard().instances());
      LOG.warn("node {} shard {}: {} hot rooms, over its share {} of sweeper.maxHotRooms; {} of them cannot be "
          + "demoted (members or work in flight); new rooms still load (docs/operations.md, \"Hot rooms and the cap\")",
          node.nodeId(), instance, engine.hotCount(), share, kept);
    }
  }

  /** Ends empty rooms, drops partitions handed over, forgets edges that stopped refreshing. */
  private void expire() {
    long now = System.currentTimeMillis();
    for (Room room : engine.emptyTooLong(now)) {
      commands.endEmpty(room)
          .onSuccess(v -> LOG.info("room {} ended: empty for {} s", room.id(), room.emptyTimeoutSec()))
          .onFailure(e -> {
            LOG.warn("room {}: could not end it after its empty timeout: {}", room.id(), e.getMessage());
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
