package io.liveroom.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.ClusterLinks;
import io.liveroom.testing.HistoryAudit;
import io.liveroom.testing.Ledger;
import io.liveroom.testing.NodeProcess;
import io.liveroom.testing.ProcessCluster;
import io.liveroom.testing.ProcessClusters;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.Traffic;
import io.liveroom.testing.TrafficClient;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A network partition with real processes: three nodes ({@code java -jar target/liveroom.jar})
 * whose Hazelcast member links and clustered event-bus links all go through TCP proxies in this
 * JVM ({@link ClusterLinks}: each node binds to its own loopback address, 127.0.0.11 to .13, and
 * announces a proxy port on it; Hazelcast binds its outgoing sockets to that address, so a
 * proxied member connection's source IP names its node, and an event-bus connection names its
 * node in the sender field of its first frame). Node 2 is cut off, every proxied connection to
 * and from it closed and new ones refused, for 30 s, then healed. Clients (HTTP and Redis reach
 * every node throughout) keep sending to the same rooms on both sides: two on the cut node, two
 * on the others. They retry as real clients do: each send has a key, and one refused with
 * {@code UNAVAILABLE} or left without a reply by a closed connection goes again with it.
 *
 * <p>At the end, Redis alone is checked against the ledger of acknowledgements ({@link
 * HistoryAudit}): every acknowledged item is in its room's history stream at its (epoch, seq)
 * with its text, no (room, epoch, seq) has two texts (in Redis or in the ledger), and no two
 * epochs of a room accepted appends at overlapping times: along each room's stream the epochs
 * never go back. The ownership log (per room and epoch: the claiming node from the claim log
 * {@code lr:{g}:claims}, the claim time and the first and last append, in Redis's clock relative to
 * the cut) and the refusals by code are printed.
 */
@RedisAndCluster(nodes = 0)
class PartitionIT {
  private static final Duration CUT = Duration.ofSeconds(30);
  private static final int CUT_NODE = 2;

  private Vertx vertx;
  private Traffic traffic;
  private ClusterLinks links;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    traffic = new Traffic(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    traffic.close();
    if (links != null) {
      links.close();
    }
    vertx.close().await(20, TimeUnit.SECONDS);
  }

  @Test
  void aNodeCutOffForThirtySecondsLosesNoAcknowledgedItemAndNoTwoEpochsOverlap(ProcessClusters clusters)
      throws Exception {
    links = new ClusterLinks(vertx, 3);
    Path xml = Path.of("target", "faults", "cluster-links.xml");
    Files.createDirectories(xml.getParent());
    Files.writeString(xml, ClusterLinks.clusterXml(Files.readString(Path.of("conf", "cluster.xml"))));
    links.start();
    ProcessCluster c = clusters.create("partition", 3, Map.of(), i -> links.env(i, xml.toAbsolutePath().toString()));
    c.startAll(3);
    Map<String, String> names = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      links.nodeId(c.node(i).nodeId(), i);
      names.put(c.node(i).nodeId(), c.node(i).name() + (i == CUT_NODE ? " (cut)" : ""));
    }
    NodeProcess cut = c.node(CUT_NODE);
    // three rooms the cut node owns, three the others own; every client is in all six
    List<String> rooms = c.roomsOwnedBy("part", cut, 3, 3);
    Ledger ledger = new Ledger();
    for (int k = 0; k < 2; k++) {
      // the cut node's clients stay on it: they are the minority side's traffic
      traffic.add(new TrafficClient(vertx, "cut-c" + k, ProcessCluster.JWT_SECRET, List.of(cut.httpPort()), rooms,
          ledger)).retrying();
      traffic.add(new TrafficClient(vertx, "maj-c" + k, ProcessCluster.JWT_SECRET,
          List.of(c.node(k).httpPort(), c.node(1 - k).httpPort()), rooms, ledger)).retrying();
    }
    traffic.start();
    traffic.clients().forEach(cl -> cl.startSending(100, 1500));
    Traffic.awaitAcks(ledger, 80, "traffic before the cut");

    long cutMs = redisMillis(c);
    long cutAt = System.nanoTime();
    links.cut(CUT_NODE);
    Await.quietPeriod(CUT, "the cut lasts " + CUT.toSeconds() + " s while the clients send");
    long healAt = System.nanoTime();
    long healMs = redisMillis(c) - cutMs;
    links.heal();
    c.awaitMembers(3, Duration.ofSeconds(60));
    long mergedMs = redisMillis(c) - cutMs;
    traffic.awaitReady(Duration.ofSeconds(30));
    Traffic.awaitAcks(ledger, ledger.acks().size() + 80, "traffic after the heal");
    traffic.stop();

    // appends in flight when the traffic stopped have answered, so Redis holds what it will hold
    HistoryAudit audit = HistoryAudit.read(c, rooms);
    audit.feed(ledger);
    List<String> missing = audit.missing(ledger);
    List<String> overlaps = audit.overlaps();
    Map<String, Integer> acksDuringCut = new TreeMap<>();
    for (Ledger.Ack a : ledger.acks()) {
      if (a.atNanos() > cutAt && a.atNanos() < healAt) {
        acksDuringCut.merge(a.client().startsWith("cut-") ? "cut side" : "majority side", 1, Integer::sum);
      }
    }
    // the overlap check means something only if both sides appended to the same rooms during the cut
    String cutId = cut.nodeId();
    long bothSides = rooms.stream().filter(room -> {
      List<HistoryAudit.EpochSpan> during = audit.ownershipLog().stream().filter(s -> s.room().equals(room)
          && s.claimedMs() >= cutMs && s.claimedMs() <= cutMs + healMs).toList();
      return during.stream().anyMatch(s -> s.node().equals(cutId)) && during.stream().anyMatch(s -> !s.node().equals(cutId));
    }).count();
    System.out.println("[partition] cut at Redis ms " + cutMs + ", healed +" + healMs + " ms, merged (3 members) +"
        + mergedMs + " ms; acked " + ledger.acks().size() + ", in Redis " + audit.size() + ", acked during the cut "
        + acksDuringCut + ", rooms with epochs of both sides during the cut " + bothSides + " of " + rooms.size()
        + ", refusals " + ledger.refusals() + ", sends without a reply " + ledger.unknownOutcome()
        + "\n[partition] links " + links.figures() + "\n[partition] clients " + traffic.figures()
        + "\n[partition] ownership log (ms relative to the cut, Redis clock):\n" + audit.formatLog(
            id -> names.getOrDefault(id, id), cutMs));

    assertEquals(List.of(), missing, "acknowledged items missing from Redis");
    assertEquals(List.of(), ledger.conflicts(), "(room, epoch, seq) with two different texts");
    assertEquals(List.of(), audit.duplicates(), "(room, epoch, seq) stored twice in Redis");
    assertEquals(List.of(), overlaps, "epochs of a room that accepted appends at overlapping times");
    assertTrue(acksDuringCut.getOrDefault("majority side", 0) > 0,
        "the majority side acknowledges sends during the cut: " + acksDuringCut);
    assertTrue(bothSides > 0, "some room had epochs of both sides appending during the cut (the fence was tested)");
    assertEquals(List.of(), c.logLines("has been blocked for"), "Vert.x blocked-thread warnings in the node logs");
  }

  /** Redis's clock, in ms (the clock of the stream ids). */
  @SuppressWarnings("unchecked")
  private static long redisMillis(ProcessCluster c) throws Exception {
    List<Object> t = (List<Object>) c.redis("TIME");
    return Long.parseLong((String) t.get(0)) * 1000 + Long.parseLong((String) t.get(1)) / 1000;
  }
}
