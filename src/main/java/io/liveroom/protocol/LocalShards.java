package io.liveroom.protocol;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The shard instances of this node by their event-bus address, so that an edge reaches a room
 * owner on its own node without the clustered event bus (its serializer queue, node selection,
 * message objects and a reply handler registered under a random address per request), still on
 * the owner's event loop and bounded by the same timeout. An instance is here from its start
 * until its stop begins; then commands go to the event bus again, which finds no handler, and the
 * edge retries as for any owner that went away. A command is handed over as it is, as the event
 * bus does for a local consumer (the codecs' {@code transform} is the identity).
 */
public final class LocalShards {
  /** A shard instance's commands: each answered once, on the instance's event loop. */
  public interface Owner {
    void handle(ShardCommand<?> cmd, Consumer<ShardReply> reply);
  }

  private record Instance(Context context, Owner owner) {
  }

  private final ConcurrentHashMap<String, Instance> byAddress = new ConcurrentHashMap<>();

  /** From now on commands for {@code address} run on {@code context}, through {@code owner}. */
  public void register(String address, Context context, Owner owner) {
    byAddress.put(address, new Instance(context, owner));
  }

  public void unregister(String address) {
    byAddress.remove(address);
  }

  /**
   * The answer of the shard instance at {@code address}, completed on the caller's context, or
   * failed with a {@link ReplyException} of {@link ReplyFailure#TIMEOUT} after {@code timeoutMs}
   * as an event-bus request would be; null when no instance of this node serves that address.
   */
  public Future<ShardReply> request(Vertx vertx, String address, ShardCommand<?> cmd, long timeoutMs) {
    Instance to = byAddress.get(address);
    if (to == null) {
      return null;
    }
    Context caller = vertx.getOrCreateContext();
    Promise<ShardReply> answer = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, id -> answer.tryFail(new ReplyException(ReplyFailure.TIMEOUT,
        "Timed out after waiting " + timeoutMs + "(ms) for a reply. address: " + address)));
    to.context().runOnContext(v -> to.owner().handle(cmd, reply -> caller.runOnContext(x -> {
      vertx.cancelTimer(timer);
      answer.tryComplete(reply);
    })));
    return answer.future();
  }
}
