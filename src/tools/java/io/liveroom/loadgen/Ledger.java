package io.liveroom.loadgen;

import io.liveroom.store.RoomKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the failover scenario saw: every acknowledged item {@code (room, epoch, seq) -> text}
 * and every item a client received, in a push or in join history. An acknowledged item is lost
 * when no client received it and it is not in the room's Redis history stream
 * ({@code lr:h:<room>}, field {@code j}); an {@code (epoch, seq)} seen with two different texts
 * anywhere is a duplicate. Thread-safe: the connections' event loops record into it.
 */
final class Ledger {
  private final Map<String, Map<String, String>> acked = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> received = new ConcurrentHashMap<>();
  /** The first text seen for each (room, epoch, seq) from any source: acknowledgement, client or Redis. */
  private final Map<String, Map<String, String>> seen = new ConcurrentHashMap<>();
  private final Map<String, Boolean> conflicts = new ConcurrentHashMap<>();

  void acked(String room, long epoch, long seq, String text) {
    acked.computeIfAbsent(room, r -> new ConcurrentHashMap<>()).put(epoch + ":" + seq, text);
    see(room, epoch, seq, text);
  }

  void received(String room, long epoch, long seq, String text) {
    if (text != null) {
      received.computeIfAbsent(room, r -> new ConcurrentHashMap<>()).putIfAbsent(epoch + ":" + seq, text);
    }
    see(room, epoch, seq, text);
  }

  private void see(String room, long epoch, long seq, String text) {
    if (text == null) {
      return;
    }
    String key = epoch + ":" + seq;
    String before = seen.computeIfAbsent(room, r -> new ConcurrentHashMap<>()).putIfAbsent(key, text);
    if (before != null && !before.equals(text)) {
      conflicts.put(room + "|" + key, Boolean.TRUE);
    }
  }

  /** The outcome: acknowledged, lost, found only in Redis, and {@code (epoch, seq)} with two texts. */
  record Check(long acked, long lost, long onlyInRedis, long conflicts) {
  }

  /** Compares what clients received with the acknowledgements, and reads Redis for the rest. Blocks. */
  Check check(Vertx vertx, String redisUrl) {
    RedisConnection redis = Redis.createClient(vertx, redisUrl).connect().await();
    long total = 0;
    long lost = 0;
    long onlyInRedis = 0;
    try {
      for (Map.Entry<String, Map<String, String>> e : acked.entrySet()) {
        String room = e.getKey();
        Map<String, String> got = received.getOrDefault(room, Map.of());
        Response stream = redis.send(Request.cmd(Command.XRANGE).arg(RoomKeys.historyKey(room)).arg("-").arg("+")).await();
        Map<String, String> stored = new ConcurrentHashMap<>();
        if (stream != null) {
          for (Response entry : stream) {
            Response fields = entry.get(1);
            for (int i = 0; i + 1 < fields.size(); i += 2) {
              if ("j".equals(fields.get(i).toString())) {
                JsonObject it = new JsonObject(fields.get(i + 1).toString());
                String key = it.getLong("epoch") + ":" + it.getLong("seq");
                stored.put(key, it.getString("text"));
                see(room, it.getLong("epoch"), it.getLong("seq"), it.getString("text"));
              }
            }
          }
        }
        for (Map.Entry<String, String> a : e.getValue().entrySet()) {
          total++;
          if (a.getValue().equals(got.get(a.getKey()))) {
            continue;
          }
          if (a.getValue().equals(stored.get(a.getKey()))) {
            onlyInRedis++;
          } else {
            lost++;
          }
        }
      }
    } finally {
      redis.close();
    }
    return new Check(total, lost, onlyInRedis, conflicts.size());
  }
}
