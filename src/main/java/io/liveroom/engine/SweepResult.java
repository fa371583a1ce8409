package io.liveroom.engine;

/**
 * One sweep batch: rooms demoted, idle rooms kept because an operation or a history write was in
 * flight, and whether the cycle has rooms left to visit.
 */
public record SweepResult(int demoted, int deferred, boolean more) {
  static final SweepResult NONE = new SweepResult(0, 0, false);
}
