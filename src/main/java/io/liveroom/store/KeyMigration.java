package io.liveroom.store;

import io.liveroom.room.RoomState;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-shot move of data written before slot groups ({@code lr:r:<id>}, {@code lr:h:<id>}, ...,
 * {@code lr:ix:*}, {@code lr:count}, {@code lr:claims}) to the layout of {@link RoomKeys}, run by
 * a node as it starts, before it serves. {@value #LAYOUT_KEY} = {@value #LAYOUT} says it is done:
 * then it costs one {@code GET}. Each room moves in one script (its keys renamed, so TTLs stay,
 * and its index entry and count written in its group), and a room already moved is left alone,
 * so nodes starting together, or a start that dies half way, only redo what is not done. The old
 * index, counts and claim log go once every room has moved. That layout only ever lived on one
 * Redis, which is what the {@code SCAN} walks (docs/operations.md, "Upgrading the key layout").
 */
final class KeyMigration {
  private static final Logger LOG = LoggerFactory.getLogger(KeyMigration.class);
  static final String LAYOUT_KEY = "lr:layout";
  static final String LAYOUT = "2";
  private static final String[] KINDS = {"r", "h", "p", "m", "a", "k", "kz"};
  private static final int SCAN = 500;

  // KEYS: the room's 7 keys in the old layout, the same 7 in the new one, the new group's count,
  // then its bucket sets (one per state). ARGV: id, bucket, then the states (ordinal order).
  private static final LuaScript MOVE = new LuaScript("migrate", """
      if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[8]) == 1 then return 0 end
      local s = redis.call('HGET', KEYS[1], 's')
      if s and string.match(s, '^%d$') then s = ARGV[tonumber(s) + 3] end
      for i = 1, 7 do
        if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('RENAME', KEYS[i], KEYS[i + 7]) end
      end
      for i = 3, #ARGV do
        if ARGV[i] == s then
          redis.call('ZADD', KEYS[13 + i] .. ':' .. ARGV[2], 0, ARGV[1])
          redis.call('ZADD', KEYS[13 + i], ARGV[2], ARGV[2])
          redis.call('HINCRBY', KEYS[15], s, 1)
        end
      end
      return 1
      """);

  private final StoreClient client;

  KeyMigration(StoreClient client) {
    this.client = client;
  }

  /** Moves what is in the old layout, if anything; the number of rooms moved. */
  Future<Long> run() {
    return client.send("layout", Request.cmd(Command.GET).arg(LAYOUT_KEY)).compose(v -> {
      if (v != null && LAYOUT.equals(v.toString())) {
        return Future.succeededFuture(0L);
      }
      if (client.cluster()) {
        // the old layout never ran on a Redis Cluster (its scripts were multi-slot): nothing to move
        return client.send("layout", Request.cmd(Command.SET).arg(LAYOUT_KEY).arg(LAYOUT)).map(0L);
      }
      return moveRooms("0", 0L)
          .compose(n -> dropOld("0").map(n))
          .compose(n -> client.send("layout", Request.cmd(Command.SET).arg(LAYOUT_KEY).arg(LAYOUT)).map(n))
          .onSuccess(n -> {
            if (n > 0) {
              LOG.info("moved {} rooms to the key layout of slot groups ({} = {})", n, LAYOUT_KEY, LAYOUT);
            }
          });
    });
  }

  private Future<Long> moveRooms(String cursor, long moved) {
    return scan(cursor, "lr:r:*").compose(page -> {
      List<Request> reqs = new ArrayList<>();
      for (Response k : page.get(1)) {
        reqs.add(move(k.toString().substring("lr:r:".length())));
      }
      Future<Long> done = reqs.isEmpty() ? Future.succeededFuture(0L) : client.batch("migrate", reqs).map(rs -> {
        long n = 0;
        for (Response r : rs) {
          n += r.toLong();
        }
        return n;
      });
      String next = page.get(0).toString();
      return done.compose(n -> "0".equals(next) ? Future.succeededFuture(moved + n) : moveRooms(next, moved + n));
    });
  }

  static Request move(String id) {
    Request r = Request.cmd(Command.EVAL).arg(MOVE.source()).arg(15 + RoomState.values().length);
    for (String kind : KINDS) {
      r.arg("lr:" + kind + ":" + id);
    }
    r.arg(RoomKeys.roomKey(id)).arg(RoomKeys.historyKey(id)).arg(RoomKeys.replayKey(id))
        .arg(RoomKeys.moderationKey(id)).arg(RoomKeys.auditKey(id)).arg(RoomKeys.idempotencyKey(id))
        .arg(RoomKeys.idempotencyTimesKey(id));
    int g = RoomKeys.groupOf(id);
    r.arg(RoomKeys.countKey(g));
    for (RoomState st : RoomState.values()) {
      r.arg(RoomKeys.bucketSetKey(st, g));
    }
    r.arg(id).arg(RoomKeys.bucketOf(id));
    for (RoomState st : RoomState.values()) {
      r.arg(st.wire());
    }
    return r;
  }

  /** Deletes the old index ({@code lr:ix:*}), counts and claim log. */
  private Future<Void> dropOld(String cursor) {
    return scan(cursor, "lr:ix:*").compose(page -> {
      Request del = Request.cmd(Command.DEL);
      boolean any = false;
      for (Response k : page.get(1)) {
        del.arg(k.toString());
        any = true;
      }
      Future<?> done = any ? client.send("migrate", del) : Future.succeededFuture();
      String next = page.get(0).toString();
      return done.compose(x -> "0".equals(next)
          ? client.send("migrate", Request.cmd(Command.DEL).arg("lr:count").arg("lr:claims")).<Void>mapEmpty()
          : dropOld(next));
    });
  }

  private Future<Response> scan(String cursor, String pattern) {
    return client.send("migrate", Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT")
        .arg(SCAN));
  }
}
