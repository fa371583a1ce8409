package io.liveroom;

import io.liveroom.node.NodeHealth;
import io.liveroom.node.NodeServices;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.liveroom.cluster.ClusterConfig;
import io.liveroom.cluster.PauseGuard;
import io.liveroom.config.LiveroomConfig;
import io.liveroom.config.Role;
import io.liveroom.edge.EdgeVerticle;
import io.liveroom.filter.SensitiveWords;
import io.liveroom.metrics.NodeMetrics;
import io.liveroom.protocol.Codecs;
import io.liveroom.protocol.ShardControl;
import io.liveroom.room.RoomRules;
import io.liveroom.protocol.Addresses;
import io.liveroom.cluster.Ownership;
import io.liveroom.shard.ShardVerticle;
import io.liveroom.store.RoomStore;
import io.liveroom.sweep.SweeperVerticle;
import io.liveroom.webhook.WebhookVerticle;
import io.liveroom.webhook.Webhooks;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One liveroom node: a clustered Vert.x over Hazelcast running the roles its config names. Used
 * by {@link Main} and by tests, which start several nodes in one JVM.
 */
public final class Node {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  private final LiveroomConfig config;
  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final NodeServices services;
  private final PrometheusMeterRegistry registry;
  private final long startedAt = System.currentTimeMillis();
  private long healthTimer = -1;
  private final HazelcastClusterManager clusterManager;
  private final PauseGuard pauseGuard;
  private final java.util.List<String> edgeDeployments = new java.util.ArrayList<>();
  private final java.util.List<String> sweeperDeployments = new java.util.ArrayList<>();
  private final java.util.List<String> shardDeployments = new java.util.ArrayList<>();
  private final java.util.List<String> webhookDeployments = new java.util.ArrayList<>();
  private boolean healthRunning;
  /** Samples of (time ms, messages in, messages out), one per health check, for the rates in stats. */
  private final java.util.ArrayDeque<long[]> rateSamples = new java.util.ArrayDeque<>();
  private static final long RATE_WINDOW_MS = 10_000;
  /**
   * How long a starting node keeps trying Redis for its first step (the key layout) before it
   * gives up: Redis restarting beside it, or slow for a moment, is not a reason to exit.
   */
  static final long STARTUP_REDIS_WAIT_MS = 30_000;
  private boolean safeCheckRunning;

  private Node(LiveroomConfig config, Vertx vertx, HazelcastClusterManager cm, int failureTimeoutSec,
               PrometheusMeterRegistry registry) {
    this.config = config;
    this.vertx = vertx;
    this.clusterManager = cm;
    this.hazelcast = cm.getHazelcastInstance();
    this.registry = registry;
    this.pauseGuard = new PauseGuard(hazelcast, failureTimeoutSec);
    NodeMetrics metrics = new NodeMetrics(registry);
    this.services = new NodeServices(config, cm.getNodeId(), hazelcast, new Ownership(hazelcast, pauseGuard),
        new RoomStore(vertx, config.redis(), cm.getNodeId(), registry), new RoomRules(config.rooms().limits()), metrics,
        new NodeHealth(), new Webhooks(vertx, config.webhooks()),
        new SensitiveWords(vertx, config.filter().wordsFile(), config.filter().reloadMs()),
        new io.liveroom.limit.UserConnections());
    BuildInfo build = BuildInfo.current();
    metrics.buildInfo(build.version(), build.javaFeature(), build.vertxVersion());
    metrics.partitionsOwned(services.ownership()::ownedCount);
    // the sweeper enforces the cap: a shard node without that role has none
    metrics.hotRoomsCap(config.node().has(Role.SWEEPER) ? config.sweeper().maxHotRooms() : 0);
    metrics.freezes(pauseGuard::pauses);
    services.health().freeze(pauseGuard::problem);
  }

  /** Joins the cluster and deploys the configured roles; fails if any of it fails. */
  public static Future<Node> start(LiveroomConfig config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    com.hazelcast.config.Config hz = ClusterConfig.build(config);
    int failureTimeoutSec = PauseGuard.timeoutSec(hz);
    HazelcastClusterManager cm = new HazelcastClusterManager(hz);
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE,
            Label.POOL_NAME, Label.EB_SIDE)));
    // the event bus announces what it binds to: the pod IP and, in k8s, a fixed port the NetworkPolicy names
    options.getEventBusOptions().setHost(config.cluster().host()).setPort(config.cluster().eventBusPort());
    if (!config.cluster().eventBusPublicHost().isEmpty()) {
      // behind NAT or a proxy the others reach the event bus elsewhere than where it binds
      options.getEventBusOptions().setClusterPublicHost(config.cluster().eventBusPublicHost())
          .setClusterPublicPort(config.cluster().eventBusPublicPort());
    }
    options.setPreferNativeTransport(config.node().nativeTransport());
    // a blocked-thread warning comes with the blocked thread's stack at once (default: after 5 s)
    options.setWarningExceptionTime(options.getMaxEventLoopExecuteTime())
        .setWarningExceptionTimeUnit(options.getMaxEventLoopExecuteTimeUnit());
    return Vertx.builder()
        .with(options)
        .withMetrics(new MicrometerMetricsFactory(registry))
        .withClusterManager(cm)
        .buildClustered()
        .compose(vertx -> {
          Node node = new Node(config, vertx, cm, failureTimeoutSec, registry);
          return node.deploy().map(node).recover(e -> {
            node.pauseGuard.close();
            return vertx.close().transform(ignored -> Future.failedFuture(e));
          });
        });
  }

  /** The key layout step, tried again (backing off to 2 s) until {@code deadline} while Redis fails. */
  private Future<Long> migrateLayout(long deadline, int attempt) {
    return services.store().migrateLayout().recover(e -> {
      long backoff = Math.min(2000, 100L << Math.min(attempt, 5));
      if (System.currentTimeMillis() + backoff > deadline) {
        return Future.failedFuture(e);
      }
      LOG.warn("redis: cannot check the key layout yet ({}), trying again in {} ms", e.getMessage(), backoff);
      Promise<Long> again = Promise.promise();
      vertx.setTimer(backoff, id -> migrateLayout(deadline, attempt + 1).onComplete(again));
      return again.future();
    });
  }

  private Future<Void> deploy() {
    Codecs.register(vertx.eventBus());
    vertx.eventBus().<JsonObject>consumer(Addresses.nodeStats(services.nodeId()), m -> m.reply(stats()));
    // the webhook sender comes first, so that it takes the events of shards starting up
    // data of the key layout before slot groups moves before anything reads it (once; then one GET)
    Future<Void> layout = migrateLayout(System.currentTimeMillis() + STARTUP_REDIS_WAIT_MS, 0).recover(
        e -> Future.failedFuture("redis: cannot check or migrate the key layout: " + e.getMessage())).mapEmpty();
    Future<Void> words = layout.compose(l -> services.words().start().recover(e -> Future.failedFuture(
        "filter.wordsFile: cannot load " + config.filter().wordsFile() + ": " + e.getMessage())));
    Future<Void> webhooks = words.compose(w -> config.webhooks().enabled()
        ? vertx.deployVerticle(new WebhookVerticle(config.webhooks(), services.metrics())).onSuccess(webhookDeployments::add).mapEmpty()
        : Future.succeededFuture());
    Future<Void> ready = webhooks.compose(v -> config.node().has(Role.SHARD)
        ? awaitPartitionTable() : Future.<Void>succeededFuture());
    return ready.compose(v -> {
      if (!config.node().has(Role.SHARD)) {
        return Future.succeededFuture();
      }
      // registering a listener asks every member and waits: not on an event loop
      return vertx.executeBlocking(() -> hazelcast.getPartitionService().addMigrationListener(new HandOver()), false)
          .compose(listener -> vertx.deployVerticle(new Indexed(i -> new ShardVerticle(services, i)),
              new DeploymentOptions().setInstances(config.shard().instances())))
          .onSuccess(shardDeployments::add).mapEmpty();
    }).compose(v -> config.node().has(Role.SWEEPER)
        ? vertx.deployVerticle(new SweeperVerticle(services)).onSuccess(sweeperDeployments::add).mapEmpty()
        : Future.succeededFuture()
    ).compose(v -> config.node().has(Role.EDGE)
        ? vertx.deployVerticle(new Indexed(i -> new EdgeVerticle(services, i)),
            new DeploymentOptions().setInstances(config.http().instances())).onSuccess(edgeDeployments::add).mapEmpty()
        : Future.<Void>succeededFuture()
    ).onSuccess(v -> {
      checkHealth();
      healthTimer = vertx.setPeriodic(config.redis().healthIntervalMs(), id -> checkHealth());
      LOG.info("node {} up: roles {}, cluster '{}' with {} members, http port {}, {} transport", services.nodeId(),
          config.node().roles(), config.cluster().name(), hazelcast.getCluster().getMembers().size(),
          config.node().has(Role.EDGE) ? config.http().port() : "-",
          vertx.isNativeTransportEnabled() ? "native" : "nio");
      if (config.node().has(Role.EDGE) && config.auth().weakSecret()) {
        LOG.warn("auth.jwt.allowWeakSecret is set: the HS256 secret has fewer than {} bytes and tokens signed with it "
            + "can be forged by guessing it; for development only", LiveroomConfig.Auth.MIN_SECRET_BYTES);
      }
      if (config.node().nativeTransport() && !vertx.isNativeTransportEnabled()) {
        LOG.warn("node.transport is {} but that transport is not available here, running on NIO: {}",
            config.node().transport(), String.valueOf(vertx.unavailableNativeTransportCause()));
      }
    });
  }

  /**
   * Waits until every partition has an owner. The first look at the partition table may ask the
   * master for the initial assignment and wait for it, so it runs on a worker thread, never on
   * an event loop.
   */
  private Future<Void> awaitPartitionTable() {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + config.cluster().joinTimeoutMs();
    checkPartitionTable(done, deadline);
    return done.future();
  }

  private void checkPartitionTable(Promise<Void> done, long deadline) {
    vertx.executeBlocking(() -> services.ownership().assigned(), false).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        done.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        done.tryFail("the partition table was not assigned within cluster.joinTimeoutMs");
      } else {
        vertx.setTimer(50, id -> checkPartitionTable(done, deadline));
      }
    });
  }

  private void sampleRates() {
    long now = System.currentTimeMillis();
    rateSamples.addLast(new long[] {now, services.metrics().messagesInTotal(), services.metrics().messagesOutTotal()});
    while (rateSamples.size() > 2 && now - rateSamples.peekFirst()[0] > RATE_WINDOW_MS) {
      rateSamples.pollFirst();
    }
  }

  /** Per-second rate of sample field {@code i} over the window (about the last 10 s). */
  private double rate(int i) {
    if (rateSamples.size() < 2) {
      return 0;
    }
    long[] first = rateSamples.peekFirst();
    long[] last = rateSamples.peekLast();
    long ms = last[0] - first[0];
    return ms <= 0 ? 0 : Math.round((last[i] - first[i]) * 10_000.0 / ms) / 10.0;
  }

  private void checkHealth() {
    sampleRates();
    if (healthRunning) {
      return;
    }
    healthRunning = true;
    if (!hazelcast.getLifecycleService().isRunning()) {
      services.health().cluster("not a cluster member");
    } else if (!services.ownership().assigned()) {
      services.health().cluster("partition table not assigned (no shard node in the cluster?)");
    } else {
      services.health().cluster(null);
    }
    if (!safeCheckRunning) {
      // isClusterSafe() asks every member and waits: never on an event loop
      safeCheckRunning = true;
      vertx.executeBlocking(() -> hazelcast.getPartitionService().isClusterSafe(), false)
          .onComplete(ar -> {
            safeCheckRunning = false;
            services.health().clusterSafe(ar.succeeded() && ar.result());
          });
    }
    services.store().roomIndex().count()
        .onSuccess(n -> services.metrics().roomsStored(n))
        .onSuccess(v -> services.health().redis(null))
        .onFailure(e -> services.health().redis("store unavailable (" + services.store().lastError() + ")"))
        .onComplete(ar -> healthRunning = false);
  }

  private JsonObject stats() {
    JsonArray roles = new JsonArray();
    config.node().roles().forEach(r -> roles.add(r.wire()));
    return new JsonObject()
        .put("nodeId", services.nodeId())
        .put("roles", roles)
        .put("liteMember", hazelcast.getCluster().getLocalMember().isLiteMember())
        .put("partitionsOwned", services.ownership().ownedCount())
        .put("roomsHot", services.metrics().roomsHot())
        .put("connections", services.metrics().connections())
        .put("messagesInPerSec", rate(1))
        .put("messagesOutPerSec", rate(2))
        .put("shardInstances", config.node().has(Role.SHARD) ? config.shard().instances() : 0)
        .put("ready", services.health().ready())
        .put("uptimeMs", System.currentTimeMillis() - startedAt);
  }

  /**
   * Graceful stop, in order: readiness goes down; the edges stop (clients get {@code bye} with a
   * reconnect hint) and the sweeper stops; the node leaves the cluster while its shards still
   * serve, so Hazelcast migrates each partition to a survivor and a command that reaches this
   * node meanwhile is either served (the partition is still here) or answered {@code MOVED}
   * (the edge re-routes it); then the shards stop (last fan-out tick, sends waiting for Redis stored);
   * the webhook sender gets up to 2 s for what is queued; Redis and Vert.x close last.
   */
  public Future<Void> close() {
    services.health().stopping();
    vertx.cancelTimer(healthTimer);
    services.words().stop();
    return undeployAll(edgeDeployments)
        .compose(v -> undeployAll(sweeperDeployments))
        .compose(v -> leaveCluster())
        .compose(v -> undeployAll(shardDeployments))
        .compose(v -> undeployAll(webhookDeployments))
        .otherwiseEmpty()
        .compose(v -> services.store().close())
        .compose(v -> vertx.close())
        .eventually(() -> {
          pauseGuard.close();
          registry.close();
          return Future.succeededFuture();
        });
  }

  /**
   * Leaves the Hazelcast cluster: a graceful Hazelcast shutdown, which first migrates this
   * member's partitions to the others (bounded by {@code hazelcast.graceful.shutdown.max.wait}).
   * Vert.x's own close then finds the cluster already left.
   */
  private Future<Void> leaveCluster() {
    long t0 = System.nanoTime();
    int owned = services.ownership().ownedCount();
    Promise<Void> left = Promise.promise();
    clusterManager.leave(left);
    return left.future()
        .onSuccess(v -> LOG.info("node {} left the cluster in {} ms, handing over {} partitions", services.nodeId(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), owned))
        .onFailure(e -> LOG.warn("node {}: leaving the cluster failed: {}", services.nodeId(), e.toString()))
        .onComplete(ar -> services.ownership().left())
        .otherwiseEmpty();
  }

  private Future<Void> undeployAll(java.util.List<String> ids) {
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      chain = chain.compose(v -> vertx.undeploy(id).otherwiseEmpty());
    }
    return chain;
  }

  /** Closes within {@code node.shutdownGraceMs}, for the SIGTERM hook; returns whether it finished. */
  public boolean closeAndWait() {
    try {
      close().await(config.node().shutdownGraceMs(), TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      LOG.warn("node {} did not stop within {} ms: {}", services.nodeId(), config.node().shutdownGraceMs(),
          e.toString());
      return false;
    }
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return services.nodeId();
  }

  public NodeServices services() {
    return services;
  }

  public int httpPort() {
    return config.http().port();
  }

  /** Drops the hot rooms of a partition this node handed over, on the shard instance that held them. */
  private final class HandOver implements MigrationListener {
    @Override
    public void migrationStarted(MigrationState state) {
    }

    @Override
    public void migrationFinished(MigrationState state) {
    }

    @Override
    public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
      if (event.getReplicaIndex() == 0 && event.getSource() != null && event.getSource().localMember()) {
        int pid = event.getPartitionId();
        vertx.eventBus().send(Addresses.shardDrop(Ownership.instanceOf(pid, config.shard().instances())),
            new ShardControl.Drop(pid));
      }
    }

    @Override
    public void replicaMigrationFailed(ReplicaMigrationEvent event) {
    }
  }

  /** Gives each verticle instance of a deployment its index (0..n-1). */
  private static final class Indexed implements java.util.function.Supplier<io.vertx.core.Deployable> {
    private final java.util.function.IntFunction<io.vertx.core.Deployable> factory;
    private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

    Indexed(java.util.function.IntFunction<io.vertx.core.Deployable> factory) {
      this.factory = factory;
    }

    @Override
    public io.vertx.core.Deployable get() {
      return factory.apply(next.getAndIncrement());
    }
  }
}
