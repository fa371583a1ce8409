package io.liveroom.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.HistoryAudit;
import io.liveroom.testing.Ledger;
import io.liveroom.testing.NodeProcess;
import io.liveroom.testing.ProcessCluster;
import io.liveroom.testing.ProcessClusters;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.Traffic;
import io.liveroom.testing.TrafficClient;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart with real processes, as a Kubernetes rollout does it: three nodes ({@code java
 * -jar target/liveroom.jar}) under steady traffic (eight rooms, six clients spread over all
 * nodes, each in every room), and each node in turn gets SIGTERM, must exit 143, is started again
 * and must answer 200 on {@code /health/ready} before the next one goes. The clients behave as
 * real ones: on a {@code bye} or a closed connection they reconnect to the next node and re-join,
 * every send has a key, and a send refused with {@code UNAVAILABLE} or left without a reply goes
 * again with it.
 *
 * <p>At the end, Redis alone is checked against the ledger of acknowledgements ({@link
 * HistoryAudit}): no acknowledged item missing, no (room, epoch, seq) stored twice or with two
 * texts, no two epochs appending at overlapping times; and every refusal a client saw was one a
 * client retries ({@code UNAVAILABLE}; closed connections and re-routes are not refusals: the
 * edge re-routes {@code MOVED} itself). Counts are printed.
 */
@RedisAndCluster(nodes = 0)
class RollingRestartIT {
  private Vertx vertx;
  private Traffic traffic;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    traffic = new Traffic(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    traffic.close();
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  @Test
  void restartingEachOfThreeNodesInTurnLosesNoAcknowledgedItem(ProcessClusters clusters) throws Exception {
    ProcessCluster c = clusters.create("rolling", 3, Map.of());
    c.startAll(3);
    Map<String, String> names = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      names.put(c.node(i).nodeId(), c.node(i).name() + " run 1");
    }
    // eight rooms (a connection may be in 8), some of them on node 0, which restarts first
    List<String> rooms = c.roomsOwnedBy("roll", c.node(0), 3, 5);
    Ledger ledger = new Ledger();
    traffic.addOnEveryNode(c, "roll", rooms, ledger, 6);
    traffic.clients().forEach(TrafficClient::retrying);
    traffic.start();
    traffic.clients().forEach(cl -> cl.startSending(100, 3000));
    Traffic.awaitAcks(ledger, 60, "traffic before the first restart");

    Map<String, Object> restarts = new LinkedHashMap<>();
    for (int i = 0; i < 3; i++) {
      NodeProcess old = c.node(i);
      long t0 = System.nanoTime();
      old.terminate();
      int exit = old.awaitExit(Duration.ofSeconds(30));
      long stoppedMs = msSince(t0);
      assertEquals(143, exit, old.name() + " exits with 143 within its grace period after SIGTERM:\n" + old.logTail(40));
      NodeProcess again = c.start(i);
      long readyMs = msSince(t0);
      names.put(again.nodeId(), again.name() + " run 2");
      c.awaitMembers(3, Duration.ofSeconds(60));
      // steady traffic goes on through each step before the next node goes
      Traffic.awaitAcks(ledger, ledger.acks().size() + 40, "traffic after restarting " + again.name());
      restarts.put(again.name(), Map.of("stoppedMs", stoppedMs, "readyMs", readyMs, "trafficAgainMs", msSince(t0)));
    }
    traffic.stop();

    HistoryAudit audit = HistoryAudit.read(c, rooms);
    audit.feed(ledger);
    Map<String, Integer> refusals = ledger.refusals();
    List<String> notRetryable = ledger.notRetryable();
    System.out.println("[rolling] restarts " + restarts + "; acked " + ledger.acks().size() + ", in Redis "
        + audit.size() + ", refusals " + refusals + ", sends without a reply (connection closed, sent again) "
        + ledger.unknownOutcome() + "\n[rolling] clients " + traffic.figures()
        + "\n[rolling] ownership log (ms relative to the first claim, Redis clock):\n"
        + audit.formatLog(id -> names.getOrDefault(id, id), audit.firstClaimMs()));

    assertEquals(List.of(), audit.missing(ledger), "acknowledged items missing from Redis");
    assertEquals(List.of(), ledger.conflicts(), "(room, epoch, seq) with two different texts");
    assertEquals(List.of(), audit.duplicates(), "(room, epoch, seq) stored twice in Redis");
    assertEquals(List.of(), audit.overlaps(), "epochs of a room that accepted appends at overlapping times");
    assertEquals(List.of(), notRetryable, "refusals a client would not retry (all: " + refusals + ")");
    assertTrue(traffic.clients().stream().filter(cl -> cl.connects() > 1).count() >= 4,
        "the clients of the restarted nodes reconnected: " + traffic.figures());
    assertEquals(List.of(), c.logLines("has been blocked for"), "Vert.x blocked-thread warnings in the node logs");
  }

  private static long msSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
