package io.liveroom.store;

import static io.liveroom.store.RoomKeys.COUNT;
import static io.liveroom.store.RoomKeys.bucketOf;
import static io.liveroom.store.RoomKeys.roomKey;

import io.liveroom.room.RoomState;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads of the room index ({@code lr:ix:*}, {@code lr:count}; {@link RoomKeys}): listings in
 * pages, the stored data of a page's rooms, room counts. The index is written by the room
 * scripts of {@link RoomStore}; ids of rooms that expired leave it when a listing finds them gone.
 * Listings page in (bucket, id) order, and the cursor is the last id of a page (its bucket follows
 * from it).
 */
public final class RoomIndex {
  // one page in (bucket, id) order. ARGV: limit + 1, bucket after which to start, id after which
  // to start within that bucket ('' for none), then the states. Walks the non-empty buckets only.
  private static final LuaScript PAGE = new LuaScript("page", """
      local want = tonumber(ARGV[1])
      local bucket = tonumber(ARGV[2])
      local after = ARGV[3]
      local out = {}
      local scans = 0
      while #out < want and scans <= want do
        scans = scans + 1
        local next = nil
        for s = 4, #ARGV do
          local b = redis.call('ZRANGEBYSCORE', 'lr:ix:' .. ARGV[s], after == '' and '(' .. bucket or bucket, '+inf',
            'LIMIT', 0, 1)
          if #b > 0 and (next == nil or tonumber(b[1]) < next) then next = tonumber(b[1]) end
        end
        if next == nil then break end
        if next ~= bucket then after = '' end
        local ids = {}
        for s = 4, #ARGV do
          local m = redis.call('ZRANGEBYLEX', 'lr:ix:' .. ARGV[s] .. ':' .. next, after == '' and '-' or '(' .. after,
            '+')
          for i = 1, #m do ids[#ids + 1] = m[i] end
        end
        table.sort(ids)
        for i = 1, #ids do
          if #out < want then out[#out + 1] = ids[i] end
        end
        bucket = next
        after = ''
      end
      return out
      """);

  // KEYS: room, count. ARGV: id, bucket, then the states. Drops an expired room from the index.
  private static final LuaScript FORGET = new LuaScript("forget", """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      local n = 0
      for s = 3, #ARGV do
        local z = 'lr:ix:' .. ARGV[s] .. ':' .. ARGV[2]
        if redis.call('ZREM', z, ARGV[1]) == 1 then
          n = n + 1
          redis.call('HINCRBY', KEYS[2], ARGV[s], -1)
          if redis.call('ZCARD', z) == 0 then redis.call('ZREM', 'lr:ix:' .. ARGV[s], ARGV[2]) end
        end
      end
      return n
      """);

  /** Ids of one page and whether more follow. */
  public record Page(List<String> ids, boolean more) {
  }

  private final StoreClient client;

  RoomIndex(StoreClient client) {
    this.client = client;
  }

  /**
   * One page of room ids after {@code afterId} (exclusive; null from the start), in (bucket, id)
   * order: stable, so a cursor walk sees every room that exists throughout it exactly once.
   */
  public Future<Page> page(RoomState state, String afterId, int limit) {
    List<String> args = new ArrayList<>(8);
    args.add(Integer.toString(limit + 1));
    args.add(afterId == null ? "-1" : Integer.toString(bucketOf(afterId)));
    args.add(afterId == null ? "" : afterId);
    if (state != null) {
      args.add(state.wire());
    } else {
      for (RoomState st : RoomState.values()) {
        args.add(st.wire());
      }
    }
    return client.eval(PAGE, List.of(), args).map(r -> {
      List<String> ids = new ArrayList<>(Math.min(r.size(), limit));
      for (int i = 0; i < r.size() && i < limit; i++) {
        ids.add(r.get(i).toString());
      }
      return new Page(ids, r.size() > limit);
    });
  }

  /** Several rooms as stored (data, epoch, pinned item) in one round trip; missing rooms are left out. */
  public Future<List<RoomStore.Hydrated>> readAll(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> reqs = new ArrayList<>(ids.size());
    for (String id : ids) {
      reqs.add(Request.cmd(Command.HGETALL).arg(roomKey(id)));
    }
    return client.batch("readAll", reqs).map(rs -> {
      List<RoomStore.Hydrated> out = new ArrayList<>(ids.size());
      List<String> gone = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        Response r = rs.get(i);
        if (r != null && r.size() > 0) {
          out.add(RoomHash.decode(ids.get(i), r));
        } else {
          gone.add(ids.get(i));
        }
      }
      if (!gone.isEmpty()) {
        forget(gone);
      }
      return out;
    });
  }

  /** How many rooms exist (hot or cold, any state). */
  public Future<Long> count() {
    return client.send("count", Request.cmd(Command.HVALS).arg(COUNT)).map(r -> {
      long n = 0;
      for (Response v : r) {
        n += v.toLong();
      }
      return n;
    });
  }

  /** Removes ids of expired rooms from the index (best effort; a later listing retries). */
  private void forget(List<String> ids) {
    List<Request> reqs = new ArrayList<>(ids.size());
    for (String id : ids) {
      Request r = Request.cmd(Command.EVAL).arg(FORGET.source()).arg(2).arg(roomKey(id)).arg(COUNT).arg(id)
          .arg(bucketOf(id));
      for (RoomState st : RoomState.values()) {
        r.arg(st.wire());
      }
      reqs.add(r);
    }
    client.batchBestEffort("index cleanup", reqs);
  }
}
