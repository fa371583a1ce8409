package io.liveroom.engine;

/**
 * One sweep batch: rooms demoted because idle and because the instance was over its cap, idle
 * rooms kept because an operation or a history write was in flight, and whether the cycle has
 * rooms left to visit.
 */
public record SweepResult(int idle, int capped, int deferred, boolean more) {
  static final SweepResult NONE = new SweepResult(0, 0, 0, false);

  /** Rooms demoted, for either reason. */
  public int demoted() {
    return idle + capped;
  }
}
