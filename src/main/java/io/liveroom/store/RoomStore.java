package io.liveroom.store;

import static io.liveroom.store.RoomKeys.auditKey;
import static io.liveroom.store.RoomKeys.bucketKey;
import static io.liveroom.store.RoomKeys.bucketOf;
import static io.liveroom.store.RoomKeys.bucketSetKey;
import static io.liveroom.store.RoomKeys.claimsKey;
import static io.liveroom.store.RoomKeys.countKey;
import static io.liveroom.store.RoomKeys.groupOf;
import static io.liveroom.store.RoomKeys.historyKey;
import static io.liveroom.store.RoomKeys.moderationKey;
import static io.liveroom.store.RoomKeys.replayKey;
import static io.liveroom.store.RoomKeys.roomKey;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.room.Danmaku;
import io.liveroom.room.RoomData;
import io.liveroom.room.RoomState;
import io.liveroom.room.StoredKey;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Redis as the durable store of rooms, and the entry to the rest of the store: the room index
 * ({@link #roomIndex()}), history and replay ({@link #historyStore()}), moderation
 * ({@link #moderationStore()}). Every call answers within {@code redis.timeoutMs} or fails with
 * {@code UNAVAILABLE}. Keys are in {@link RoomKeys}, a room's hash fields in {@link RoomHash}.
 * Writes of room state are Lua scripts fenced by epoch: a write from an owner whose epoch is no
 * longer current is rejected, so a stale owner cannot overwrite a newer one. The scripts also keep
 * the index and the counts per state, and note which node claimed each epoch in the claim log.
 * Every key a script is given is in the room's slot group ({@link RoomKeys}), so each script is
 * single-slot and runs on a Redis Cluster as on one Redis.
 */
public final class RoomStore {
  // KEYS: room, bucket, bucket set, count, claim log (all of the room's slot group). ARGV: id,
  // bucket, state, node, claim log cap (of the group's log), then field/value pairs
  private static final LuaScript CREATE = new LuaScript("create", """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], 'e', 1, unpack(ARGV, 6))
      redis.call('ZADD', KEYS[2], 0, ARGV[1])
      redis.call('ZADD', KEYS[3], ARGV[2], ARGV[2])
      redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
      if tonumber(ARGV[5]) > 0 then
        redis.call('XADD', KEYS[5], 'MAXLEN', ARGV[5], '*', 'r', ARGV[1], 'e', 1, 'n', ARGV[4])
      end
      return 1
      """);

  // KEYS: room, claim log. ARGV: id, node, claim log cap
  private static final LuaScript HYDRATE = new LuaScript("hydrate", """
      if redis.call('EXISTS', KEYS[1]) == 0 then return false end
      local e = redis.call('HINCRBY', KEYS[1], 'e', 1)
      if tonumber(ARGV[3]) > 0 then
        redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '*', 'r', ARGV[1], 'e', e, 'n', ARGV[2])
      end
      return redis.call('HGETALL', KEYS[1])
      """);

  // KEYS: room, old bucket, old bucket set, new bucket, new bucket set, count, history, moderation,
  // audit, replay. ARGV: epoch, id, bucket, old state, new state, retention ms, n fields to delete,
  // those fields, then field/value pairs to set
  private static final LuaScript WRITE = new LuaScript("write", """
      local cur = redis.call('HGET', KEYS[1], 'e')
      if not cur then return -1 end
      if cur ~= ARGV[1] then return 0 end
      local ndel = tonumber(ARGV[7])
      if ndel > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 8, 7 + ndel)) end
      redis.call('HSET', KEYS[1], unpack(ARGV, 8 + ndel))
      if ARGV[4] ~= ARGV[5] then
        if redis.call('ZREM', KEYS[2], ARGV[2]) == 1 then
          redis.call('HINCRBY', KEYS[6], ARGV[4], -1)
          if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('ZREM', KEYS[3], ARGV[3]) end
        end
        if redis.call('ZADD', KEYS[4], 0, ARGV[2]) == 1 then redis.call('HINCRBY', KEYS[6], ARGV[5], 1) end
        redis.call('ZADD', KEYS[5], ARGV[3], ARGV[3])
      end
      if ARGV[5] == 'ended' then
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        redis.call('PEXPIRE', KEYS[7], ARGV[6])
        redis.call('PEXPIRE', KEYS[8], ARGV[6])
        redis.call('PEXPIRE', KEYS[9], ARGV[6])
        redis.call('PEXPIRE', KEYS[10], ARGV[6])
      end
      return 1
      """);

  /** What a fenced write found. */
  public enum WriteResult {
    OK, STALE, MISSING;

    /** The answer of a fenced script: 1 written, 0 stale epoch, -1 no such room. */
    static WriteResult of(Response r) {
      return switch (r.toInteger()) {
        case 1 -> OK;
        case 0 -> STALE;
        default -> MISSING;
      };
    }
  }

  /**
   * A room as its hash holds it: its data, the epoch of its owner (for a load, the epoch the new
   * owner now holds) and its pinned item (null when none).
   */
  public record Hydrated(RoomData data, long epoch, Danmaku pinned) {
  }

  private final Vertx vertx;
  private final StoreClient client;
  private final String nodeId;
  /** Entries kept in each slot group's claim log: {@code redis.claimLogSize} over the groups, rounded up. */
  private final int claimLogSize;
  private final RoomIndex index;
  private final HistoryStore history;
  private final ModerationStore moderation;

  /** @param nodeId the node whose claims of epochs (creates and loads) go to the claim logs {@code lr:{g}:claims} */
  public RoomStore(Vertx vertx, LiveroomConfig.Redis cfg, String nodeId, MeterRegistry registry) {
    this.vertx = vertx;
    this.client = new StoreClient(vertx, cfg, registry);
    this.nodeId = nodeId;
    this.claimLogSize = cfg.claimLogSize() <= 0 ? 0 : (cfg.claimLogSize() + RoomKeys.GROUPS - 1) / RoomKeys.GROUPS;
    this.index = new RoomIndex(client);
    this.history = new HistoryStore(client);
    this.moderation = new ModerationStore(client);
  }

  /** Listings, page reads and counts of rooms. */
  public RoomIndex roomIndex() {
    return index;
  }

  /** Rooms' history streams and replay archives. */
  public HistoryStore historyStore() {
    return history;
  }

  /** Rooms' moderation state and audit logs. */
  public ModerationStore moderationStore() {
    return moderation;
  }

  /**
   * Creates the room with epoch 1; false when the id exists. Like {@link #hydrate}, done only once
   * {@code redis.replicasToAck} replicas hold it ({@link StoreClient#evalAcked}).
   */
  public Future<Boolean> create(RoomData d) {
    return client.evalAcked(CREATE, createKeys(d.id(), d.state()), createArgs(d)).map(r -> r.toInteger() == 1);
  }

  private List<String> createArgs(RoomData d) {
    List<String> args = new ArrayList<>(24);
    args.add(d.id());
    args.add(Integer.toString(bucketOf(d.id())));
    args.add(d.state().wire());
    args.add(nodeId);
    args.add(Integer.toString(claimLogSize));
    RoomHash.fields(d, args, null);
    return args;
  }

  static List<String> createKeys(String id, RoomState state) {
    int b = bucketOf(id);
    int g = groupOf(id);
    return List.of(roomKey(id), bucketKey(state, b), bucketSetKey(state, g), countKey(g), claimsKey(g));
  }

  static List<String> hydrateKeys(String id) {
    return List.of(roomKey(id), claimsKey(groupOf(id)));
  }

  static List<String> writeKeys(String id, RoomState previous, RoomState next) {
    int b = bucketOf(id);
    int g = groupOf(id);
    return List.of(roomKey(id), bucketKey(previous, b), bucketSetKey(previous, g), bucketKey(next, b),
        bucketSetKey(next, g), countKey(g), historyKey(id), moderationKey(id), auditKey(id), replayKey(id));
  }

  /**
   * Loads a room for a new owner, taking the next epoch; null when there is no such room. The epoch
   * is used only once {@code redis.replicasToAck} replicas hold it (and every write before it, the
   * appends of earlier epochs too): a replica promoted later cannot hand the same epoch out again.
   */
  public Future<Hydrated> hydrate(String id) {
    return client.evalAcked(HYDRATE, hydrateKeys(id), List.of(id, nodeId, Integer.toString(claimLogSize)))
        .map(r -> r == null ? null : RoomHash.decode(id, r));
  }

  /**
   * Writes the room if {@code epoch} is still current. An ended room and its history get a TTL of
   * {@code retentionMs}; their index entries go when a listing finds them gone.
   */
  public Future<WriteResult> write(RoomData next, RoomState previous, long epoch, long retentionMs) {
    String id = next.id();
    int b = bucketOf(id);
    List<String> pairs = new ArrayList<>(24);
    List<String> unset = new ArrayList<>(6);
    RoomHash.fields(next, pairs, unset);
    List<String> args = new ArrayList<>(8 + unset.size() + pairs.size());
    args.add(Long.toString(epoch));
    args.add(id);
    args.add(Integer.toString(b));
    args.add(previous.wire());
    args.add(next.state().wire());
    args.add(Long.toString(retentionMs));
    args.add(Integer.toString(unset.size()));
    args.addAll(unset);
    args.addAll(pairs);
    return client.eval(WRITE, writeKeys(id, previous, next.state()), args).map(WriteResult::of);
  }

  /** The current epoch of a room in Redis, or 0 when there is none. */
  public Future<Long> epoch(String id) {
    return client.send("epoch", Request.cmd(Command.HGET).arg(roomKey(id)).arg("e"))
        .map(r -> r == null ? 0L : r.toLong());
  }

  /** The fields of a room's moderation hash (empty when there is none); see {@link ModerationStore}. */
  public Future<Map<String, String>> moderation(String id) {
    return moderation.moderation(id);
  }

  /** Applies one moderation change with its audit entry, fenced by epoch; see {@link ModerationStore}. */
  public Future<WriteResult> moderate(String roomId, long epoch, ModerationStore.Change change, JsonObject audit,
                                      int auditCap) {
    return moderation.moderate(roomId, epoch, change, audit, auditCap);
  }

  /** The item {@code (epoch, seq)} from a room's history or replay archive, or null; see {@link HistoryStore#find}. */
  public Future<Danmaku> findItem(String roomId, long epoch, long seq, int historyCount) {
    return history.find(roomId, epoch, seq, historyCount);
  }

  /** The newest {@code n} items of a room's history, oldest first; see {@link HistoryStore}. */
  public Future<List<Danmaku>> recentHistory(String roomId, int n) {
    return history.recentHistory(roomId, n);
  }

  /** The idempotency keys stored with a room's sends; see {@link HistoryStore}. */
  public Future<List<StoredKey>> idempotencyKeys(String roomId) {
    return history.idempotencyKeys(roomId);
  }

  /** A creator over its own pipelined connection: one per shard instance, made on its event loop. */
  public Creator creator() {
    return new Creator(vertx.getOrCreateContext(), client.pipeline(List.of(CREATE)),
        Math.max(1, Math.min(Creator.MAX_BATCH, client.maxWaiting() - 1)));
  }

  /**
   * Creates rooms as {@link #create} does, batched: the creates asked for in one event-loop turn
   * go out after it as one pipelined batch on the creator's own connection (one write and one
   * round trip for all, and with {@code redis.replicasToAck} one {@code WAIT} for all), instead of
   * one pooled round trip each. The connection holds at most {@code redis.maxWaiting} commands in
   * flight: past that a batch fails at once ({@code UNAVAILABLE}). Used from its owner's event loop
   * only.
   */
  public final class Creator {
    /** Creates per batch at most (and under {@code redis.maxWaiting}): a turn with more sends several batches, pipelined. */
    static final int MAX_BATCH = 256;

    private final Context context;
    private final PipelinedConnection connection;
    private final int batchSize;
    /** The creates of this turn, in order, and their answers. */
    private final List<RoomData> queued = new ArrayList<>();
    private final List<Promise<Boolean>> waiting = new ArrayList<>();
    private int inFlight;
    private boolean closed;

    private Creator(Context context, PipelinedConnection connection, int batchSize) {
      this.context = context;
      this.connection = connection;
      this.batchSize = batchSize;
    }

    /** True once created (with epoch 1), false when the id exists; sent after this event-loop turn. */
    public Future<Boolean> create(RoomData d) {
      if (closed) {
        return Future.failedFuture(new LiveroomException(ErrorCode.UNAVAILABLE, "the node is stopping; retry"));
      }
      if (queued.isEmpty()) {
        context.runOnContext(v -> flush());
      }
      Promise<Boolean> answer = Promise.promise();
      queued.add(d);
      waiting.add(answer);
      return answer.future();
    }

    private void flush() {
      for (int from = 0; from < queued.size(); from += batchSize) {
        int to = Math.min(queued.size(), from + batchSize);
        send(new ArrayList<>(queued.subList(from, to)), new ArrayList<>(waiting.subList(from, to)),
            connection.scriptsLoaded());
      }
      queued.clear();
      waiting.clear();
    }

    private void send(List<RoomData> rooms, List<Promise<Boolean>> answers, boolean bySha) {
      List<List<String>> keys = new ArrayList<>(rooms.size());
      List<List<String>> args = new ArrayList<>(rooms.size());
      List<String> slotKeys = new ArrayList<>(rooms.size());
      for (RoomData d : rooms) {
        List<String> k = createKeys(d.id(), d.state());
        keys.add(k);
        args.add(createArgs(d));
        slotKeys.add(k.get(0));
      }
      List<Request> reqs = bySha ? StoreClient.scriptCalls(Command.EVALSHA, CREATE.sha(), keys, args)
          : StoreClient.scriptCalls(Command.EVAL, CREATE.source(), keys, args);
      inFlight++;
      connection.batch("create", reqs, slotKeys, client.timeoutMs()).onComplete(ar -> {
        inFlight--;
        if (ar.succeeded()) {
          for (int i = 0; i < answers.size(); i++) {
            answers.get(i).complete(ar.result().get(i).toInteger() == 1);
          }
        } else if (bySha && noScripts(ar.cause()) == rooms.size()) {
          // Redis lost the script (SCRIPT FLUSH) and none of these ran: again by source, which
          // caches it for the batches after
          send(rooms, answers, false);
        } else {
          // some may have been applied (a timeout, a broken connection): UNAVAILABLE, as any failed write
          answers.forEach(a -> a.fail(ar.cause()));
        }
        if (closed && inFlight == 0) {
          connection.close();
        }
      });
    }

    /** Closes the connection once the batches in flight are answered; later creates fail. */
    public void close() {
      closed = true;
      if (inFlight == 0 && queued.isEmpty()) {
        connection.close();
      }
    }
  }

  /** How many commands of a failed batch Redis answered with NOSCRIPT (one {@code ERR [i]} line each). */
  private static int noScripts(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && m.contains("NOSCRIPT")) {
        return m.split("NOSCRIPT", -1).length - 1;
      }
    }
    return 0;
  }

  /** An appender over its own pipelined connection: one per shard instance. */
  public Appender appender() {
    return new Appender(client.pipeline(List.of(HistoryStore.APPEND)));
  }

  /**
   * Stores items before they are acknowledged, over one long-lived connection on which batches
   * are pipelined, reconnecting after a failure; {@link HistoryStore#append} says what is written.
   * Used from its owner's event loop only.
   */
  public final class Appender {
    private final PipelinedConnection connection;

    private Appender(PipelinedConnection connection) {
      this.connection = connection;
    }

    /** Per room of the batch, in order: stored ({@code OK}), or refused by the fence. */
    public Future<List<WriteResult>> append(List<HistoryStore.RoomAppends> batch, int cap, int replayCap,
                                            long keyTtlMs, int maxKeys, long now) {
      return history.append(connection, batch, cap, replayCap, keyTtlMs, maxKeys, now);
    }

    public void close() {
      connection.close();
    }
  }

  /**
   * Moves data written in the key layout before slot groups, once ({@link KeyMigration}); the
   * number of rooms moved (0 when the layout is already current).
   */
  public Future<Long> migrateLayout() {
    return new KeyMigration(client).run();
  }

  /** The kind of the last Redis failure (an exception class name), for readiness reports. */
  public String lastError() {
    return client.lastError();
  }

  public Future<Void> ping() {
    return client.send("ping", Request.cmd(Command.PING)).mapEmpty();
  }

  public Future<Void> close() {
    return client.close();
  }
}
