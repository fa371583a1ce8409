package io.liveroom.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What Redis alone holds of a fault test's rooms, checked against the test's {@link Ledger}: the
 * history streams {@code lr:{g}:h:<room>} (every item with its stream id, whose millisecond part is
 * Redis's clock when the item was appended) and the claim logs {@code lr:{g}:claims} (which node took
 * which epoch of which room). Delivery to a client does not count as kept: an acknowledged item
 * is kept only if its room's stream has it at its (epoch, seq) with its text.
 *
 * <p>The ownership log is, per room and epoch, the node that claimed the epoch and the first and
 * last stream id of the items appended in it. The epoch fence means an epoch can append only
 * while it is the room's newest, and epochs only grow, so along a room's stream the epochs must
 * never go down: an epoch that appends after a newer one did means two owners accepted appends
 * at overlapping times ({@link #overlaps()}).
 */
public final class HistoryAudit {
  /** An item in a room's stream. */
  public record Stored(String room, Ledger.Pos pos, String text, String streamId) {
  }

  /** One epoch of a room: who claimed it (and when, Redis time), and the span of its appends. */
  public record EpochSpan(String room, long epoch, String node, long claimedMs, String firstId, String lastId,
                          int items) {
  }

  private final List<String> rooms;
  private final Map<String, List<Stored>> streams = new LinkedHashMap<>();
  /** room -> epoch -> (node id, claim ms). */
  private final Map<String, Map<Long, String[]>> claims = new HashMap<>();

  private HistoryAudit(List<String> rooms) {
    this.rooms = List.copyOf(rooms);
  }

  /** Reads the rooms' streams and the claim log now. */
  public static HistoryAudit read(ProcessCluster c, List<String> rooms) throws IOException {
    HistoryAudit a = new HistoryAudit(rooms);
    for (String room : rooms) {
      List<Stored> items = new ArrayList<>();
      for (ProcessCluster.StreamEntry e : c.historyEntries(room)) {
        JsonObject item = new JsonObject(e.fields().get("j"));
        items.add(new Stored(room, Ledger.posOf(item, -1), item.getString("text"), e.id()));
      }
      a.streams.put(room, items);
    }
    // each slot group has its claim log: read those of the rooms' groups, keeping the rooms' entries
    java.util.Set<Integer> groups = new java.util.TreeSet<>();
    rooms.forEach(room -> groups.add(io.liveroom.store.RoomKeys.groupOf(room)));
    List<ProcessCluster.StreamEntry> claims = new ArrayList<>();
    for (int g : groups) {
      claims.addAll(c.stream(io.liveroom.store.RoomKeys.claimsKey(g)));
    }
    for (ProcessCluster.StreamEntry e : claims) {
      a.claims.computeIfAbsent(e.fields().get("r"), k -> new HashMap<>())
          .put(Long.parseLong(e.fields().get("e")), new String[] {e.fields().get("n"), Long.toString(e.millis())});
    }
    return a;
  }

  /** Whether every acknowledged item of the ledger is in Redis (to poll on while appends may still land). */
  public boolean holdsEveryAck(Ledger ledger) {
    return missing(ledger).isEmpty();
  }

  /** Acknowledged items not in their room's stream at their (epoch, seq) with their text, described. */
  public List<String> missing(Ledger ledger) {
    Map<String, Map<Ledger.Pos, String>> at = new HashMap<>();
    streams.forEach((room, items) -> {
      Map<Ledger.Pos, String> m = new HashMap<>();
      items.forEach(s -> m.putIfAbsent(s.pos(), s.text()));
      at.put(room, m);
    });
    List<String> out = new ArrayList<>();
    for (Ledger.Ack a : ledger.acks()) {
      String text = at.getOrDefault(a.room(), Map.of()).get(a.pos());
      if (!a.text().equals(text)) {
        out.add(a.room() + " " + a.pos() + " '" + a.text() + "' acked to " + a.client()
            + (text == null ? ": not in Redis" : ": Redis has '" + text + "' there")
            + (ledger.wasDelivered(a.room(), a.pos(), a.text()) ? " (delivered, not stored)" : ""));
      }
    }
    return out;
  }

  /**
   * Hands every stored item to the ledger, which records any (room, epoch, seq) seen with two
   * different texts ({@link Ledger#conflicts()}), within Redis or between Redis and the acks.
   */
  public void feed(Ledger ledger) {
    streams.values().forEach(items -> items.forEach(s ->
        ledger.inHistory(s.room(), s.pos().epoch(), s.pos().seq(), s.text(), "redis stream " + s.streamId())));
  }

  /** Every (room, epoch, seq) that Redis holds more than once (same text or not), with its stream ids. */
  public List<String> duplicates() {
    List<String> out = new ArrayList<>();
    streams.forEach((room, items) -> {
      Map<Ledger.Pos, List<String>> ids = new LinkedHashMap<>();
      items.forEach(s -> ids.computeIfAbsent(s.pos(), k -> new ArrayList<>()).add(s.streamId() + " '" + s.text() + "'"));
      ids.forEach((p, at) -> {
        if (at.size() > 1) {
          out.add("room " + room + " " + p + " stored " + at.size() + " times: " + at);
        }
      });
    });
    return out;
  }

  /** The node that claimed {@code epoch} of {@code room} (creation or load), from the claim log; null if not logged. */
  public String claimedBy(String room, long epoch) {
    String[] claim = claims.getOrDefault(room, Map.of()).get(epoch);
    return claim == null ? null : claim[0];
  }

  /** The earliest claim time of the ownership log, 0 when none was logged: a time origin for {@link #formatLog}. */
  public long firstClaimMs() {
    return ownershipLog().stream().mapToLong(EpochSpan::claimedMs).filter(ms -> ms > 0).min().orElse(0);
  }

  /** Per room, its epochs in stream order, with their claims and spans. */
  public List<EpochSpan> ownershipLog() {
    List<EpochSpan> out = new ArrayList<>();
    for (String room : rooms) {
      Map<Long, List<Stored>> byEpoch = new TreeMap<>();
      streams.get(room).forEach(s -> byEpoch.computeIfAbsent(s.pos().epoch(), k -> new ArrayList<>()).add(s));
      byEpoch.forEach((epoch, items) -> {
        String[] claim = claims.getOrDefault(room, Map.of()).get(epoch);
        out.add(new EpochSpan(room, epoch, claim == null ? "?" : claim[0], claim == null ? -1 : Long.parseLong(claim[1]),
            items.get(0).streamId(), items.get(items.size() - 1).streamId(), items.size()));
      });
    }
    return out;
  }

  /**
   * Every place where a room's stream goes back to an older epoch after a newer one appended
   * (two epochs accepting appends at overlapping times), described with both epochs' spans.
   */
  public List<String> overlaps() {
    List<String> out = new ArrayList<>();
    Map<String, EpochSpan> spans = new HashMap<>();
    ownershipLog().forEach(s -> spans.put(s.room() + "/" + s.epoch(), s));
    for (String room : rooms) {
      long newest = Long.MIN_VALUE;
      for (Stored s : streams.get(room)) {
        if (s.pos().epoch() < newest) {
          out.add("room " + room + ": epoch " + s.pos().epoch() + " appended " + s.pos() + " at " + s.streamId()
              + " after epoch " + newest + " had appended; spans " + spans.get(room + "/" + s.pos().epoch()) + " and "
              + spans.get(room + "/" + newest));
        }
        newest = Math.max(newest, s.pos().epoch());
      }
    }
    return out;
  }

  /** Items in Redis, all rooms. */
  public int size() {
    return streams.values().stream().mapToInt(List::size).sum();
  }

  /**
   * The ownership log as a table, one line per (room, epoch): node (through {@code nodeName}),
   * claim time, first and last append (Redis ms, relative to {@code t0Ms}), items.
   */
  public String formatLog(Function<String, String> nodeName, long t0Ms) {
    StringBuilder sb = new StringBuilder(String.format("%-12s %6s %-22s %9s %9s %9s %6s%n", "room", "epoch", "node",
        "claimMs", "firstMs", "lastMs", "items"));
    for (EpochSpan s : ownershipLog()) {
      sb.append(String.format("%-12s %6d %-22s %9d %9d %9d %6d%n", s.room(), s.epoch(), nodeName.apply(s.node()),
          s.claimedMs() < 0 ? -1 : s.claimedMs() - t0Ms, millis(s.firstId()) - t0Ms, millis(s.lastId()) - t0Ms,
          s.items()));
    }
    return sb.toString();
  }

  private static long millis(String streamId) {
    return Long.parseLong(streamId.substring(0, streamId.indexOf('-')));
  }
}
