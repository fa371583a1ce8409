package io.liveroom.shard;

import io.liveroom.NodeServices;
import io.liveroom.protocol.BusErrors;
import io.liveroom.protocol.ErrorCode;
import io.liveroom.protocol.LiveroomException;
import io.liveroom.protocol.RoomCommand;
import io.liveroom.protocol.RoomView;
import io.liveroom.protocol.RtReply;
import io.liveroom.protocol.RtRequest;
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

  public Future<RoomView> request(RoomCommand cmd) {
    return request(cmd.roomId(), cmd);
  }

  public Future<RtReply> request(RtRequest req) {
    return request(req.roomId(), req);
  }

  private <T> Future<T> request(String roomId, Object cmd) {
    Promise<T> promise = Promise.promise();
    attempt(roomId, cmd, 0, System.nanoTime(), promise);
    return promise.future();
  }

  private <T> void attempt(String roomId, Object cmd, int n, long start, Promise<T> promise) {
    Ownership.Target target = node.ownership().resolve(roomId);
    if (target == null) {
      retry(roomId, cmd, n, start, promise, "no_owner");
      return;
    }
    vertx.eventBus().<T>request(target.address(), cmd, delivery).onComplete(ar -> {
      if (ar.succeeded()) {
        promise.complete(ar.result().body());
        return;
      }
      if (!(ar.cause() instanceof ReplyException re)) {
        promise.fail(new LiveroomException(ErrorCode.INTERNAL, "internal error"));
        return;
      }
      LiveroomException clientError = BusErrors.toClient(re);
      if (clientError != null) {
        promise.fail(clientError);
      } else {
        retry(roomId, cmd, n, start, promise, re.failureType() == ReplyFailure.NO_HANDLERS ? "no_handler" : "moved");
      }
    });
  }

  private <T> void retry(String roomId, Object cmd, int n, long start, Promise<T> promise, String reason) {
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
