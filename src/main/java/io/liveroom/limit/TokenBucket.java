package io.liveroom.limit;

/**
 * A token bucket: {@code ratePerSec} tokens a second up to {@code burst}. Not thread-safe: each
 * bucket belongs to one event loop (a connection's, or a room owner's).
 */
public final class TokenBucket {
  private final double ratePerMs;
  private final double burst;
  private double tokens;
  private long last;

  public TokenBucket(double ratePerSec, double burst, long now) {
    if (ratePerSec <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate must be > 0 and burst >= 1");
    }
    this.ratePerMs = ratePerSec / 1000.0;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes a token: 0 when granted, else how many milliseconds until one is available. */
  public long tryTake(long now) {
    refill(now);
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerMs));
  }

  /** Whether the bucket is full (unused for a while) at {@code now}; a full bucket can be forgotten. */
  public boolean full(long now) {
    refill(now);
    return tokens >= burst;
  }

  private void refill(long now) {
    if (now > last) {
      tokens = Math.min(burst, tokens + (now - last) * ratePerMs);
      last = now;
    }
  }
}
