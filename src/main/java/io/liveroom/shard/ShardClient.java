package io.liveroom.shard;

import io.liveroom.cluster.Ownership;
import io.liveroom.node.NodeServices;
import io.liveroom.error.ErrorCode;
import io.liveroom.error.LiveroomException;
import io.liveroom.protocol.ShardCommand;
import io.liveroom.protocol.ShardReply;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Sends room commands to the room's owner shard: resolve the partition owner, request with an
 * explicit timeout, and when the owner answers {@code MOVED} (or there is no owner or handler
 * yet, as during a migration) re-resolve and retry with backoff within
 * {@code shard.retryBudgetMs}; after that the answer is {@code UNAVAILABLE}. A timeout is not
 * retried: the command may have been applied.
 */
public final class ShardClient {
  private static final long FIRST_BACKOFF_MS = 10;
  private static final long MAX_BACKOFF_MS = 250;

  private final Vertx vertx;
  private final NodeServices node;
  private final DeliveryOptions delivery;
  private final long budgetNanos;

  public ShardClient(Vertx vertx, NodeServices node) {
    this.vertx = vertx;
    this.node = node;
    this.delivery = new DeliveryOptions().setSendTimeout(node.config().shard().requestTimeoutMs());
    this.budgetNanos = node.config().shard().retryBudgetMs() * 1_000_000L;
  }

  /** The owner's answer: the command's reply, or a failed future with the client-facing error. */
  public <R extends ShardReply> Future<R> request(ShardCommand<R> cmd) {
    Promise<R> promise = Promise.promise();
    attempt(cmd.roomId(), cmd, 0, System.nanoTime(), promise);
    return promise.future();
  }

  private <R extends ShardReply> void attempt(String roomId, ShardCommand<R> cmd, int n, long start,
                                              Promise<R> promise) {
    Ownership.Target target = node.ownership().resolve(roomId);
    if (target == null) {
      retry(roomId, cmd, n, start, promise, "no_owner");
      return;
    }
    vertx.eventBus().<ShardReply>request(target.address(), cmd, delivery).onComplete(ar -> {
      if (ar.failed()) {
        ReplyException re = ar.cause() instanceof ReplyException e ? e : null;
        if (re != null && re.failureType() == ReplyFailure.NO_HANDLERS) {
          retry(roomId, cmd, n, start, promise, "no_handler");
        } else if (re != null && re.failureType() == ReplyFailure.TIMEOUT) {
          promise.fail(new LiveroomException(ErrorCode.UNAVAILABLE, "the room's owner did not answer in time"));
        } else {
          promise.fail(new LiveroomException(ErrorCode.INTERNAL, "internal error"));
        }
        return;
      }
      ShardReply reply = ar.result().body();
      if (!(reply instanceof ShardReply.Refused refused)) {
        @SuppressWarnings("unchecked") // the owner answers a ShardCommand<R> with an R or a Refused
        R r = (R) reply;
        promise.complete(r);
      } else if (refused.code() == ErrorCode.MOVED) {
        retry(roomId, cmd, n, start, promise, "moved");
      } else {
        promise.fail(refused.toException());
      }
    });
  }

  private <R extends ShardReply> void retry(String roomId, ShardCommand<R> cmd, int n, long start, Promise<R> promise,
                                            String reason) {
    long delayMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(n, 5));
    if (System.nanoTime() - start + delayMs * 1_000_000L > budgetNanos) {
      node.metrics().routingGaveUp();
      promise.fail(new LiveroomException(ErrorCode.UNAVAILABLE,
          "room " + roomId + " has no reachable owner right now (" + reason + "); retry later"));
      return;
    }
    node.metrics().routingRetry(reason);
    vertx.setTimer(delayMs, id -> attempt(roomId, cmd, n + 1, start, promise));
  }
}
