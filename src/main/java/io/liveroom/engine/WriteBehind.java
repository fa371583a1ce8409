package io.liveroom.engine;

import io.liveroom.room.Danmaku;
import io.liveroom.room.Room;
import java.util.ArrayDeque;

/**
 * Accepted items waiting for their history append in Redis, bounded ({@code writeBehindMax}:
 * past it sends are refused), written at most {@link #IN_FLIGHT} at a time, in order, and put
 * back first when a write fails (the writer then backs off). A room with items here is not
 * demoted. Plain Java: the verticle does the I/O.
 */
public final class WriteBehind {
  /** One item to append to its room's history. */
  public record Write(Room room, Danmaku item) {
  }

  static final int IN_FLIGHT = 128;

  private final int max;
  private final ArrayDeque<Write> queue = new ArrayDeque<>();
  private int inFlight;
  private boolean backoff;

  WriteBehind(int max) {
    this.max = max;
  }

  boolean full() {
    return queue.size() >= max;
  }

  void add(Room room, Danmaku item) {
    room.live().unwritten(1);
    queue.add(new Write(room, item));
  }

  /** The next write to start, or null when none may start now (backing off, enough in flight, none queued). */
  public Write next() {
    if (backoff || inFlight >= IN_FLIGHT || queue.isEmpty()) {
      return null;
    }
    inFlight++;
    return queue.poll();
  }

  public void written(Write w) {
    inFlight--;
    if (w.room().live() != null) {
      w.room().live().unwritten(-1);
    }
  }

  /** A write failed: it goes back to the front. True when this failure starts a back-off. */
  public boolean failed(Write w) {
    inFlight--;
    queue.addFirst(w);
    boolean starts = !backoff;
    backoff = true;
    return starts;
  }

  /** Ends a back-off: writes may start again. */
  public void resume() {
    backoff = false;
  }

  public boolean drained() {
    return queue.isEmpty() && inFlight == 0;
  }

  public int queued() {
    return queue.size();
  }
}
