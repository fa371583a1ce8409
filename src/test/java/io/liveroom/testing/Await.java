package io.liveroom.testing;

import io.vertx.core.Context;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * How tests wait: for a condition, with a deadline and a message naming what is awaited; for a
 * named quiet period, when a test checks that something does <em>not</em> happen; or to pace a
 * load loop. Every wait in the tests goes through here, on the test thread (never an event loop).
 */
public final class Await {
  private static final long POLL_MS = 50;

  private Await() {
  }

  /** Polls {@code check} until it holds; fails naming {@code what} when {@code timeout} passes first. */
  public static void until(BooleanSupplier check, Duration timeout, String what) {
    until(check, timeout, () -> what);
  }

  /** The same, with a description made at the deadline (so it can show the state at that time). */
  public static void until(BooleanSupplier check, Duration timeout, Supplier<String> what) {
    if (!within(check, timeout)) {
      throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what.get());
    }
  }

  /**
   * Polls {@code check} until it holds (true) or {@code timeout} passes (false), for a wait whose
   * outcome the caller then asserts or reports with more detail than a timeout message.
   */
  public static boolean within(BooleanSupplier check, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!check.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      pause(POLL_MS, "a condition");
    }
    return true;
  }

  /**
   * A bounded wait in which {@code nothingHappened} must keep holding: for checks that something
   * does not happen (no second delivery, no retry). Fails at once, naming {@code what}, when it
   * stops holding.
   */
  public static void quietPeriod(Duration period, String what, BooleanSupplier nothingHappened) {
    long end = System.nanoTime() + period.toNanos();
    do {
      if (!nothingHappened.getAsBoolean()) {
        throw new AssertionError("during a quiet period of " + period.toMillis() + " ms: expected " + what);
      }
      pause(Math.min(POLL_MS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))), what);
    } while (System.nanoTime() - end < 0);
    if (!nothingHappened.getAsBoolean()) {
      throw new AssertionError("at the end of a quiet period of " + period.toMillis() + " ms: expected " + what);
    }
  }

  /**
   * A bounded wait with nothing to poll, after which the caller checks that nothing happened;
   * {@code why} says what would have shown by then.
   */
  public static void quietPeriod(Duration period, String why) {
    pause(period.toMillis(), why);
  }

  /** The gap between two steps of a load or sampling loop (rate control, not synchronisation). */
  public static void pace(Duration interval) {
    pause(interval.toMillis(), "pacing");
  }

  private static void pause(long ms, String what) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("a test waits on an event loop (" + what + "): that blocks it");
    }
    try {
      // the one place a test thread sleeps: between two polls, in a quiet period, or pacing a loop
      TimeUnit.MILLISECONDS.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }
}
