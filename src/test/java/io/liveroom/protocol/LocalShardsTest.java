package io.liveroom.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.liveroom.protocol.ShardReply.Position;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An edge's direct call of a shard instance on its node: on the owner's event loop, answered on the caller's, bounded. */
@ExtendWith(VertxExtension.class)
class LocalShardsTest {
  private static final String ADDRESS = "liveroom.shard.n1.0";

  /** Calls {@code shards} from {@code caller}'s event loop, as an edge instance does; notes where the answer came. */
  private static Future<ShardReply> request(Vertx vertx, Context caller, LocalShards shards, ShardCommand<?> cmd,
                                            long timeoutMs, AtomicReference<Context> answeredOn) {
    Promise<ShardReply> p = Promise.promise();
    caller.runOnContext(v -> {
      Future<ShardReply> f = shards.request(vertx, ADDRESS, cmd, timeoutMs);
      if (f == null) {
        p.fail("no local instance");
      } else {
        f.onComplete(ar -> {
          answeredOn.set(Vertx.currentContext());
          p.handle(ar);
        });
      }
    });
    return p.future();
  }

  @Test
  void aCommandRunsOnTheOwnersEventLoopAndIsAnsweredOnTheCallers(Vertx vertx) {
    LocalShards shards = new LocalShards();
    Context owner = vertx.getOrCreateContext();
    Context edge = vertx.getOrCreateContext();
    AtomicReference<Context> ranOn = new AtomicReference<>();
    ShardCommand.Get get = new ShardCommand.Get("room-1");
    AtomicReference<ShardCommand<?>> received = new AtomicReference<>();
    shards.register(ADDRESS, owner, (cmd, reply) -> {
      ranOn.set(Vertx.currentContext());
      received.set(cmd);
      reply.accept(new Position(1, 7));
    });
    AtomicReference<Context> answeredOn = new AtomicReference<>();
    assertEquals(new Position(1, 7), request(vertx, edge, shards, get, 5000, answeredOn).await());
    assertSame(owner, ranOn.get());
    assertSame(get, received.get(), "handed over as it is");
    assertSame(edge, answeredOn.get(), "answered on the caller's context");

    shards.unregister(ADDRESS);
    assertNull(shards.request(vertx, ADDRESS, get, 5000), "no instance here: the caller uses the event bus");
  }

  @Test
  void anOwnerThatDoesNotAnswerTimesOutAsAnEventBusRequest(Vertx vertx) {
    LocalShards shards = new LocalShards();
    shards.register(ADDRESS, vertx.getOrCreateContext(), (cmd, reply) -> {
    });
    Context edge = vertx.getOrCreateContext();
    AtomicReference<Context> answeredOn = new AtomicReference<>();
    Throwable e = request(vertx, edge, shards, new ShardCommand.Get("room-1"), 200, answeredOn)
        .transform(ar -> Future.succeededFuture(ar.cause())).await();
    assertEquals(ReplyFailure.TIMEOUT, assertInstanceOf(ReplyException.class, e).failureType());
    assertSame(edge, answeredOn.get());
  }
}
