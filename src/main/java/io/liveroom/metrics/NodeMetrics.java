package io.liveroom.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * liveroom's own meters. Labels are bounded sets (operation, outcome, reason), never a room id
 * or a user id.
 */
public final class NodeMetrics {
  private final MeterRegistry registry;
  private final AtomicLong roomsHot = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong roomsStored = new AtomicLong(-1);
  private final AtomicLong webhooksQueued = new AtomicLong();
  private final AtomicLong roomsOverCap = new AtomicLong();
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final Timer hydrationLatency;
  private final Timer sweepDuration;
  private final Timer fanoutLatency;
  private final Counter messagesIn;
  private final Counter messagesOut;
  private final Counter rawBytesPlain;
  private final Counter rawBytesDeflate;
  private java.util.function.LongSupplier freezeSource;

  public NodeMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("liveroom.rooms.hot", roomsHot, AtomicLong::get)
        .description("Rooms held in memory by this node's shards").register(registry);
    Gauge.builder("liveroom.rooms.over.cap", roomsOverCap, AtomicLong::get)
        .description("Hot rooms over the cap's low-water mark that the last sweep could not demote: members, "
            + "items in flight, an empty-room timeout or an operation kept them").register(registry);
    Gauge.builder("liveroom.connections", connections, AtomicLong::get)
        .description("Real-time connections open on this node").register(registry);
    Gauge.builder("liveroom.rooms.stored", roomsStored, AtomicLong::get)
        .description("Rooms in Redis, hot or cold, cluster-wide (-1 until Redis answered)").register(registry);
    Gauge.builder("liveroom.webhooks.queue", webhooksQueued, AtomicLong::get)
        .description("Webhook deliveries waiting or in flight on this node, all URLs together").register(registry);
    hydrationLatency = Timer.builder("liveroom.rooms.hydration.latency")
        .description("Time to load a cold room from Redis").publishPercentileHistogram().register(registry);
    messagesIn = Counter.builder("liveroom.messages.in").description("Items accepted by this node's shards")
        .register(registry);
    messagesOut = Counter.builder("liveroom.messages.out").description("Push frames written to sockets by this node's edges")
        .register(registry);
    rawBytesPlain = rawBytes(registry, "plain");
    rawBytesDeflate = rawBytes(registry, "deflate");
    fanoutLatency = Timer.builder("liveroom.fanout.latency")
        .description("From an owner accepting a room's oldest item in a frame to an edge having written the frame "
            + "to its sockets (wall clocks of two nodes)")
        .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
        .maximumExpectedValue(java.time.Duration.ofSeconds(10)).register(registry);
    sweepDuration = Timer.builder("liveroom.sweep.duration")
        .description("One sweep over this node's shard instances").register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public long roomsHot() {
    return roomsHot.get();
  }

  public void roomsHot(int delta) {
    roomsHot.addAndGet(delta);
  }

  /**
   * Registers {@code liveroom_build_info}, always 1: what this node runs, as labels (liveroom's
   * version, the Java feature version, the Vert.x version), one series per node.
   */
  public void buildInfo(String version, int javaFeature, String vertxVersion) {
    Gauge.builder("liveroom.build.info", () -> 1)
        .description("Always 1; the labels say which liveroom, Java and Vert.x this node runs")
        .tags("version", version, "java", Integer.toString(javaFeature), "vertx", vertxVersion)
        .register(registry);
  }

  /** Registers the gauge of this node's cap on hot rooms ({@code sweeper.maxHotRooms}; 0: none, or no sweeper role). */
  public void hotRoomsCap(int cap) {
    Gauge.builder("liveroom.rooms.hot.cap", () -> cap)
        .description("This node's ceiling on hot rooms (sweeper.maxHotRooms); 0 when there is none").register(registry);
  }

  /** A shard instance's count of hot rooms kept over its cap changed by {@code delta}. */
  public void roomsOverCap(int delta) {
    roomsOverCap.addAndGet(delta);
  }

  /** Registers the partitions-owned gauge, read from the partition table at scrape time. */
  public void partitionsOwned(java.util.function.IntSupplier owned) {
    Gauge.builder("liveroom.partitions.owned", owned::getAsInt)
        .description("Hazelcast partitions (room shards) this node owns").register(registry);
  }

  /** Registers the freezes counter: times this process was found frozen past half the failure-detection timeout. */
  public void freezes(java.util.function.LongSupplier n) {
    // the meter holds its state object weakly: keep it here, or it is collected and reads 0
    freezeSource = n;
    io.micrometer.core.instrument.FunctionCounter.builder("liveroom.node.freezes", n, s -> s.getAsLong())
        .description("Times this process was frozen for more than half the failure-detection timeout").register(registry);
  }

  public void connections(int delta) {
    connections.addAndGet(delta);
  }

  public long connections() {
    return connections.get();
  }

  public void roomsStored(long n) {
    roomsStored.set(n);
  }

  public Timer sweepDuration() {
    return sweepDuration;
  }

  /** One frame with items written by an edge, {@code ms} after its oldest item was accepted. */
  public void fanoutLatency(long ms) {
    fanoutLatency.record(Math.max(0, ms), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  public Timer hydrationLatency() {
    return hydrationLatency;
  }

  /** A shard command handled: op is a {@code ShardCommand.op()}, outcome ok, moved or an error code. */
  public void shardCommand(String op, String outcome) {
    count("liveroom.shard.commands", "op", op, "outcome", outcome);
  }

  /** Rooms leaving memory: reason demoted, migrated or stale. */
  public void roomsDropped(String reason, int n) {
    if (n > 0) {
      counter("liveroom.rooms.dropped", "reason", reason, null, null).increment(n);
    }
  }

  /** Rooms demoted to Redis by a sweep: reason {@code idle} (unused for idleAfterMs) or {@code cap} (over maxHotRooms). */
  public void demotions(String reason, int n) {
    if (n > 0) {
      counter("liveroom.rooms.demotions", "reason", reason, null, null).increment(n);
    }
  }

  /** Idle rooms a sweep could not demote yet (an operation in flight, or sends whose append is in flight); a later sweep retries. */
  public void demotionsDeferred(String reason, int n) {
    if (n > 0) {
      counter("liveroom.rooms.demotions.deferred", "reason", reason, null, null).increment(n);
    }
  }

  /** A shard's sweep that did not run: {@code redis_down} (demotion waits for Redis). */
  public void sweepSkipped(String reason) {
    count("liveroom.sweep.skipped", "reason", reason, null, null);
  }

  public void hydration(String outcome) {
    count("liveroom.rooms.hydrations", "outcome", outcome, null, null);
  }

  /** An edge retried a room command: reason moved, no_owner or no_handler. */
  public void routingRetry(String reason) {
    count("liveroom.routing.retries", "reason", reason, null, null);
  }

  public void routingGaveUp() {
    count("liveroom.routing.unavailable", null, null, null, null);
  }

  /** A danmaku accepted and sequenced by an owner. */
  public void messageIn() {
    messagesIn.increment();
  }

  /** Push frames written to sockets by an edge. */
  public void deliveries(int n) {
    messagesOut.increment(n);
  }

  /**
   * Bytes of whole fan-out frames written to raw WebSocket sockets ({@code /rt/websocket}), headers
   * included, as {@code liveroom.fanout.raw.bytes{encoding}}: {@code plain}, or {@code deflate} for
   * sockets that agreed to permessage-deflate (those frames short of {@code rt.deflateMinBytes}
   * included). Bytes on the wire per delivery, compressed against plain.
   */
  public void rawFanoutBytes(long plain, long deflated) {
    if (plain > 0) {
      rawBytesPlain.increment(plain);
    }
    if (deflated > 0) {
      rawBytesDeflate.increment(deflated);
    }
  }

  private static Counter rawBytes(MeterRegistry registry, String encoding) {
    return Counter.builder("liveroom.fanout.raw.bytes").tag("encoding", encoding)
        .description("Bytes of whole fan-out frames written to raw WebSockets, headers included").register(registry);
  }

  /** Items accepted by this node's shards since start. */
  public long messagesInTotal() {
    return (long) messagesIn.count();
  }

  /** Push frames written to sockets by this node's edges since start. */
  public long messagesOutTotal() {
    return (long) messagesOut.count();
  }

  /** Items not delivered: reason slow_consumer, overload or backlog. */
  public void dropped(String reason, int n) {
    counter("liveroom.messages.dropped", "reason", reason, null, null).increment(n);
  }

  /** A real-time connection admitted by an edge (past the per-address connect limit). */
  public void acceptedConnection() {
    count("liveroom.connections.accepted", null, null, null, null);
  }

  /**
   * Registers the gauge of vertx-web's SockJS session table: sessions of the HTTP transports
   * (xhr, eventsource...) that vertx-web keeps until their timeout. WebSocket sessions are not in it.
   */
  public void sockJsSessions(java.util.function.IntSupplier sessions) {
    Gauge.builder("liveroom.sockjs.sessions", sessions::getAsInt)
        .description("SockJS sessions of the HTTP transports held by vertx-web on this node").register(registry);
  }

  /**
   * An owner asked an edge for a room's full member list at a presence refresh: reason differs
   * (its copy of the edge did not match), not_live (a new owner) or not_owned (the room moved).
   */
  public void presenceFullRefresh(String reason) {
    count("liveroom.presence.full.refreshes", "reason", reason, null, null);
  }

  /** Connections refused or cut: reason ip_rate or slow_consumer. */
  public void rejectedConnection(String reason) {
    count("liveroom.connections.rejected", "reason", reason, null, null);
  }

  /** Connections closed ({@code bye} {@code TOKEN_EXPIRED}) because their token expired without a refresh. */
  public void tokensExpired(int n) {
    counter("liveroom.connections.expired", null, null, null, null).increment(n);
  }

  /** Fan-out bundles sent by owners to edge nodes. */
  public void bundleSent(int frames) {
    count("liveroom.fanout.bundles", null, null, null, null);
    counter("liveroom.fanout.frames", null, null, null, null).increment(frames);
  }

  /** Items appended to Redis before they are acknowledged: outcome ok or error. */
  public void historyWrite(String outcome) {
    count("liveroom.history.writes", "outcome", outcome, null, null);
  }

  /**
   * Webhook deliveries by outcome: delivered (2xx), retried (an attempt failed and will be
   * retried), rejected (another status: dropped), exhausted (webhooks.maxAttempts reached),
   * overflow (the oldest dropped from a full queue) or shutdown (dropped when the node stopped).
   */
  public void webhook(String outcome, int n) {
    if (n > 0) {
      counter("liveroom.webhooks.sent", "outcome", outcome, null, null).increment(n);
    }
  }

  /** Deliveries waiting or in flight: +1 per event and URL queued, -1 when it left for good. */
  public void webhooksQueued(int delta) {
    webhooksQueued.addAndGet(delta);
  }

  public long webhooksQueued() {
    return webhooksQueued.get();
  }

  private void count(String name, String k1, String v1, String k2, String v2) {
    counter(name, k1, v1, k2, v2).increment();
  }

  private Counter counter(String name, String k1, String v1, String k2, String v2) {
    String key = name + '|' + v1 + '|' + v2;
    return counters.computeIfAbsent(key, k -> {
      Counter.Builder b = Counter.builder(name);
      if (k1 != null) {
        b.tag(k1, v1);
      }
      if (k2 != null) {
        b.tag(k2, v2);
      }
      return b.register(registry);
    });
  }
}
