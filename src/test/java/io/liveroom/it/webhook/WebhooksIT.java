package io.liveroom.it.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.Node;
import io.liveroom.testing.Await;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RedisServer;
import io.liveroom.testing.TestCluster;
import io.liveroom.webhook.Webhooks;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Webhooks against real receivers (HTTP servers in this test) from real nodes: signed events in
 * order per room; retries on 5xx, 429 and outages, none on 4xx; a bounded queue that drops the
 * oldest; a bounded stop. Two single-node clusters: one whose receiver is always up, one whose
 * receiver starts down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RedisAndCluster(nodes = 1)
class WebhooksIT {
  private static final String SECRET = "whsec-test-0123456789abcdef";
  private static final long REPLAY_WINDOW_MS = 5 * 60_000;

  private static TestCluster liveCluster;
  private static TestCluster outageCluster;
  private static Vertx receivers;
  private static Receiver live;
  private static Receiver late;

  @BeforeAll
  static void up(RedisServer redis, TestCluster cluster) throws Exception {
    receivers = Vertx.vertx();
    live = new Receiver(RedisServer.freePort(), WebhooksIT::answerByRoom);
    live.start();
    late = new Receiver(RedisServer.freePort(), h -> 200); // not listening until a test starts it

    liveCluster = cluster;
    liveCluster.start(0, webhooks(live, new JsonObject().put("maxAttempts", 3).put("timeoutMs", 2000)));
    outageCluster = new TestCluster(redis, 1);
    outageCluster.start(0, webhooks(late, new JsonObject().put("maxAttempts", 50).put("timeoutMs", 1000)
        .put("queueSize", 4).put("concurrency", 1)));
  }

  @AfterAll
  static void down() throws Exception {
    // the extension closes liveCluster and Redis after this
    if (outageCluster != null) {
      outageCluster.close();
    }
    if (receivers != null) {
      receivers.close().await(20, TimeUnit.SECONDS);
    }
  }

  private static JsonObject webhooks(Receiver r, JsonObject settings) {
    return new JsonObject().put("webhooks", settings.copy()
        .put("urls", new JsonArray().add("http://127.0.0.1:" + r.port + "/hooks?token=abc"))
        .put("secret", SECRET));
  }

  /** How the always-up receiver answers, by the event's room. */
  private static int answerByRoom(Hit h) {
    String room = h.json().getString("room");
    int attempt = live.attemptsOf(h.delivery());
    return switch (room) {
      case "r-500-twice" -> attempt <= 2 ? 500 : 200;
      case "r-500-always" -> 503;
      case "r-429" -> attempt == 1 ? 429 : 200;
      case "r-400" -> 400;
      default -> 200;
    };
  }

  // ------------------------------------------------------------------ a receiver up all along

  @Test
  void signedEventsArriveInOrderPerRoomFromSeveralEventLoops() throws Exception {
    Node node = liveCluster.node(0);
    Webhooks hooks = node.services().webhooks();
    String[] events = {Webhooks.ROOM_CREATED, Webhooks.ROOM_LIVE, Webhooks.MODERATION, Webhooks.ROOM_ENDED};
    List<String> rooms = List.of("order-a", "order-b", "order-c");
    double deliveredBefore = count(node, "delivered");
    // like shards: each room's events come from a verticle of its own, on its own event loop
    List<Future<String>> emitters = new ArrayList<>();
    for (String room : rooms) {
      emitters.add(node.vertx().deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          for (int n = 0; n < 20; n++) {
            hooks.emit(events[n % events.length], room, new JsonObject().put("n", n));
          }
          return Future.succeededFuture();
        }
      }));
    }
    Future.all(emitters).await(10, TimeUnit.SECONDS);
    for (Future<String> id : emitters) {
      node.vertx().undeploy(id.result()).await(10, TimeUnit.SECONDS);
    }
    Await.until(() -> rooms.stream().allMatch(r -> live.forRoom(r).size() >= 20), Duration.ofSeconds(15),
        "60 events arrive");

    Set<String> ids = new HashSet<>();
    for (String room : rooms) {
      List<Hit> hits = live.forRoom(room);
      assertEquals(20, hits.size(), room + ": each event once");
      for (int n = 0; n < 20; n++) {
        Hit h = hits.get(n);
        JsonObject body = h.json();
        assertEquals(n, body.getJsonObject("data").getInteger("n"), room + ": in emit order");
        assertEquals(events[n % events.length], body.getString("event"));
        assertEquals(room, body.getString("room"));
        assertTrue(ids.add(body.getString("id")), "a fresh id per event");
        assertTrue(Math.abs(System.currentTimeMillis() - body.getLong("createdAt")) < 60_000);
        assertEquals(Set.of("id", "event", "room", "createdAt", "data"), body.fieldNames());
        assertEquals("application/json", h.header("Content-Type"));
        assertEquals(body.getString("event"), h.header("X-Liveroom-Event"));
        assertEquals(body.getString("id"), h.header("X-Liveroom-Delivery"));
        assertEquals("1", h.header("X-Liveroom-Attempt"));
        assertEquals("/hooks", h.path());
        assertTrue(verified(h, SECRET), "signature of " + h);
      }
    }
    Hit any = live.forRoom("order-a").get(0);
    byte[] tampered = any.body().clone();
    tampered[tampered.length - 2] ^= 1;
    assertFalse(verified(new Hit(any.path(), any.headers(), tampered), SECRET), "a changed body fails");
    assertFalse(verified(any, "some-other-secret-0123456789"), "another secret fails");
    Await.until(() -> count(node, "delivered") >= deliveredBefore + 60, Duration.ofSeconds(5), "delivered counted");
    Await.until(() -> node.services().metrics().webhooksQueued() == 0, Duration.ofSeconds(5), "queue empty");
  }

  @Test
  void serverErrorsAndTooManyRequestsAreRetriedWithBackoff() throws Exception {
    Node node = liveCluster.node(0);
    double retriedBefore = count(node, "retried");
    double exhaustedBefore = count(node, "exhausted");
    node.services().webhooks().emit(Webhooks.ROOM_LIVE, "r-500-twice", new JsonObject());
    node.services().webhooks().emit(Webhooks.ROOM_LIVE, "r-429", new JsonObject());
    node.services().webhooks().emit(Webhooks.ROOM_LIVE, "r-500-always", new JsonObject());

    Await.until(() -> live.forRoom("r-500-twice").size() == 3 && live.forRoom("r-429").size() == 2
        && count(node, "exhausted") == exhaustedBefore + 1, Duration.ofSeconds(20), "retries done");

    List<Hit> twice = live.forRoom("r-500-twice");
    assertEquals(1, twice.stream().map(Hit::delivery).distinct().count(), "one delivery id across attempts");
    for (int i = 0; i < 3; i++) {
      assertEquals(Integer.toString(i + 1), twice.get(i).header("X-Liveroom-Attempt"));
      assertTrue(verified(twice.get(i), SECRET), "every attempt is signed");
    }
    assertTrue(twice.get(1).at() - twice.get(0).at() >= 200, "backoff before the second attempt");
    assertTrue(!twice.get(1).header("X-Liveroom-Timestamp").equals(twice.get(0).header("X-Liveroom-Timestamp")),
        "each attempt is signed with its own timestamp");

    List<Hit> tooMany = live.forRoom("r-429");
    assertTrue(tooMany.get(1).at() - tooMany.get(0).at() >= 950, "Retry-After: 1 is honoured");

    assertEquals(3, live.forRoom("r-500-always").size(), "webhooks.maxAttempts = 3, then dropped");
    assertTrue(count(node, "retried") >= retriedBefore + 5, "2 + 1 + 2 retries counted");
    Await.until(() -> node.services().metrics().webhooksQueued() == 0, Duration.ofSeconds(5), "queue empty");
    assertEquals(3, live.forRoom("r-500-always").size(), "no attempt after giving up");
  }

  @Test
  void clientErrorsAreNotRetried() throws Exception {
    Node node = liveCluster.node(0);
    double rejectedBefore = count(node, "rejected");
    node.services().webhooks().emit(Webhooks.MODERATION, "r-400", new JsonObject().put("action", "mute"));
    Await.until(() -> count(node, "rejected") == rejectedBefore + 1, Duration.ofSeconds(10), "a 400 is counted");
    Await.until(() -> node.services().metrics().webhooksQueued() == 0, Duration.ofSeconds(5), "queue empty");
    // longer than the first backoff step: a retry would have come by then
    Await.quietPeriod(Duration.ofMillis(1200), "no retry of a 4xx (one attempt only)",
        () -> live.forRoom("r-400").size() == 1);
  }

  // ------------------------------------------------------------------ a receiver that is down

  @Test
  @Order(1)
  void aDownReceiverHoldsUpNothingAndGetsTheEventsWhenBack() throws Exception {
    Node node = outageCluster.node(0);
    double retriedBefore = count(node, "retried");
    long started = System.nanoTime();
    // two emitted here plus the REST room's own two: exactly the outage cluster's queueSize of 4
    for (int n = 0; n < 2; n++) {
      node.services().webhooks().emit(Webhooks.ROOM_CREATED, "down-1", new JsonObject().put("n", n));
    }
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertTrue(tookMs < 500, "emit returns at once, took " + tookMs + " ms");

    // the room keeps working meanwhile (and its own room.created and room.live wait in the queue too)
    assertEquals(201, outageCluster.http(0).post("/api/v1/rooms", new JsonObject().put("id", "down-rest")
        .put("title", "no receiver").put("ownerId", "host-1")).status());
    assertEquals(200, outageCluster.http(0).patch("/api/v1/rooms/down-rest", new JsonObject().put("state", "live")).status());
    assertEquals("live", outageCluster.http(0).get("/api/v1/rooms/down-rest").json().getString("state"));

    Await.until(() -> count(node, "retried") > retriedBefore, Duration.ofSeconds(10), "a failed attempt");
    // 4 events wait for the receiver; one of them may be in flight rather than queued at any moment
    assertTrue(node.services().metrics().webhooksQueued() >= 3, "held for the receiver");
    assertEquals(0, late.hits.size());

    late.start();
    Await.until(() -> late.forRoom("down-1").size() == 2 && late.forRoom("down-rest").size() == 2,
        Duration.ofSeconds(15), "the held events arrive");
    assertEquals(List.of("room.created", "room.live"), late.forRoom("down-rest").stream()
        .map(h -> h.json().getString("event")).toList(), "the room's own events, in order");
    List<Hit> hits = late.forRoom("down-1");
    for (int n = 0; n < 2; n++) {
      assertEquals(n, hits.get(n).json().getJsonObject("data").getInteger("n"), "in order");
      assertTrue(verified(hits.get(n), SECRET));
    }
    assertTrue(Integer.parseInt(hits.get(0).header("X-Liveroom-Attempt")) >= 2, "the first one was retried");
    Await.until(() -> node.services().metrics().webhooksQueued() == 0, Duration.ofSeconds(5), "queue empty");
  }

  @Test
  @Order(2)
  void aFullQueueDropsTheOldestAndCountsIt() throws Exception {
    Node node = outageCluster.node(0);
    late.stop();
    double overflowBefore = count(node, "overflow");
    double retriedBefore = count(node, "retried");
    for (int n = 0; n < 10; n++) {
      node.services().webhooks().emit(Webhooks.MODERATION, "flood", new JsonObject().put("n", n));
    }
    // queueSize 4: once the first attempt failed, the newest 4 are held and 6 are dropped
    Await.until(() -> count(node, "retried") > retriedBefore && count(node, "overflow") == overflowBefore + 6,
        Duration.ofSeconds(10), "6 dropped");
    assertEquals(4, node.services().metrics().webhooksQueued());
    assertEquals(4, gauge(node), 0.0);

    late.start();
    Await.until(() -> node.services().metrics().webhooksQueued() == 0, Duration.ofSeconds(15), "queue empty");
    assertEquals(List.of(6, 7, 8, 9), late.forRoom("flood").stream()
        .map(h -> h.json().getJsonObject("data").getInteger("n")).toList(), "the newest four, in order");
    assertEquals(overflowBefore + 6, count(node, "overflow"));
  }

  @Test
  @Order(3)
  void stoppingGivesUpWithinTheGraceAndCountsWhatIsLost() throws Exception {
    Node node = outageCluster.node(0);
    late.stop();
    double shutdownBefore = count(node, "shutdown");
    node.services().webhooks().emit(Webhooks.ROOM_ENDED, "bye-1", new JsonObject());
    node.services().webhooks().emit(Webhooks.ROOM_ENDED, "bye-2", new JsonObject());
    Await.until(() -> node.services().metrics().webhooksQueued() == 2, Duration.ofSeconds(5), "2 queued");
    long started = System.nanoTime();
    outageCluster.stop(node);
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    assertTrue(tookMs < 15_000, "the node stopped in " + tookMs + " ms");
    assertEquals(shutdownBefore + 2, count(node, "shutdown"), "both counted as lost");
    assertEquals(0, node.services().metrics().webhooksQueued());
  }

  // ------------------------------------------------------------------ helpers

  /** What a receiver does: HMAC-SHA256 of "<timestamp>.<raw body>", compared in constant time, within a replay window. */
  private static boolean verified(Hit h, String secret) throws Exception {
    String timestamp = h.header("X-Liveroom-Timestamp");
    String signature = h.header("X-Liveroom-Signature");
    if (timestamp == null || signature == null || !signature.startsWith("sha256=")) {
      return false;
    }
    long ts;
    byte[] given;
    try {
      ts = Long.parseLong(timestamp);
      given = java.util.HexFormat.of().parseHex(signature.substring("sha256=".length()));
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (Math.abs(System.currentTimeMillis() - ts) > REPLAY_WINDOW_MS) {
      return false;
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
    return MessageDigest.isEqual(mac.doFinal(h.body()), given);
  }

  private static double count(Node node, String outcome) {
    Counter c = node.services().metrics().registry().find("liveroom.webhooks.sent").tag("outcome", outcome).counter();
    return c == null ? 0 : c.count();
  }

  private static double gauge(Node node) {
    return node.services().metrics().registry().get("liveroom.webhooks.queue").gauge().value();
  }

  /** One request as the receiver got it. */
  record Hit(String path, MultiMap headers, byte[] body, long at) {
    Hit(String path, MultiMap headers, byte[] body) {
      this(path, headers, body, System.currentTimeMillis());
    }

    String header(String name) {
      return headers.get(name);
    }

    String delivery() {
      return header("X-Liveroom-Delivery");
    }

    JsonObject json() {
      return new JsonObject(new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return headers.entries() + " " + new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A webhook receiver on a fixed loopback port that records every request; can go down and come back. */
  static final class Receiver {
    final int port;
    final List<Hit> hits = new CopyOnWriteArrayList<>();
    private final ToIntFunction<Hit> answer;
    private HttpServer server;

    Receiver(int port, ToIntFunction<Hit> answer) {
      this.port = port;
      this.answer = answer;
    }

    synchronized void start() throws Exception {
      server = receivers.createHttpServer()
          .requestHandler(req -> req.body().onSuccess(b -> {
            Hit h = new Hit(req.path(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), b.getBytes());
            hits.add(h);
            int status = answer.applyAsInt(h);
            if (status == 429) {
              req.response().putHeader("Retry-After", "1");
            }
            req.response().setStatusCode(status).end("{\"status\":" + status + "}"); // a body the sender must drain
          }))
          .listen(port, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
    }

    synchronized void stop() throws Exception {
      if (server != null) {
        server.close().await(10, TimeUnit.SECONDS);
        server = null;
      }
    }

    List<Hit> forRoom(String room) {
      return hits.stream().filter(h -> room.equals(h.json().getString("room"))).toList();
    }

    int attemptsOf(String delivery) {
      return (int) hits.stream().filter(h -> delivery.equals(h.delivery())).count();
    }
  }
}
