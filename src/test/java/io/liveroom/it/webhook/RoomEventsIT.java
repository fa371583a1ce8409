package io.liveroom.it.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Room events reach a real webhook receiver, signed; the content filter masks, rejects, and reloads its words. */
@RedisAndCluster(nodes = 1)
class RoomEventsIT {
  private static final String SECRET = "webhook-secret-0123456789";
  private static TestCluster cluster;
  private static HttpServer receiver;
  private static Path words;
  private static JWTAuth jwt;
  private static final List<JsonObject> received = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    receiver = cluster.client().createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String ts = req.getHeader("X-Liveroom-Timestamp");
      String sig = req.getHeader("X-Liveroom-Signature");
      received.add(new JsonObject().put("valid", sig != null && sig.equals("sha256=" + hmac(ts + "." + body)))
          .put("event", body.toJsonObject()));
      req.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1").await();
    words = Files.createTempFile("liveroom-words", ".txt");
    Files.writeString(words, "# blocked words\nbadword\n\uff37\uff29\uff24\uff25\n");
    cluster.start(0, new JsonObject()
        .put("webhooks", new JsonObject().put("urls", new JsonArray().add("http://127.0.0.1:" + receiver.actualPort() + "/hook"))
            .put("secret", SECRET))
        .put("filter", new JsonObject().put("wordsFile", words.toString()).put("reloadMs", 200)));
    jwt = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
  }

  private static String hmac(String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static RtClient member(String user, String room) {
    RtClient c = RtClient.connect(cluster.client(), cluster.node(0).httpPort());
    assertTrue(c.hello(jwt.generateToken(new JsonObject().put("sub", user), new JWTOptions().setExpiresInSeconds(300)))
        .getBoolean("ok"));
    assertTrue(c.join(room).getBoolean("ok"));
    return c;
  }

  private static String textOf(RtClient c, String room) throws InterruptedException {
    JsonObject p = c.awaitPush(x -> "danmaku".equals(x.getString("push")) && room.equals(x.getString("room")), 5000);
    return p.getJsonArray("items").getJsonObject(0).getString("text");
  }

  @Test
  void roomEventsReachTheReceiverSigned() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "hooked-1").put("title", "hooked")
        .put("ownerId", "host-1")).status());
    assertEquals(200, api.patch("/api/v1/rooms/hooked-1", new JsonObject().put("state", "live")).status());
    assertEquals(200, api.post("/api/v1/rooms/hooked-1/moderation", new JsonObject().put("action", "mute")
        .put("user", "someone").put("durationSec", 30)).status());
    assertEquals(200, api.delete("/api/v1/rooms/hooked-1").status());
    Await.until(() -> received.stream().filter(r -> "hooked-1".equals(r.getJsonObject("event").getString("room")))
        .count() >= 4, Duration.ofSeconds(10), "four events arrived");
    List<String> events = received.stream().map(r -> r.getJsonObject("event"))
        .filter(e -> "hooked-1".equals(e.getString("room"))).map(e -> e.getString("event")).toList();
    assertEquals(List.of("room.created", "room.live", "moderation", "room.ended"), events);
    assertTrue(received.stream().allMatch(r -> r.getBoolean("valid")), "every event is signed with the secret");
    JsonObject moderation = received.stream().map(r -> r.getJsonObject("event"))
        .filter(e -> "moderation".equals(e.getString("event"))).findFirst().orElseThrow();
    assertEquals("mute", moderation.getJsonObject("data").getString("action"));
    assertEquals("api", moderation.getJsonObject("data").getString("by"));
  }

  @Test
  void theFilterMasksRejectsAndReloadsItsWords() throws Exception {
    Http api = cluster.http(0);
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "masked-1").put("title", "masked")
        .put("ownerId", "host-1")).status());
    assertEquals(201, api.post("/api/v1/rooms", new JsonObject().put("id", "strict-1").put("title", "strict")
        .put("ownerId", "host-1").put("filter", "reject")).status());
    RtClient a = member("talker-a", "masked-1");
    assertTrue(a.send("masked-1", "what a BadWord that was").getBoolean("ok"));
    assertEquals("what a ******* that was", textOf(a, "masked-1"), "case-insensitive, masked in place");
    assertTrue(a.send("masked-1", "a Wide one").getBoolean("ok"));
    assertEquals("a **** one", textOf(a, "masked-1"), "a full-width word in the file matches ASCII text");

    RtClient b = member("talker-b", "strict-1");
    JsonObject refused = b.send("strict-1", "badword here");
    assertFalse(refused.getBoolean("ok"));
    assertEquals("FORBIDDEN", refused.getJsonObject("error").getString("code"));
    assertTrue(b.send("strict-1", "all fine").getBoolean("ok"));

    Files.writeString(words, "badword\nfreshword\n");
    Await.until(() -> {
      JsonObject r = b.send("strict-1", "freshword!");
      return !r.getBoolean("ok");
    }, Duration.ofSeconds(10), "the rewritten word file is in force without a restart");
    assertEquals(400, api.patch("/api/v1/rooms/strict-1", new JsonObject().put("filter", "loud")).status());
    assertEquals("off", api.patch("/api/v1/rooms/strict-1", new JsonObject().put("filter", "off")).json().getString("filter"));
    assertTrue(b.send("strict-1", "badword is fine here now").getBoolean("ok"));
    a.close();
    b.close();
  }
}
