package io.liveroom.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Sending a batch again while a Redis Cluster moves its slots. During a slot move Redis answers a
 * command it will not run with {@code ASK} (its keys went to the importing master), {@code
 * TRYAGAIN} (a multi-key command whose keys are split between the two masters, or not all there
 * yet) or, once the slot has moved, {@code MOVED}; {@code CLUSTERDOWN} while the cluster heals.
 * vertx-redis-client follows these for a command sent alone, not for a batch: a batch fails with
 * one {@code ERR [i] <error>} line per failed command. Only batches whose every command may run
 * twice (reads, idempotent writes) are sent again this way, as the commands of the batch that
 * did not fail ran. Bounded: {@link #ATTEMPTS} sends, {@link #backoffMs} apart.
 */
final class ClusterRetry {
  /** Sends at most, the first included: the waits add up to 1.3 s, past which a slot move is too slow to wait out. */
  static final int ATTEMPTS = 8;
  private static final Set<String> KINDS = Set.of("ASK", "MOVED", "TRYAGAIN", "CLUSTERDOWN");

  private ClusterRetry() {
  }

  /** Whether {@code e} says only that the cluster redirected or postponed commands (none failed otherwise). */
  static boolean redirectedOnly(Throwable e) {
    String m = e == null ? null : e.getMessage();
    if (m == null || m.isBlank()) {
      return false;
    }
    for (String line : m.split("\\R")) {
      String error = line;
      if (error.startsWith("ERR [")) { // a batch's failed command: ERR [<index>] <error>
        int end = error.indexOf("] ");
        if (end < 0) {
          return false;
        }
        error = error.substring(end + 2);
      }
      int space = error.indexOf(' ');
      if (!KINDS.contains(space < 0 ? error : error.substring(0, space))) {
        return false;
      }
    }
    return true;
  }

  /** The wait before send {@code attempt + 1} (attempt 1 is the first send): 10 ms doubling, at most 640 ms. */
  static long backoffMs(int attempt) {
    return 10L << Math.min(attempt - 1, 6);
  }

  /** {@code call}, made again after a backoff while it fails with redirections only, {@link #ATTEMPTS} times at most. */
  static <T> Future<T> retry(Vertx vertx, Supplier<Future<T>> call) {
    Promise<T> result = Promise.promise();
    attempt(vertx, call, 1, result);
    return result.future();
  }

  private static <T> void attempt(Vertx vertx, Supplier<Future<T>> call, int attempt, Promise<T> result) {
    call.get().onComplete(ar -> {
      if (ar.failed() && attempt < ATTEMPTS && redirectedOnly(ar.cause())) {
        vertx.setTimer(backoffMs(attempt), t -> attempt(vertx, call, attempt + 1, result));
      } else {
        result.handle(ar);
      }
    });
  }
}
