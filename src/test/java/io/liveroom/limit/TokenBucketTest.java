package io.liveroom.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  @Test
  void aFullBucketGrantsItsBurstThenAsksToWait() {
    TokenBucket b = new TokenBucket(5, 3, 1000);
    assertEquals(0, b.tryTake(1000));
    assertEquals(0, b.tryTake(1000));
    assertEquals(0, b.tryTake(1000));
    assertEquals(200, b.tryTake(1000), "one token every 200 ms at 5/s");
    assertEquals(100, b.tryTake(1100));
    assertEquals(0, b.tryTake(1200));
  }

  @Test
  void tokensRefillUpToTheBurstOnly() {
    TokenBucket b = new TokenBucket(10, 2, 0);
    b.tryTake(0);
    b.tryTake(0);
    assertFalse(b.full(50));
    assertTrue(b.full(10_000));
    assertEquals(0, b.tryTake(10_000));
    assertEquals(0, b.tryTake(10_000));
    assertTrue(b.tryTake(10_000) > 0, "no more than the burst after a long pause");
  }

  @Test
  void timeGoingBackwardsGrantsNothingExtra() {
    TokenBucket b = new TokenBucket(1, 1, 5000);
    assertEquals(0, b.tryTake(5000));
    assertTrue(b.tryTake(4000) > 0);
  }

  @Test
  void nonsenseLimitsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0, 0));
  }
}
