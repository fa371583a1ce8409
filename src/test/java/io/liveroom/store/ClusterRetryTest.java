package io.liveroom.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which failures of a Redis Cluster batch are sent again, and how often: the error texts are the
 * ones Redis 7 and vertx-redis-client 5 give (a batch joins its failed commands' errors, one
 * {@code ERR [i] <error>} line each).
 */
class ClusterRetryTest {
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void redirectionsAndTryAgainAreRetriedOtherErrorsAreNot() {
    assertTrue(ClusterRetry.redirectedOnly(new Exception("MOVED 4640 127.0.0.1:26944")));
    assertTrue(ClusterRetry.redirectedOnly(new Exception("ERR [0] ASK 4640 127.0.0.1:26944")));
    assertTrue(ClusterRetry.redirectedOnly(new Exception("ERR [0] TRYAGAIN Multiple keys request during rehashing of slot")));
    assertTrue(ClusterRetry.redirectedOnly(new Exception("ERR [1] MOVED 91 127.0.0.1:1\nERR [3] ASK 91 127.0.0.1:2")));
    assertTrue(ClusterRetry.redirectedOnly(new Exception("ERR [2] CLUSTERDOWN The cluster is down")));

    // one command failed for another reason: the batch's failure stands
    assertFalse(ClusterRetry.redirectedOnly(new Exception("ERR [0] MOVED 91 127.0.0.1:1\nERR [1] WRONGTYPE Operation")));
    assertFalse(ClusterRetry.redirectedOnly(new Exception("ERR [0] NOSCRIPT No matching script")));
    assertFalse(ClusterRetry.redirectedOnly(new Exception("Connection is closed")));
    assertFalse(ClusterRetry.redirectedOnly(new Exception("ERR [0")));
    assertFalse(ClusterRetry.redirectedOnly(new Exception("")));
    assertFalse(ClusterRetry.redirectedOnly(new Exception((String) null)));
    assertFalse(ClusterRetry.redirectedOnly(null));
  }

  @Test
  void backoffDoublesFromTenMsUpTo640AndTheWaitsStayUnderOnePointFiveSeconds() {
    List<Long> waits = new ArrayList<>();
    for (int attempt = 1; attempt < ClusterRetry.ATTEMPTS; attempt++) {
      waits.add(ClusterRetry.backoffMs(attempt));
    }
    assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 320L, 640L), waits);
    assertEquals(640L, ClusterRetry.backoffMs(20));
  }

  @Test
  void aBatchIsSentAgainUntilItIsServed() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String result = ClusterRetry.retry(vertx, () -> calls.incrementAndGet() < 3
        ? Future.<String>failedFuture("ERR [0] TRYAGAIN Multiple keys request during rehashing of slot")
        : Future.succeededFuture("served")).await(5, TimeUnit.SECONDS);
    assertEquals("served", result);
    assertEquals(3, calls.get());
  }

  @Test
  void anotherErrorIsNotRetriedAndRedirectionsStopAfterTheLastAttempt() {
    AtomicInteger calls = new AtomicInteger();
    Future<String> other = ClusterRetry.retry(vertx, () -> {
      calls.incrementAndGet();
      return Future.failedFuture("ERR [0] WRONGTYPE Operation against a key holding the wrong kind of value");
    });
    assertEquals("ERR [0] WRONGTYPE Operation against a key holding the wrong kind of value",
        awaitFailure(other).getMessage());
    assertEquals(1, calls.get());

    AtomicInteger moved = new AtomicInteger();
    Future<String> always = ClusterRetry.retry(vertx, () -> {
      moved.incrementAndGet();
      return Future.failedFuture("ERR [0] MOVED 91 127.0.0.1:1");
    });
    assertEquals("ERR [0] MOVED 91 127.0.0.1:1", awaitFailure(always).getMessage());
    assertEquals(ClusterRetry.ATTEMPTS, moved.get());
  }

  private static Throwable awaitFailure(Future<?> f) {
    try {
      f.await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      assertTrue(f.failed(), "failed, not timed out: " + e);
      return f.cause();
    }
    throw new AssertionError("expected a failure, got " + f.result());
  }
}
