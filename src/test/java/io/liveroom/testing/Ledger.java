package io.liveroom.testing;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a test's clients know about the rooms: every acknowledged send (room, epoch, seq, text),
 * every item any client received (pushes and join history), and every (epoch, seq) that was
 * ever seen with two different texts. Thread-safe: the clients report from event loops.
 */
public final class Ledger {
  /** A position in a room: epoch of the owner that sequenced it, and seq within that epoch. */
  public record Pos(long epoch, long seq) implements Comparable<Pos> {
    @Override
    public int compareTo(Pos o) {
      return epoch != o.epoch ? Long.compare(epoch, o.epoch) : Long.compare(seq, o.seq);
    }

    @Override
    public String toString() {
      return "(" + epoch + "," + seq + ")";
    }
  }

  /** An acknowledged send: where the owner put it, and when the ack came (System.nanoTime). */
  public record Ack(String room, Pos pos, String text, String client, long atNanos) {
  }

  private final List<Ack> acks = new ArrayList<>();
  /** Every (room, pos) with the text first seen there, from acks, deliveries and history reads. */
  private final Map<String, Map<Pos, String>> texts = new HashMap<>();
  /** Items some client received, per room. */
  private final Map<String, Map<Pos, String>> delivered = new HashMap<>();
  private final List<String> conflicts = new ArrayList<>();
  private final Map<String, Integer> refusals = new TreeMap<>();
  private int unknownOutcome;

  public synchronized void acked(String room, long epoch, long seq, String text, String client) {
    Pos p = new Pos(epoch, seq);
    acks.add(new Ack(room, p, text, client, System.nanoTime()));
    record(room, p, text, "ack to " + client);
  }

  public synchronized void delivered(String room, long epoch, long seq, String text, String client) {
    Pos p = new Pos(epoch, seq);
    delivered.computeIfAbsent(room, k -> new HashMap<>()).putIfAbsent(p, text);
    record(room, p, text, "delivery to " + client);
  }

  /** An item found in the server's history (e.g. the Redis stream), checked for conflicts too. */
  public synchronized void inHistory(String room, long epoch, long seq, String text, String where) {
    record(room, new Pos(epoch, seq), text, where);
  }

  private void record(String room, Pos p, String text, String source) {
    String before = texts.computeIfAbsent(room, k -> new HashMap<>()).putIfAbsent(p, text);
    if (before != null && !before.equals(text) && conflicts.size() < 100) {
      conflicts.add("room " + room + " " + p + ": '" + before + "' and '" + text + "' (" + source + ")");
    }
  }

  public synchronized void refused(String code) {
    refusals.merge(code, 1, Integer::sum);
  }

  /** A send whose reply never came (its connection closed first): it may or may not have been applied. */
  public synchronized void unknown(int n) {
    unknownOutcome += n;
  }

  public synchronized List<Ack> acks() {
    return new ArrayList<>(acks);
  }

  public synchronized List<Ack> acks(String room) {
    return acks.stream().filter(a -> a.room().equals(room)).toList();
  }

  public synchronized boolean wasDelivered(String room, Pos p, String text) {
    Map<Pos, String> m = delivered.get(room);
    return m != null && text.equals(m.get(p));
  }

  public synchronized int deliveredCount() {
    return delivered.values().stream().mapToInt(Map::size).sum();
  }

  public synchronized List<String> conflicts() {
    return new ArrayList<>(conflicts);
  }

  public synchronized Map<String, Integer> refusals() {
    return new LinkedHashMap<>(refusals);
  }

  /** The refusals whose error code is not {@code UNAVAILABLE} (the one a client retries). */
  public synchronized List<String> notRetryable() {
    return refusals.keySet().stream().filter(k -> !refusalCode(k).equals("UNAVAILABLE")).toList();
  }

  /** The code of a refusal key ({@code send:CODE (message)}). */
  static String refusalCode(String refusal) {
    String s = refusal.substring(refusal.indexOf(':') + 1);
    int space = s.indexOf(' ');
    return space < 0 ? s : s.substring(0, space);
  }

  public synchronized int unknownOutcome() {
    return unknownOutcome;
  }

  /** Reads an item JSON of the wire or the Redis stream: text, seq and (when present) epoch. */
  public static Pos posOf(JsonObject item, long defaultEpoch) {
    return new Pos(item.getLong("epoch", defaultEpoch), item.getLong("seq"));
  }
}
