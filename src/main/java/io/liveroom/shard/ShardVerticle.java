package io.liveroom.shard;

import io.liveroom.NodeServices;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.protocol.Bundle;
import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.RtReply;
import io.liveroom.protocol.RtRequest;
import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomLive;
import io.liveroom.room.RoomModeration;
import io.liveroom.room.RoomState;
import io.liveroom.room.RoomTable;
import io.liveroom.webhook.Webhooks;
import it.unimi.dsi.fastutil.objects.ObjectOpenHashSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
  private static final int WRITE_BEHIND_MAX = 50_000;
  private static final int WRITES_IN_FLIGHT = 128;
  private static final long WRITE_RETRY_MS = 500;
  private static final long PRESENCE_MIN_INTERVAL_MS = 1000;
  private static final long DRAIN_ON_STOP_MS = 5000;
  private static final int AUDIT_CAP = 1000;

  private final NodeServices node;
  private final int instance;
  private final Ownership ownership;
  private final RoomStore store;
  private final LiveroomConfig.Rt rt;
  /** Hot rooms by partition, so a partition handed over is dropped in one step. */
  private final RoomTable rooms = new RoomTable();
  /** The last pending operation of each room that has one. */
  private final Object2ObjectOpenHashMap<String, Future<?>> tails = new Object2ObjectOpenHashMap<>();
  /** Rooms with items or a presence change to push at the next tick. */
  private final ObjectOpenHashSet<Room> dirty = new ObjectOpenHashSet<>();
  /** Live rooms with an {@code emptyTimeoutSec}: ended by their owner once empty that long. */
  private final ObjectOpenHashSet<Room> timed = new ObjectOpenHashSet<>();
  /** Rooms with real-time state, for the expiry of edges that stopped refreshing. */
  private final ObjectOpenHashSet<Room> live = new ObjectOpenHashSet<>();
  /** History items waiting to be written behind to Redis, bounded by {@code rt.writeBehindMax}. */
  private final ArrayDeque<Object[]> writeBehind = new ArrayDeque<>();
  private int writesInFlight;
  private boolean writeBackoff;
  private int hotCount;
  private int sweepCursor;
  /** The current sweep cycle: rooms to visit at most (the hot count when it began) and visited so far. */
  private int cycleBudget;
  private int cycleVisited;
  private Thread loop;
  private long tickTimer = -1;
  private MessageConsumer<Object> commands;
  private MessageConsumer<JsonObject> presence;
  private RoomStore.HistoryWriter history;
  private long expiryTimer = -1;
  private long backoffTimer = -1;

  public ShardVerticle(NodeServices node, int instance) {
    this.node = node;
    this.instance = instance;
    this.ownership = node.ownership();
    this.store = node.store();
    this.rt = node.config().rt();
  }

  @Override
  public Future<?> start() {
    loop = Thread.currentThread();
    history = store.historyWriter();
    commands = vertx.eventBus().consumer(Addresses.shard(node.nodeId(), instance), this::onMessage);
    tickTimer = vertx.setPeriodic(rt.batchMs(), id -> tick());
    expiryTimer = vertx.setPeriodic(rt.presenceRefreshMs(), id -> expireEdges());
    MessageConsumer<JsonObject> control = vertx.eventBus()
        .localConsumer(Addresses.shardControl(instance), this::onControl);
    presence = vertx.eventBus().consumer(Addresses.shardPresence(Addresses.shard(node.nodeId(), instance)),
        this::onPresence);
    return Future.all(commands.completion(), control.completion(), presence.completion());
  }

  @Override
  public Future<?> stop() {
    // no new commands (edges re-route them), then the last tick and the write-behind drain
    Future<Void> unregistered = commands == null ? Future.succeededFuture()
        : Future.join(commands.unregister(), presence.unregister()).mapEmpty();
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(expiryTimer);
    vertx.cancelTimer(backoffTimer);
    tick();
    // acknowledged items still queued for Redis: give them a bounded time to get there
    writeBackoff = false;
    drainWrites();
    Promise<Void> drained = Promise.promise();
    awaitDrain(drained, System.currentTimeMillis() + DRAIN_ON_STOP_MS);
    return Future.all(unregistered.otherwiseEmpty(), drained.future()).onComplete(ar -> {
      if (!writeBehind.isEmpty()) {
        LOG.warn("node {}: {} history items not written to Redis at stop", node.nodeId(), writeBehind.size());
      }
      node.metrics().roomsHot(-hotCount);
      hotCount = 0;
      rooms.clear();
      history.close();
    });
  }

  private void awaitDrain(Promise<Void> done, long deadline) {
    if (writeBehind.isEmpty() && writesInFlight == 0 || System.currentTimeMillis() > deadline) {
      done.tryComplete();
      return;
    }
    if (!writeBackoff) {
      drainWrites();
    }
    vertx.setTimer(20, id -> awaitDrain(done, deadline));
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
    Future<?> result;
    try {
      result = body instanceof RoomCommand cmd ? command(pid, cmd) : realtime(pid, (RtRequest) body);
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
      Room hot = find(pid, id);
      if (hot != null && hot.live() != null && (tails.isEmpty() || !tails.containsKey(id))) {
        hot.touch(now);
        int before = hot.live().online();
        hot.live().setMembers(edge, count, now);
        if (hot.live().online() != before) {
          dirty.add(hot);
        }
      } else if (hot != null || count > 0) {
        realtime(pid, RtRequest.refresh(id, edge, count)).onFailure(e -> LOG.debug("room {}: refresh failed: {}", id,
            e.toString()));
      }
    }
    msg.reply(notHere);
  }

  private Future<RoomView> command(int pid, RoomCommand cmd) {
    return switch (cmd.op()) {
      case PEEK -> Future.succeededFuture(peek(pid, cmd.roomId()));
      case GET -> get(pid, cmd.roomId());
      case CREATE -> serial(cmd.roomId(), () -> create(pid, cmd));
      case UPDATE -> serial(cmd.roomId(), () -> mutate(pid, cmd.roomId(),
          d -> node.rules().patch(d, cmd.fields(), System.currentTimeMillis())));
      case END -> serial(cmd.roomId(), () -> mutate(pid, cmd.roomId(),
          d -> node.rules().end(d, System.currentTimeMillis())));
    };
  }

  private Future<RtReply> realtime(int pid, RtRequest r) {
    String id = r.roomId();
    return switch (r.kind()) {
      case SEND -> {
        Room hot = find(pid, id);
        yield hot != null && hot.live() != null
            ? Future.succeededFuture(sequence(hot, r))
            : serial(id, () -> load(pid, id).compose(room -> ensureLive(pid, room)).map(room -> sequence(room, r)));
      }
      case JOIN -> serial(id, () -> load(pid, id).compose(room -> ensureLive(pid, room)).map(room -> join(room, r)));
      case LEAVE -> {
        Room hot = find(pid, id);
        if (hot != null && hot.live() != null) {
          hot.live().memberDelta(r.edge(), -1, System.currentTimeMillis());
          dirty.add(hot);
        }
        yield Future.succeededFuture(RtReply.position(0, 0));
      }
      case MODERATE -> serial(id, () -> load(pid, id).compose(room -> ensureLive(pid, room))
          .compose(room -> moderate(pid, room, r)));
      case HISTORY -> serial(id, () -> load(pid, id).compose(room -> ensureLive(pid, room)).map(room -> {
        RoomLive l = room.live();
        RoomLive.Recovery rec = r.hasSince()
            ? l.recover(true, l.epoch(), r.sinceSeq(), r.count())
            : l.recover(false, 0, 0, r.count());
        List<Danmaku> items = rec.items();
        boolean complete = rec.recovered() && items.size() <= r.count();
        if (items.size() > r.count()) {
          items = new ArrayList<>(items.subList(0, r.count()));
        }
        return new RtReply(l.epoch(), l.seq(), null, items, complete);
      }));
      case REFRESH -> {
        Room hot = find(pid, id);
        if (hot == null && r.count() <= 0) {
          yield Future.succeededFuture(RtReply.position(0, 0));
        }
        yield serial(id, () -> load(pid, id).compose(room -> ensureLive(pid, room)).map(room -> {
          int before = room.live().online();
          room.live().setMembers(r.edge(), r.count(), System.currentTimeMillis());
          if (room.live().online() != before) {
            dirty.add(room);
          }
          return RtReply.position(room.live().epoch(), room.live().seq());
        }));
      }
    };
  }

  /**
   * A moderation action: only the room's owner, a host, a moderator or an admin may act. The
   * change and its audit entry are written to Redis (fenced by epoch) before they apply here and
   * before the actor hears back; members get a {@code moderation} push, kicked or banned users a
   * {@code kicked} push, and they leave the room.
   */
  private Future<RtReply> moderate(int pid, Room room, RtRequest r) {
    String actor = r.userId();
    String role = r.role();
    if (!(room.ownedBy(actor) || "host".equals(role) || "moderator".equals(role) || "admin".equals(role))) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "only a moderator, the host or an admin may moderate room "
          + r.roomId());
    }
    String action = r.text();
    String user = r.key();
    long seq = r.sinceSeq();
    long duration = r.progress();
    long now = System.currentTimeMillis();
    RoomLive l = room.live();
    String op = "set";
    String field;
    String value = "1";
    switch (action) {
      case "mute" -> {
        field = "mu:" + requireUser(user, action);
        value = duration <= 0 ? "0" : Long.toString(now + duration * 1000);
      }
      case "unmute" -> {
        field = "mu:" + requireUser(user, action);
        op = "del";
      }
      case "ban" -> field = "ba:" + requireUser(user, action);
      case "unban" -> {
        field = "ba:" + requireUser(user, action);
        op = "del";
      }
      case "kick" -> {
        requireUser(user, action);
        field = null;
        op = "none";
      }
      case "muteall" -> field = "ma";
      case "unmuteall" -> {
        field = "ma";
        op = "del";
      }
      case "delete" -> {
        if (seq < 0 || l.find(seq) == null) {
          throw LiveroomException.badRequest("delete needs the seq of an item in the room's history");
        }
        field = "de:" + l.epoch() + ":" + seq;
      }
      case "pin" -> {
        if (seq < 0 || l.find(seq) == null) {
          throw LiveroomException.badRequest("pin needs the seq of an item in the room's history");
        }
        field = "pin";
        value = Long.toString(seq);
      }
      case "unpin" -> {
        field = "pin";
        op = "del";
      }
      case "slowmode" -> {
        if (duration < 0 || duration > node.config().rooms().limits().maxSlowModeSec()) {
          throw LiveroomException.badRequest("slowmode needs durationSec between 0 and "
              + node.config().rooms().limits().maxSlowModeSec());
        }
        field = null;
        op = "none";
      }
      default -> throw LiveroomException.badRequest("unknown moderation action '" + action + "'");
    }
    JsonObject audit = new JsonObject().put("ts", now).put("by", actor).put("action", action);
    if (user != null) {
      audit.put("user", user);
    }
    if (seq >= 0) {
      audit.put("seq", seq);
    }
    if (duration >= 0) {
      audit.put("durationSec", duration);
    }
    if (r.mode() != null) {
      audit.put("reason", r.mode());
    }
    Future<Void> slowMode = action.equals("slowmode")
        ? mutate(pid, r.roomId(), d -> node.rules().patch(d,
            new io.liveroom.room.RoomFields(null, null, null, null, (int) duration, null, null), now)).mapEmpty()
        : Future.succeededFuture();
    String fOp = op;
    String fField = field;
    String fValue = value;
    Danmaku removed = action.equals("delete") ? l.find(seq) : null;
    return slowMode.compose(v -> store.moderate(r.roomId(), room.epoch(), fOp, fField, fValue, audit, AUDIT_CAP,
            removed))
        .compose(w -> switch (w) {
          case OK -> {
            if (fField != null) {
              l.moderation().set(fField, fOp.equals("del") ? null : fValue);
            }
            if (action.equals("delete")) {
              l.delete(l.epoch(), seq);
            }
            announceModeration(room, action, user, seq, duration);
            node.webhooks().emit(Webhooks.MODERATION, r.roomId(), audit);
            yield Future.succeededFuture(RtReply.position(l.epoch(), l.seq()));
          }
          case STALE -> {
            if (remove(pid, r.roomId()) != null) {
              node.metrics().roomsDropped("stale", 1);
            }
            yield Future.failedFuture(new Moved("room " + r.roomId() + " has a newer owner"));
          }
          case MISSING -> Future.failedFuture(new LiveroomException(ErrorCode.NOT_FOUND, "no room " + r.roomId()));
        });
  }

  private static String requireUser(String user, String action) {
    if (user == null) {
      throw LiveroomException.badRequest(action + " needs a user");
    }
    return io.liveroom.room.RoomRules.requireId(user, "user");
  }

  private void announceModeration(Room room, String action, String user, long seq, long duration) {
    RoomLive l = room.live();
    flush(List.of(room), System.currentTimeMillis());
    Map<String, List<Bundle.Frame>> perNode = new HashMap<>();
    List<Bundle.Frame> frames = new ArrayList<>(2);
    frames.add(new Bundle.Frame(room.id(), 1, Pushes.moderation(room.id(), action, user, seq,
        action.equals("mute") || action.equals("slowmode") ? Math.max(0, duration) : -1)));
    if (action.equals("kick") || action.equals("ban")) {
      frames.add(new Bundle.Frame(room.id(), 1, Pushes.kicked(room.id(), action.equals("ban") ? "banned" : "kicked"),
          false, user));
    }
    addFrames(perNode, l, frames);
    publish(perNode);
  }

  /** Gives a room its real-time state on first use, with recent history from Redis when it answers. */
  private Future<Room> ensureLive(int pid, Room room) {
    if (room.live() != null) {
      return Future.succeededFuture(room);
    }
    // moderation state must be known before anyone joins or sends: a failure to load it fails the request
    Future<RoomModeration> moderation = store.moderation(room.id()).map(RoomModeration::of);
    Future<List<Danmaku>> recent = store.recentHistory(room.id(), rt.historySize())
        .recover(e -> {
          LOG.warn("room {}: history not loaded ({}); starting with an empty one", room.id(), e.getMessage());
          return Future.succeededFuture(List.of());
        });
    return Future.all(moderation, recent)
        .compose(all -> {
          List<Danmaku> history = recent.result();
          if (find(pid, room.id()) != room) {
            // dropped (partition handed over, or fenced) while history loaded
            return Future.failedFuture(new Moved("room " + room.id() + " left this node while loading"));
          }
          if (room.live() == null) {
            RoomLive l = new RoomLive(room.epoch(), rt.historySize());
            RoomModeration m = moderation.result();
            l.moderation(m);
            l.preload(history.stream().filter(d -> !m.deleted(d.epoch(), d.seq())).toList());
            room.live(l);
            live.add(room);
          }
          return Future.succeededFuture(room);
        });
  }

  private RtReply join(Room room, RtRequest r) {
    if (room.state() == RoomState.ENDED) {
      throw new LiveroomException(ErrorCode.ROOM_CLOSED, "room " + r.roomId() + " has ended");
    }
    if ("guest".equals(r.role()) && !room.guestsCanRead()) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "room " + r.roomId() + " is not open to guests; sign in");
    }
    RoomLive l = room.live();
    if (l.moderation().banned(r.userId())) {
      throw new LiveroomException(ErrorCode.BANNED, "you are banned from room " + r.roomId());
    }
    long now = System.currentTimeMillis();
    if (r.newMember()) {
      if (l.online() >= room.maxMembers()) {
        throw new LiveroomException(ErrorCode.ROOM_FULL, "room " + r.roomId() + " has " + room.maxMembers() + " members");
      }
      // items sequenced before this member counted go out now, to the edges that had members then
      flush(List.of(room), now);
      l.memberDelta(r.edge(), 1, now);
      dirty.add(room);
    }
    room.touch(now);
    RoomLive.Recovery rec = l.recover(r.hasSince(), r.sinceEpoch(), r.sinceSeq(), rt.joinHistory());
    return new RtReply(l.epoch(), l.seq(), view(room), rec.items(), rec.recovered());
  }

  private RtReply sequence(Room room, RtRequest r) {
    if (room.state() == RoomState.ENDED) {
      throw new LiveroomException(ErrorCode.ROOM_CLOSED, "room " + r.roomId() + " has ended");
    }
    RoomLive l = room.live();
    long now = System.currentTimeMillis();
    int slowModeSec = room.slowModeSec();
    // keys are per user, so one user's key never swallows another's message
    String key = r.key() == null ? null : r.userId() + '\u0000' + r.key();
    if (key != null) {
      long seq = l.seqOfKey(key, now, rt.idempotencyTtlMs());
      if (seq >= 0) {
        return RtReply.position(l.epoch(), seq);
      }
    }
    if (writeBehind.size() >= WRITE_BEHIND_MAX) {
      node.metrics().dropped("backlog", 1);
      throw new LiveroomException(ErrorCode.UNAVAILABLE, "the history store is behind; retry shortly");
    }
    boolean high = room.ownedBy(r.userId()) || "host".equals(r.role()) || "moderator".equals(r.role())
        || "admin".equals(r.role());
    if (!high) {
      RoomModeration m = l.moderation();
      long muted = m.mutedFor(r.userId(), now);
      if (muted == Long.MAX_VALUE) {
        throw new LiveroomException(ErrorCode.MUTED, "you are muted in room " + r.roomId());
      }
      if (muted > 0) {
        throw LiveroomException.retryAfter(ErrorCode.MUTED, "you are muted in room " + r.roomId(), muted);
      }
      if (m.muteAll()) {
        throw new LiveroomException(ErrorCode.MUTED, "room " + r.roomId() + " is muted for everyone but its hosts");
      }
    }
    if (!high && slowModeSec > 0) {
      long wait = l.slowModeWait(r.userId(), slowModeSec * 1000L, now);
      if (wait > 0) {
        throw LiveroomException.retryAfter(ErrorCode.SLOW_MODE,
            "slow mode: one message every " + slowModeSec + " s", wait);
      }
    }
    long wait = l.admit(high ? 1 : 0, rt.roomMessagesPerSec(), rt.roomMessagesBurst(), now);
    if (wait > 0) {
      node.metrics().dropped("room_cap", 1);
      throw LiveroomException.retryAfter(ErrorCode.RATE_LIMITED, "room " + r.roomId() + " is at its message cap", wait);
    }
    String text = filtered(room, r.text());
    Danmaku item = l.sequence(r.userId(), r.userName(), text, r.color(), r.mode(), r.progress(), now,
        high ? 1 : 0);
    if (!high && slowModeSec > 0) {
      l.sentAt(r.userId(), now, slowModeSec * 1000L);
    }
    if (key != null) {
      l.rememberKey(key, item.seq(), now, rt.maxKeysPerRoom());
    }
    room.touch(now);
    dirty.add(room);
    node.metrics().messageIn();
    l.unwritten(1);
    writeBehind.add(new Object[] {room, item});
    drainWrites();
    return RtReply.position(l.epoch(), item.seq());
  }

  /** The room's content filter: {@code reject} refuses a text with a sensitive word, {@code mask} stars it out. */
  private String filtered(Room room, String text) {
    String mode = room.filter();
    if (mode.equals("off")) {
      return text;
    }
    io.liveroom.filter.WordFilter f = node.words().filter();
    if (mode.equals("reject")) {
      if (f.matches(text)) {
        throw new LiveroomException(ErrorCode.FORBIDDEN, "the message contains a word this room does not allow");
      }
      return text;
    }
    return f.mask(text);
  }

  /** Writes history behind to Redis, a bounded number at a time; on errors waits and retries. */
  private void drainWrites() {
    while (!writeBackoff && writesInFlight < WRITES_IN_FLIGHT && !writeBehind.isEmpty()) {
      Object[] w = writeBehind.poll();
      writesInFlight++;
      Room room = (Room) w[0];
      history.append(room.id(), (Danmaku) w[1], rt.historySize(), node.config().replay().maxItems())
          .onComplete(ar -> {
        writesInFlight--;
        if (ar.succeeded()) {
          node.metrics().historyWrite("ok");
          if (room.live() != null) {
            room.live().unwritten(-1);
          }
        } else {
          node.metrics().historyWrite("error");
          writeBehind.addFirst(w);
          if (!writeBackoff) {
            writeBackoff = true;
            backoffTimer = vertx.setTimer(WRITE_RETRY_MS, id -> {
              writeBackoff = false;
              drainWrites();
            });
          }
        }
        drainWrites();
      });
    }
  }

  /** One fan-out tick: every room with news becomes one frame, one bundle per edge node. */
  private void tick() {
    if (dirty.isEmpty()) {
      return;
    }
    List<Room> rooms = new ArrayList<>(dirty);
    dirty.clear();
    flush(rooms, System.currentTimeMillis());
  }

  private void flush(List<Room> rooms, long now) {
    Map<String, List<Bundle.Frame>> perNode = new HashMap<>();
    for (Room room : rooms) {
      RoomLive l = room.live();
      if (l == null) {
        continue;
      }
      List<Danmaku> items = l.drainPending();
      List<Bundle.Frame> frames = new ArrayList<>(2);
      if (items != null) {
        int priority = 0;
        for (Danmaku d : items) {
          priority = Math.max(priority, d.priority());
        }
        frames.add(new Bundle.Frame(room.id(), priority, Pushes.danmaku(room.id(), l.epoch(), items), false, null,
            items.get(0).ts()));
      }
      if (l.presenceChanged()) {
        if (l.presenceDue(now, PRESENCE_MIN_INTERVAL_MS)) {
          frames.add(new Bundle.Frame(room.id(), 0, Pushes.presence(room.id(), l.online())));
          l.presenceSent(now);
        } else {
          dirty.add(room);
        }
      }
      addFrames(perNode, l, frames);
    }
    publish(perNode);
  }

  /** Adds a room's frames once for each edge node with members in it. */
  private static void addFrames(Map<String, List<Bundle.Frame>> perNode, RoomLive l, List<Bundle.Frame> frames) {
    if (frames.isEmpty()) {
      return;
    }
    java.util.Set<String> nodes = new java.util.HashSet<>(4);
    for (String edge : l.edges()) {
      nodes.add(Addresses.nodeOfEdgeKey(edge));
    }
    for (String n : nodes) {
      perNode.computeIfAbsent(n, k -> new ArrayList<>()).addAll(frames);
    }
  }

  private void publish(Map<String, List<Bundle.Frame>> perNode) {
    perNode.forEach((nodeId, frames) -> {
      vertx.eventBus().publish(Addresses.edge(nodeId), new Bundle(frames));
      node.metrics().bundleSent(frames.size());
    });
  }

  /**
   * Tells a room's members about a committed change: {@code room} with the new room object, or
   * {@code closed} when it ended (they are then out of it).
   */
  private void announce(Room room, RoomData before) {
    RoomLive l = room.live();
    if (l == null || !l.hasMembers()) {
      return;
    }
    flush(List.of(room), System.currentTimeMillis());
    Map<String, List<Bundle.Frame>> perNode = new HashMap<>();
    if (room.state() == RoomState.ENDED && before.state() != RoomState.ENDED) {
      addFrames(perNode, l, List.of(new Bundle.Frame(room.id(), 1, Pushes.closed(room.id(), "ended"), true)));
      l.clearMembers();
    } else {
      addFrames(perNode, l, List.of(new Bundle.Frame(room.id(), 1, Pushes.room(view(room)), false)));
    }
    publish(perNode);
  }

  /** Forgets edges that stopped refreshing (a crashed or partitioned edge node). */
  private void expireEdges() {
    endEmptyRooms();
    // a hand-over whose migration event found the table not yet updated is caught here
    for (int pid : rooms.partitions()) {
      if (!ownership.ownsLocally(pid)) {
        dropPartition(pid, whyNotOwned());
      }
    }
    long before = System.currentTimeMillis() - 3 * rt.presenceRefreshMs();
    for (Room room : live) {
      if (room.live().expireEdges(before) > 0) {
        dirty.add(room);
      }
    }
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
      node.webhooks().emit(Webhooks.ROOM_CREATED, id, Pushes.roomObject(new RoomView(data, 1, 0, true, node.nodeId())));
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
      return store.write(after, before.state(), room.epoch(), node.config().sweeper().retentionMs()).recover(e -> {
        // a timed-out write may have been applied: reload from Redis on the next use (a refused
        // connection applied nothing, and the hot copy keeps serving reads while Redis is away)
        if (e.getCause() instanceof java.util.concurrent.TimeoutException && remove(pid, id) != null) {
          node.metrics().roomsDropped("write_uncertain", 1);
        }
        return Future.failedFuture(e);
      }).compose(w -> switch (w) {
        case OK -> {
          room.commit(after, System.currentTimeMillis());
          watchEmpty(room);
          announce(room, before);
          if (after.state() != before.state() && (after.state() == RoomState.LIVE || after.state() == RoomState.ENDED)) {
            node.webhooks().emit(after.state() == RoomState.LIVE ? Webhooks.ROOM_LIVE : Webhooks.ROOM_ENDED, id,
                Pushes.roomObject(view(room)));
          }
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
          dropPartition(pid, whyNotOwned());
        }
        msg.reply(null);
      }
      case "sweep" -> msg.reply(sweep(body.getLong("idleBefore"), body.getInteger("max"),
          body.getBoolean("newCycle", true)));
      case "stats" -> msg.reply(new JsonObject().put("rooms", hotCount).put("partitions", rooms.partitionCount()));
      default -> msg.fail(ErrorCode.BAD_REQUEST.busCode(), "unknown control op");
    }
  }

  /**
   * One batch of a sweep cycle: visits up to {@code max} rooms (whole partitions), continuing where
   * the last batch stopped, and demotes those idle since {@code idleBefore}. Durable state is
   * written through, so a demoted room only leaves memory; a room with an operation in flight or
   * history not yet in Redis stays. A cycle visits each room at most once; the reply says whether
   * it has more to visit, and the sweeper asks for the next batch right away, so other commands
   * interleave with the batches and the event loop never stalls.
   */
  private JsonObject sweep(long idleBefore, int max, boolean newCycle) {
    if (newCycle) {
      cycleBudget = hotCount;
      cycleVisited = 0;
    }
    if (rooms.isEmpty()) {
      return new JsonObject().put("demoted", 0).put("more", false);
    }
    if (!node.health().redisUp()) {
      // demote only what Redis holds completely: not while it is away
      node.metrics().sweepSkipped("redis_down");
      return new JsonObject().put("demoted", 0).put("more", false);
    }
    int limit = Math.min(max, cycleBudget - cycleVisited);
    int[] pids = rooms.partitions();
    java.util.Arrays.sort(pids);
    int demoted = 0;
    int deferred = 0;
    int visited = 0;
    int start = sweepCursor;
    for (int i = 0; i < pids.length && visited < limit; i++) {
      int pid = pids[(start + i) % pids.length];
      sweepCursor = (start + i + 1) % pids.length;
      int removed = 0;
      // a partition is scanned whole, so rooms behind busy ones in a big partition are reached too
      for (Iterator<Room> it = rooms.partition(pid).iterator(); it.hasNext(); ) {
        Room r = it.next();
        visited++;
        if (!r.idleSince(idleBefore)) {
          continue;
        }
        if (!tails.isEmpty() && tails.containsKey(r.id())) {
          deferred++; // an operation is in flight: it stays hot
        } else if (r.live() != null && r.live().unwritten() > 0) {
          deferred++; // history not yet in Redis: demoted by a later cycle
        } else {
          it.remove();
          forget(r);
          removed++;
        }
      }
      rooms.removedDuringScan(pid, removed);
      demoted += removed;
    }
    cycleVisited += visited;
    hotCount -= demoted;
    node.metrics().roomsHot(-demoted);
    node.metrics().roomsDropped("demoted", demoted);
    node.metrics().demotionsDeferred("busy", deferred);
    return new JsonObject().put("demoted", demoted).put("more", visited >= limit && cycleVisited < cycleBudget);
  }

  /** The drop reason for a partition this node does not own: handed over, or the table is distrusted. */
  private String whyNotOwned() {
    return ownership.trusted() ? "migrated" : "untrusted";
  }

  private void dropPartition(int pid, String reason) {
    java.util.Collection<Room> part = rooms.removePartition(pid);
    if (!part.isEmpty()) {
      part.forEach(this::forget);
      hotCount -= part.size();
      node.metrics().roomsHot(-part.size());
      node.metrics().roomsDropped(reason, part.size());
      LOG.info("partition {} left node {}: dropped {} hot rooms", pid, node.nodeId(), part.size());
    }
  }

  private Room find(int pid, String id) {
    return rooms.find(pid, id);
  }

  private void put(int pid, Room room) {
    if (rooms.put(pid, room)) {
      hotCount++;
      node.metrics().roomsHot(1);
    }
    watchEmpty(room);
  }

  private void watchEmpty(Room room) {
    if (room.state() == RoomState.LIVE && room.emptyTimeoutSec() > 0) {
      timed.add(room);
    } else {
      timed.remove(room);
    }
  }

  /** Ends live rooms that have had no members for their {@code emptyTimeoutSec}. */
  private void endEmptyRooms() {
    long now = System.currentTimeMillis();
    for (Room room : timed.toArray(new Room[0])) {
      RoomLive l = room.live();
      long since = l == null ? room.lastActiveAt() : l.emptySince();
      if (since > 0 && now - since >= room.emptyTimeoutSec() * 1000L) {
        timed.remove(room);
        String id = room.id();
        int pid = ownership.partitionOf(id);
        serial(id, () -> mutate(pid, id, d -> node.rules().end(d, System.currentTimeMillis())))
            .onSuccess(v -> LOG.info("room {} ended: empty for {} s", id, room.emptyTimeoutSec()))
            .onFailure(e -> {
              LOG.warn("room {}: could not end it after its empty timeout: {}", id, e.getMessage());
              watchEmpty(room); // try again at the next check
            });
      }
    }
  }

  private Room remove(int pid, String id) {
    Room r = rooms.remove(pid, id);
    if (r != null) {
      forget(r);
      hotCount--;
      node.metrics().roomsHot(-1);
    }
    return r;
  }

  /** A room leaving memory: its pending items still go out, then it is no longer tracked. */
  private void forget(Room r) {
    if (r.live() != null && r.live().hasPending()) {
      flush(List.of(r), System.currentTimeMillis());
    }
    dirty.remove(r);
    live.remove(r);
    timed.remove(r);
  }

  private RoomView view(Room r) {
    return new RoomView(r.data(), r.epoch(), r.live() == null ? 0 : r.live().online(), true, node.nodeId());
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
