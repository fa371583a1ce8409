package io.liveroom.store;

import static io.liveroom.store.RoomKeys.roomKey;

import io.liveroom.room.RoomState;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads of the room index ({@code lr:{g}:ix:*}, {@code lr:{g}:count}; {@link RoomKeys}): listings in
 * pages, the stored data of a page's rooms, room counts. The index is written by the room
 * scripts of {@link RoomStore}; ids of rooms that expired leave it when a listing finds them gone.
 * Listings page in (group, bucket, id) order, and the cursor is the last id of a page (its bucket,
 * and so its slot group, follow from it). The index is split into {@link RoomKeys#GROUPS} slot
 * groups (each group's keys in one Redis Cluster hash slot): a page runs the page script on one
 * group after another, several groups a round trip, until it has its rooms.
 */
public final class RoomIndex {
  // one page of one slot group in (bucket, id) order. KEYS: the group's bucket sets, one per state.
  // ARGV: limit + 1, bucket after which to start, id after which to start within that bucket ('' for
  // none). Walks the non-empty buckets only; a bucket's name is its bucket set's name, ':', the bucket.
  private static final LuaScript PAGE = new LuaScript("page", """
      local want = tonumber(ARGV[1])
      local bucket = tonumber(ARGV[2])
      local after = ARGV[3]
      local out = {}
      local scans = 0
      while #out < want and scans <= want do
        scans = scans + 1
        local next = nil
        for s = 1, #KEYS do
          local b = redis.call('ZRANGEBYSCORE', KEYS[s], after == '' and '(' .. bucket or bucket, '+inf', 'LIMIT', 0, 1)
          if #b > 0 and (next == nil or tonumber(b[1]) < next) then next = tonumber(b[1]) end
        end
        if next == nil then break end
        if next ~= bucket then after = '' end
        local ids = {}
        for s = 1, #KEYS do
          local m = redis.call('ZRANGEBYLEX', KEYS[s] .. ':' .. next, after == '' and '-' or '(' .. after, '+')
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

  // KEYS: room, count, then the group's bucket sets (one per state). ARGV: id, bucket, then the states
  // (in the order of their bucket sets). Drops an expired room from the index.
  private static final LuaScript FORGET = new LuaScript("forget", """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      local n = 0
      for s = 3, #KEYS do
        local z = KEYS[s] .. ':' .. ARGV[2]
        if redis.call('ZREM', z, ARGV[1]) == 1 then
          n = n + 1
          redis.call('HINCRBY', KEYS[2], ARGV[s], -1)
          if redis.call('ZCARD', z) == 0 then redis.call('ZREM', KEYS[s], ARGV[2]) end
        end
      end
      return n
      """);

  /** Slot groups a page asks for in its first round trip; each further one asks for twice as many, up to the max. */
  private static final int FIRST_GROUPS = 4;
  private static final int MAX_GROUPS = 64;

  /** Ids of one page and whether more follow. */
  public record Page(List<String> ids, boolean more) {
  }

  private final StoreClient client;

  RoomIndex(StoreClient client) {
    this.client = client;
  }

  /**
   * One page of room ids after {@code afterId} (exclusive; null from the start), in (group,
   * bucket, id) order: stable, so a cursor walk sees every room that exists throughout it exactly once.
   */
  public Future<Page> page(RoomState state, String afterId, int limit) {
    List<RoomState> states = state != null ? List.of(state) : List.of(RoomState.values());
    int group = afterId == null ? 0 : RoomKeys.groupOf(afterId);
    return pageFrom(states, group, afterId, limit, new ArrayList<>(), FIRST_GROUPS)
        .map(ids -> new Page(ids.size() > limit ? List.copyOf(ids.subList(0, limit)) : ids, ids.size() > limit));
  }

  /** Adds the ids of groups {@code group..} to {@code out} until it holds {@code limit + 1} or the groups end. */
  private Future<List<String>> pageFrom(List<RoomState> states, int group, String afterId, int limit,
                                        List<String> out, int groups) {
    int n = Math.min(groups, RoomKeys.GROUPS - group);
    int want = limit + 1 - out.size();
    List<List<String>> keys = new ArrayList<>(n);
    List<List<String>> args = new ArrayList<>(n);
    for (int g = group; g < group + n; g++) {
      keys.add(pageKeys(states, g));
      boolean first = g == group && afterId != null;
      args.add(List.of(Integer.toString(want), first ? Integer.toString(RoomKeys.bucketOf(afterId)) : "-1",
          first ? afterId : ""));
    }
    return client.evalBatch(PAGE, keys, args).compose(rs -> {
      for (Response r : rs) {
        for (int i = 0; i < r.size() && out.size() <= limit; i++) {
          out.add(r.get(i).toString());
        }
      }
      if (out.size() > limit || group + n >= RoomKeys.GROUPS) {
        return Future.succeededFuture(out);
      }
      return pageFrom(states, group + n, null, limit, out, Math.min(groups * 2, MAX_GROUPS));
    });
  }

  /** Several rooms as stored (data, epoch, pinned item) in one round trip; missing rooms are left out. */
  public Future<List<RoomStore.Hydrated>> readAll(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> reqs = new ArrayList<>(ids.size());
    List<String> keys = new ArrayList<>(ids.size());
    for (String id : ids) {
      keys.add(roomKey(id));
      reqs.add(Request.cmd(Command.HGETALL).arg(roomKey(id)));
    }
    return client.batch("readAll", reqs, keys).map(rs -> {
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

  /** How many rooms exist (hot or cold, any state): the counts of every slot group, in one round trip. */
  public Future<Long> count() {
    List<Request> reqs = new ArrayList<>(RoomKeys.GROUPS);
    List<String> keys = new ArrayList<>(RoomKeys.GROUPS);
    for (int g = 0; g < RoomKeys.GROUPS; g++) {
      keys.add(RoomKeys.countKey(g));
      reqs.add(Request.cmd(Command.HVALS).arg(RoomKeys.countKey(g)));
    }
    return client.batch("count", reqs, keys).map(rs -> {
      long n = 0;
      for (Response r : rs) {
        for (Response v : r) {
          n += v.toLong();
        }
      }
      return n;
    });
  }

  /** Removes ids of expired rooms from the index (best effort; a later listing retries). */
  private void forget(List<String> ids) {
    List<Request> reqs = new ArrayList<>(ids.size());
    List<String> slotKeys = new ArrayList<>(ids.size());
    for (String id : ids) {
      List<String> keys = forgetKeys(id);
      slotKeys.add(keys.get(0));
      Request r = Request.cmd(Command.EVAL).arg(FORGET.source()).arg(keys.size());
      keys.forEach(r::arg);
      r.arg(id).arg(RoomKeys.bucketOf(id));
      for (RoomState st : RoomState.values()) {
        r.arg(st.wire());
      }
      reqs.add(r);
    }
    client.batchBestEffort("index cleanup", reqs, slotKeys);
  }

  /** The KEYS of the forget script for a room: all in the room's slot group. */
  static List<String> forgetKeys(String id) {
    int g = RoomKeys.groupOf(id);
    List<String> keys = new ArrayList<>(2 + RoomState.values().length);
    keys.add(roomKey(id));
    keys.add(RoomKeys.countKey(g));
    for (RoomState st : RoomState.values()) {
      keys.add(RoomKeys.bucketSetKey(st, g));
    }
    return keys;
  }

  /** The KEYS of the page script for {@code states} in slot group {@code group}. */
  static List<String> pageKeys(List<RoomState> states, int group) {
    List<String> keys = new ArrayList<>(states.size());
    for (RoomState st : states) {
      keys.add(RoomKeys.bucketSetKey(st, group));
    }
    return keys;
  }
}
