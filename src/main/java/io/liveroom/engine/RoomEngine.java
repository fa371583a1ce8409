package io.liveroom.engine;

import io.liveroom.filter.WordFilter;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.Pushes;
import io.liveroom.protocol.RoomView;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardReply.HistoryReply;
import io.liveroom.protocol.ShardReply.JoinReply;
import io.liveroom.protocol.ShardReply.MembersPage;
import io.liveroom.room.Danmaku;
import io.liveroom.room.EdgeUsers;
import io.liveroom.room.Member;
import io.liveroom.room.Room;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomLive;
import io.liveroom.room.RoomMembers;
import io.liveroom.room.RoomModeration;
import io.liveroom.room.RoomState;
import io.liveroom.room.StoredKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The owner-side rules of the rooms of one shard instance, in plain Java: join, send, leave,
 * moderate and recover; send admission (ban, mute, mute-all, slow mode, the room's message cap,
 * priority, idempotency keys, the content filter); the per-tick fan-out batching; the hot-room
 * table with its sweep and empty-room timers. A refusal is a {@link LiveroomException} with its
 * code and retry-after. What must happen outside (Redis writes, bus publishes) comes back as
 * values: {@link #appends()} holds the appends to make before a send is acknowledged,
 * {@link #drainFanout()} the frames to publish per edge node. One event loop; no Vert.x.
 */
public final class RoomEngine {
  private final EngineSettings settings;
  private final String nodeId;
  private final Supplier<WordFilter> words;
  private final HotRooms rooms;
  private final FanoutBatcher fanout;
  private final Appends appends;
  private final ModerationRules moderation;

  public RoomEngine(EngineSettings settings, String nodeId, Supplier<WordFilter> words) {
    this.settings = settings;
    this.nodeId = nodeId;
    this.words = words;
    this.rooms = new HotRooms(settings.maxHotRooms());
    this.fanout = new FanoutBatcher(settings.presenceMinIntervalMs());
    this.appends = new Appends(settings.appendQueueMax());
    this.moderation = new ModerationRules(settings.maxSlowModeSec());
  }

  // ---- the hot-room table

  public Room find(int pid, String id) {
    return rooms.find(pid, id);
  }

  /** Makes the room hot; false when a room with its id was hot already (replaced). */
  public boolean put(int pid, Room room) {
    return rooms.put(pid, room);
  }

  /** Makes the room hot with its pinned item as stored (null when none); false when it replaced one. */
  public boolean put(int pid, Room room, Danmaku pinned) {
    boolean added = rooms.put(pid, room);
    rooms.pin(room, pinned);
    return added;
  }

  /** The room's pinned item, or null. */
  public Danmaku pinned(Room room) {
    return rooms.pinned(room);
  }

  /** Takes a room out of memory; its pending items still go out. */
  public Room remove(int pid, String id) {
    Room r = rooms.remove(pid, id);
    if (r != null) {
      leaving(r);
    }
    return r;
  }

  /** Takes every room of a partition out of memory; returns how many there were. */
  public int dropPartition(int pid) {
    Collection<Room> part = rooms.removePartition(pid);
    part.forEach(this::leaving);
    return part.size();
  }

  /** Forgets every room (the shard stops); returns how many there were. */
  public int clear() {
    return rooms.clear();
  }

  public int hotCount() {
    return rooms.size();
  }

  public int partitionCount() {
    return rooms.partitionCount();
  }

  public int[] partitions() {
    return rooms.partitions();
  }

  public RoomView view(Room r) {
    RoomLive l = r.live();
    return new RoomView(r.data(), r.epoch(), l == null ? 0 : l.online(), l == null ? 0 : l.connections(), true,
        nodeId, rooms.pinned(r));
  }

  // ---- real-time state

  /**
   * Gives a hot room its real-time state: its moderation state, recent history (deleted items
   * left out) and the idempotency keys stored with earlier sends, so that a retry after a
   * failover gets the first send's place.
   */
  public void makeLive(Room room, RoomModeration m, List<Danmaku> history, List<StoredKey> keys, long now) {
    if (room.live() != null) {
      return;
    }
    RoomLive l = new RoomLive(room.epoch(), settings.historySize());
    l.moderation(m);
    l.preload(history.stream().filter(d -> !m.deleted(d.epoch(), d.seq())).toList());
    for (StoredKey k : keys) {
      if (k.at() >= now - settings.idempotencyTtlMs()) {
        l.rememberKey(k.key(), k.epoch(), k.seq(), k.at(), settings.maxKeysPerRoom());
      }
    }
    room.live(l);
    rooms.madeLive(room);
  }

  /**
   * A connection joins from {@code edge}: refused when the room ended, for guests where the room is
   * closed to them, for banned users, and for a new user of a full room ({@code maxMembers} counts
   * distinct users; a user's further connection is let in). A new connection is counted after the
   * items sequenced before it have gone out. The reply has exactly the missed items when
   * {@code since} is in this epoch and still in history, else the latest {@code joinHistory}.
   */
  public JoinReply join(Room room, String edge, Member m, boolean newMember, boolean hasSince, long sinceEpoch,
                     long sinceSeq, long now) {
    if (room.state() == RoomState.ENDED) {
      throw new LiveroomException(ErrorCode.ROOM_CLOSED, "room " + room.id() + " has ended");
    }
    if (m.guest() && !room.guestsCanRead()) {
      throw new LiveroomException(ErrorCode.FORBIDDEN, "room " + room.id() + " is not open to guests; sign in");
    }
    RoomLive l = room.live();
    if (l.moderation().banned(m.userId())) {
      throw new LiveroomException(ErrorCode.BANNED, "you are banned from room " + room.id());
    }
    if (newMember) {
      if (!l.members().present(m) && l.online() >= room.maxMembers()) {
        throw new LiveroomException(ErrorCode.ROOM_FULL, "room " + room.id() + " has " + room.maxMembers()
            + " members");
      }
      // items sequenced before this member counted go out now, to the edges that had members then
      fanout.flush(room, now);
      l.members().join(edge, m, now);
      l.membersChanged(now);
      fanout.markDirty(room);
    }
    room.touch(now);
    RoomLive.Recovery rec = l.recover(hasSince, sinceEpoch, sinceSeq, settings.joinHistory());
    return new JoinReply(l.epoch(), l.seq(), view(room), rec.items(), rec.recovered());
  }

  /**
   * Sequences a send, or refuses it: the room ended; too many appends waiting for Redis
   * (UNAVAILABLE); muted, mute-all, slow mode (with retry-after) for members below host; the room's
   * message cap (RATE_LIMITED with retry-after; host items are never refused); a {@code reject}
   * filter hit. A key seen from this user within {@code idempotencyTtlMs} returns the first send's
   * place and sequences nothing (with that send, when it is not stored yet). An accepted item
   * waits in {@link #appends()}; it is acknowledged, and joins history and the next tick's frame,
   * once {@link #stored}.
   */
  public SendResult send(Room room, Member m, String text, String color, String mode, long progress, String key,
                         long now) {
    if (room.state() == RoomState.ENDED) {
      throw new LiveroomException(ErrorCode.ROOM_CLOSED, "room " + room.id() + " has ended");
    }
    RoomLive l = room.live();
    // keys are per user, so one user's key never swallows another's message
    String userKey = key == null ? null : m.userId() + '\u0000' + key;
    if (userKey != null) {
      long[] first = l.keyed(userKey, now, settings.idempotencyTtlMs());
      if (first != null) {
        Danmaku inFlight = first[0] == l.epoch() ? l.unconfirmed(first[1]) : null;
        return new SendResult(first[0], first[1], null, inFlight);
      }
    }
    if (appends.full()) {
      throw new LiveroomException(ErrorCode.UNAVAILABLE, "the history store is behind; retry shortly");
    }
    boolean high = m.privilegedIn(room);
    int slowModeSec = room.slowModeSec();
    if (!high) {
      admitMember(room, l, m.userId(), slowModeSec, now);
    }
    long wait = l.admit(high ? 1 : 0, settings.roomMessagesPerSec(), settings.roomMessagesBurst(), now);
    if (wait > 0) {
      throw LiveroomException.retryAfter(ErrorCode.RATE_LIMITED, "room " + room.id() + " is at its message cap",
          wait);
    }
    Danmaku item = l.sequence(m.userId(), m.userName(), filtered(room, text), color, mode, progress, now,
        high ? 1 : 0);
    if (!high && slowModeSec > 0) {
      l.sentAt(m.userId(), now, slowModeSec * 1000L);
    }
    if (userKey != null) {
      l.rememberKey(userKey, l.epoch(), item.seq(), now, settings.maxKeysPerRoom());
    }
    room.touch(now);
    appends.add(room, item, userKey);
    return new SendResult(l.epoch(), item.seq(), item, null);
  }

  private static void admitMember(Room room, RoomLive l, String userId, int slowModeSec, long now) {
    long muted = l.moderation().mutedFor(userId, now);
    if (muted == Long.MAX_VALUE) {
      throw new LiveroomException(ErrorCode.MUTED, "you are muted in room " + room.id());
    }
    if (muted > 0) {
      throw LiveroomException.retryAfter(ErrorCode.MUTED, "you are muted in room " + room.id(), muted);
    }
    if (l.moderation().muteAll()) {
      throw new LiveroomException(ErrorCode.MUTED, "room " + room.id() + " is muted for everyone but its hosts");
    }
    if (slowModeSec > 0) {
      long wait = l.slowModeWait(userId, slowModeSec * 1000L, now);
      if (wait > 0) {
        throw LiveroomException.retryAfter(ErrorCode.SLOW_MODE, "slow mode: one message every " + slowModeSec + " s",
            wait);
      }
    }
  }

  /** The room's content filter: {@code reject} refuses a text with a sensitive word, {@code mask} stars it out. */
  private String filtered(Room room, String text) {
    String mode = room.filter();
    if (mode.equals("off")) {
      return text;
    }
    WordFilter f = words.get();
    if (mode.equals("reject")) {
      if (f.matches(text)) {
        throw new LiveroomException(ErrorCode.FORBIDDEN, "the message contains a word this room does not allow");
      }
      return text;
    }
    return f.mask(text);
  }

  /** A connection of {@code userId} (a guest's when {@code guest}) on {@code edge} left a hot room. */
  public void leave(Room room, String edge, String userId, boolean guest, long now) {
    RoomLive l = room.live();
    if (l != null) {
      l.members().leave(edge, userId, guest, now);
      l.membersChanged(now);
      fanout.markDirty(room);
    }
  }

  /**
   * An edge's presence summary of a hot, live room: true when the owner's copy of that edge
   * matches (the room is touched so it is not swept); false when the edge must send its full list.
   */
  public boolean presence(Room room, String edge, EdgeUsers.Summary s, long now) {
    if (!room.live().members().matches(edge, s, now)) {
      return false;
    }
    if (s.connections() > 0) {
      room.touch(now);
    }
    return true;
  }

  /** An edge's full list of a room (soft state) replaces the owner's copy; the room is touched so it is not swept. */
  public void refresh(Room room, String edge, List<EdgeUsers.Entry> users, int guests, long now) {
    room.touch(now);
    RoomLive l = room.live();
    int online = l.online();
    int connections = l.connections();
    l.members().replace(edge, users, guests, now);
    l.membersChanged(now);
    if (l.online() != online || l.connections() != connections) {
      fanout.markDirty(room);
    }
  }

  /**
   * A page of the member list: signed-in users after {@code after} in id order, each with its
   * role in the room (the room's owner is {@code host} unless its token says {@code admin}), and
   * the guest connections. A room without real-time state has no members.
   */
  public MembersPage members(Room room, String after, int limit) {
    RoomLive l = room.live();
    if (l == null) {
      return new MembersPage(List.of(), false, 0);
    }
    RoomMembers.Page p = l.members().page(after, limit);
    List<Member> out = new ArrayList<>(p.members().size());
    for (Member m : p.members()) {
      boolean host = room.ownedBy(m.userId()) && !"admin".equals(m.role()) && !"host".equals(m.role());
      out.add(host ? new Member(m.userId(), m.userName(), "host") : m);
    }
    return new MembersPage(out, p.more(), l.members().guests());
  }

  /** The {@code limit} newest items, or those after {@code afterSeq} of the current epoch when {@code hasAfter}. */
  public HistoryReply history(Room room, boolean hasAfter, long afterSeq, int limit) {
    RoomLive l = room.live();
    RoomLive.Recovery rec = hasAfter ? l.recover(true, l.epoch(), afterSeq, limit) : l.recover(false, 0, 0, limit);
    List<Danmaku> items = rec.items();
    boolean complete = rec.recovered() && items.size() <= limit;
    if (items.size() > limit) {
      items = new ArrayList<>(items.subList(0, limit));
    }
    return new HistoryReply(l.epoch(), l.seq(), items, complete);
  }

  // ---- moderation and room changes

  /**
   * Whether a moderation action names an item (a delete or pin, by {@code (epoch, seq)}) that is
   * not in memory but may be in Redis: then the caller looks it up and passes it to
   * {@link #moderation} as {@code found}.
   */
  public boolean needsLookup(Room room, ShardCommand.Moderate c) {
    return moderation.needsLookup(room, c);
  }

  /**
   * Checks a moderation action and says what to write; nothing changes until {@link #moderated}.
   * {@code found} is the item a delete or pin names as looked up in Redis (null when not looked up
   * or not there).
   */
  public ModerationChange moderation(Room room, ShardCommand.Moderate c, Danmaku found, long now) {
    return moderation.check(room, c, found, rooms.pinned(room), now);
  }

  /**
   * A moderation change is in Redis: it applies here, and members get pushes after the items before
   * it: the {@code moderation} push, the {@code kicked} push of a kick or ban, and the {@code room}
   * push when the pinned item changed.
   */
  public void moderated(Room room, ModerationChange c, long now) {
    RoomLive l = room.live();
    if (c.field() != null) {
      l.moderation().set(c.field(), c.op().equals("del") ? null : c.value());
    }
    if (c.removed() != null) {
      l.delete(c.removed().epoch(), c.removed().seq());
    }
    if (c.pinChanges()) {
      rooms.pin(room, c.pin() ? c.item() : null);
    }
    fanout.flush(room, now);
    List<Push> frames = new ArrayList<>(2);
    long duration = c.action().equals("mute") || c.action().equals("slowmode") ? Math.max(0, c.durationSec()) : -1;
    frames.add(Push.of(room.id(), 1, Pushes.moderation(room.id(), c.action(), c.user(), c.item(), duration)
        .getBytes()));
    if (c.action().equals("kick") || c.action().equals("ban")) {
      frames.add(new Push(room.id(), 1, Pushes.kicked(room.id(), c.action().equals("ban") ? "banned" : "kicked")
          .getBytes(), false, c.user(), 0));
    }
    if (c.pinChanges()) {
      frames.add(Push.of(room.id(), 1, Pushes.room(view(room)).getBytes()));
    }
    fanout.add(l, frames);
  }

  /**
   * A room's change is in Redis: it applies here, and members get the {@code room} push, or
   * {@code closed} when it ended (they are then out of it), after the items before it.
   */
  public void committed(Room room, RoomData after, long now) {
    RoomData before = room.data();
    room.commit(after, now);
    rooms.watchEmpty(room);
    RoomLive l = room.live();
    if (l == null || !l.hasMembers()) {
      return;
    }
    fanout.flush(room, now);
    if (after.state() == RoomState.ENDED && before.state() != RoomState.ENDED) {
      fanout.add(l, List.of(new Push(room.id(), 1, Pushes.closed(room.id(), "ended").getBytes(), true, null, 0)));
      l.clearMembers();
    } else {
      fanout.add(l, List.of(Push.of(room.id(), 1, Pushes.room(view(room)).getBytes())));
    }
  }

  // ---- time: ticks, presence expiry, sweeps, empty rooms

  /** The tick: every room with news becomes its frames (see {@link #drainFanout}). */
  public void tick(long now) {
    fanout.tick(now);
  }

  /** The frames to publish since the last call, per edge node: one bundle each. */
  public Map<String, List<Push>> drainFanout() {
    return fanout.drain();
  }

  /** The appends to make before sends are acknowledged. */
  public Appends appends() {
    return appends;
  }

  /**
   * A room's items are in Redis, in seq order: they join history and the next tick's frame.
   * False when the room is no longer this hot room (dropped meanwhile): they are not served here.
   */
  public boolean stored(int pid, Room room, List<Danmaku> items) {
    if (rooms.find(pid, room.id()) != room || room.live() == null) {
      return false;
    }
    for (Danmaku d : items) {
      if (!room.live().confirm(d)) {
        return false;
      }
    }
    fanout.markDirty(room);
    return true;
  }

  /**
   * A room's append was refused by the fence ({@code refused}: a newer owner, or the room is gone)
   * or may not have happened (an error or a timeout). No unconfirmed item will be acknowledged by
   * this owner. A refused room leaves at once; otherwise the room stays for reads, and its next
   * send loads it again with a new epoch ({@link RoomLive#broken}). True when the room left.
   */
  public boolean notStored(int pid, Room room, boolean refused) {
    if (room.live() != null) {
      room.live().abandon();
    }
    return refused && rooms.find(pid, room.id()) == room && remove(pid, room.id()) == room;
  }

  /** Forgets the members of edges that stopped refreshing (3 refresh periods: a crashed or cut-off edge node). */
  public void expireEdges(long now) {
    long before = now - 3 * settings.presenceRefreshMs();
    for (Room room : rooms.live()) {
      if (room.live().expireEdges(before) > 0) {
        fanout.markDirty(room);
      }
    }
  }

  /** Live rooms empty for their {@code emptyTimeoutSec}, to be ended; {@link #watchEmpty} again if that fails. */
  public List<Room> emptyTooLong(long now) {
    return rooms.emptyTooLong(now);
  }

  public void watchEmpty(Room room) {
    rooms.watchEmpty(room);
  }

  /**
   * One sweep batch at {@code now} (see {@link HotRooms#sweep}): idle rooms and, over the cap, the least recently
   * used unused ones; never while the store is away ({@code storeUp} false), never a {@code busy} one.
   */
  public SweepResult sweep(long idleBefore, int max, boolean newCycle, Predicate<String> busy, boolean storeUp,
                           long now) {
    if (newCycle) {
      rooms.beginCycle(now);
    }
    if (!storeUp) {
      return SweepResult.NONE;
    }
    List<Room> out = new ArrayList<>();
    SweepResult r = rooms.sweep(idleBefore, max, busy, out);
    out.forEach(this::leaving);
    return r;
  }

  /** Hot rooms over the cap that the cycle's plan found held: members, items or operations in flight, a timeout. */
  public int keptOverCap() {
    return rooms.keptOverCap();
  }

  /** A room leaving memory: its pending items still go out, then nothing tracks it. */
  private void leaving(Room r) {
    if (r.live() != null && r.live().hasPending()) {
      fanout.flush(r, System.currentTimeMillis());
    }
    fanout.forget(r);
  }
}
