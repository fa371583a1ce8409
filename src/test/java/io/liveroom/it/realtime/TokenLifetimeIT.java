package io.liveroom.it.realtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.RtClient;
import io.liveroom.testing.TestCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Token lifetime on real nodes: a JWT must expire, a connection is closed with {@code bye}
 * {@code TOKEN_EXPIRED} when its token does, {@code refresh} moves that time and the roles,
 * and {@code iss}/{@code aud} are checked where configured. Node 0 has the defaults but no
 * leeway, so that a token's {@code exp} is the second its connection ends; node 1 also checks
 * issuer and audience.
 */
@RedisAndCluster(nodes = 2)
class TokenLifetimeIT {
  private static final String ISSUER = "https://id.example";
  private static final String AUDIENCE = "liveroom-test";
  private static TestCluster cluster;
  private static JWTAuth signer;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    cluster.start(0, auth(new JsonObject()));
    cluster.start(1, auth(new JsonObject().put("issuer", ISSUER).put("audience", AUDIENCE)));
    cluster.awaitClusterSafe();
    signer = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestCluster.JWT_SECRET)));
  }

  private static JsonObject auth(JsonObject jwt) {
    return new JsonObject().put("auth", new JsonObject().put("jwt", jwt.put("leewaySec", 0)));
  }

  private static long nowSec() {
    return System.currentTimeMillis() / 1000;
  }

  /** Signs {@code claims} as they are: no exp unless they have one. */
  private static String sign(JsonObject claims) {
    return signer.generateToken(claims);
  }

  private static String token(String user, long exp) {
    return sign(new JsonObject().put("sub", user).put("exp", exp));
  }

  private static JsonObject without(JsonObject claims, String key) {
    JsonObject copy = claims.copy();
    copy.remove(key);
    return copy;
  }

  private static RtClient connect(int node) {
    return RtClient.connect(cluster.client(), cluster.node(node).httpPort());
  }

  private static JsonObject refresh(RtClient c, String token) {
    JsonObject cmd = new JsonObject().put("op", "refresh");
    if (token != null) {
      cmd.put("token", token);
    }
    return c.call(cmd);
  }

  private static String code(JsonObject reply) {
    assertFalse(reply.getBoolean("ok"), reply.encode());
    return reply.getJsonObject("error").getString("code");
  }

  private static String message(JsonObject reply) {
    return reply.getJsonObject("error").getString("message");
  }

  private static JsonObject awaitBye(RtClient c, long ms) throws InterruptedException {
    return c.awaitPush(p -> "bye".equals(p.getString("push")), ms);
  }

  private static double expiredConnections(int node) {
    String metrics = cluster.http(node).withToken(null).get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^liveroom_connections_expired_total(?:\\{[^}]*})? (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  @Test
  void aTokenWithoutExpIsRefusedAtHelloAtRefreshAndOnTheApi() {
    try (RtClient c = connect(0)) {
      JsonObject r = c.hello(sign(new JsonObject().put("sub", "forever")));
      assertEquals("UNAUTHORIZED", code(r));
      assertTrue(message(r).contains("exp"), r.encode());
      assertTrue(c.hello(token("forever", nowSec() + 60)).getBoolean("ok"), "the same user with an exp signs in");
      JsonObject again = refresh(c, sign(new JsonObject().put("sub", "forever")));
      assertEquals("UNAUTHORIZED", code(again));
      assertTrue(message(again).contains("exp"), again.encode());
    }
    JsonObject admin = new JsonObject().put("sub", "ops").put("rooms", new JsonObject().put("*", "admin"));
    Http.Reply noExp = cluster.http(0).withToken(sign(admin.copy())).get("/api/v1/rooms");
    assertEquals(401, noExp.status(), noExp.toString());
    assertEquals("UNAUTHORIZED", noExp.errorCode());
    assertTrue(noExp.json().getJsonObject("error").getString("message").contains("exp"), noExp.toString());
    Http.Reply expired = cluster.http(0).withToken(sign(admin.copy().put("exp", nowSec() - 1))).get("/api/v1/rooms");
    assertEquals(401, expired.status(), expired.toString());
    Http.Reply valid = cluster.http(0).withToken(sign(admin.copy().put("exp", nowSec() + 60))).get("/api/v1/rooms");
    assertEquals(200, valid.status(), valid.toString());
  }

  @Test
  void issuerAndAudienceMustMatchWhereTheyAreConfigured() {
    JsonObject good = new JsonObject().put("sub", "issued").put("exp", nowSec() + 60).put("iss", ISSUER)
        .put("aud", AUDIENCE);
    Object[][] refused = {
        {good.copy().put("iss", "https://other.example"), "iss"},
        {without(good, "iss"), "iss"},
        {good.copy().put("aud", "another-service"), "aud"},
        {good.copy().put("aud", new JsonArray().add("a").add("b")), "aud"},
        {without(good, "aud"), "aud"},
    };
    for (Object[] c : refused) {
      try (RtClient client = connect(1)) {
        JsonObject r = client.hello(sign((JsonObject) c[0]));
        assertEquals("UNAUTHORIZED", code(r), ((JsonObject) c[0]).encode());
        assertTrue(message(r).contains((String) c[1]), r.encode());
      }
    }
    try (RtClient client = connect(1)) {
      assertTrue(client.hello(sign(good.copy())).getBoolean("ok"));
    }
    try (RtClient client = connect(1)) {
      JsonObject listed = good.copy().put("aud", new JsonArray().add("another-service").add(AUDIENCE));
      assertTrue(client.hello(sign(listed)).getBoolean("ok"), "aud may be a list that contains the audience");
    }
    try (RtClient client = connect(0)) {
      assertTrue(client.hello(sign(good.copy().put("iss", "https://other.example"))).getBoolean("ok"),
          "a node without auth.jwt.issuer does not check iss");
    }
    JsonObject admin = good.copy().put("rooms", new JsonObject().put("*", "admin"));
    assertEquals(200, cluster.http(1).withToken(sign(admin.copy())).get("/api/v1/rooms").status());
    Http.Reply wrongIssuer = cluster.http(1).withToken(sign(admin.copy().put("iss", "https://other.example")))
        .get("/api/v1/rooms");
    assertEquals(401, wrongIssuer.status(), wrongIssuer.toString());
  }

  @Test
  void aConnectionWhoseTokenExpiresGetsByeTokenExpiredAndIsClosed() throws Exception {
    String room = "expiry-1";
    cluster.createRoom(room);
    double before = expiredConnections(0);
    RtClient guest = connect(0);
    assertTrue(guest.hello(null).getBoolean("ok"));
    RtClient c = connect(0);
    long exp = nowSec() + 2;
    assertTrue(c.hello(token("short-lived", exp)).getBoolean("ok"));
    assertTrue(c.join(room).getBoolean("ok"));
    assertTrue(c.send(room, "before it expires").getBoolean("ok"));

    JsonObject bye = awaitBye(c, 10_000);
    assertNotNull(bye, "a bye once the token expired");
    assertEquals("TOKEN_EXPIRED", bye.getString("reason"));
    assertTrue(System.currentTimeMillis() >= exp * 1000, "not before exp");
    Await.until(c::isClosed, Duration.ofSeconds(5), "the server closed the connection after the bye");
    Await.until(() -> expiredConnections(0) >= before + 1, Duration.ofSeconds(5),
        "liveroom_connections_expired_total counted it");

    assertTrue(guest.call(new JsonObject().put("op", "ping")).getBoolean("ok"), "a guest has no token to expire");
    assertNull(awaitBye(guest, 200));
    c.close();
    guest.close();
  }

  @Test
  void aRefreshBeforeExpiryKeepsTheConnectionAndBringsTheNewRoles() throws Exception {
    String room = "refresh-1";
    cluster.createRoom(room);
    RtClient c = connect(0);
    long firstExp = nowSec() + 2;
    assertTrue(c.hello(token("refresher", firstExp)).getBoolean("ok"));
    assertTrue(c.join(room).getBoolean("ok"));
    JsonObject slowmode = new JsonObject().put("op", "moderate").put("room", room).put("action", "slowmode")
        .put("durationSec", 0);
    assertEquals("FORBIDDEN", code(c.call(slowmode)), "a viewer may not moderate");

    long secondExp = nowSec() + 60;
    JsonObject r = refresh(c, sign(new JsonObject().put("sub", "refresher").put("exp", secondExp)
        .put("rooms", new JsonObject().put(room, "moderator"))));
    assertTrue(r.getBoolean("ok"), r.encode());
    assertEquals(secondExp * 1000, r.getLong("exp"), "exp in epoch milliseconds");
    assertTrue(c.call(slowmode).getBoolean("ok"), "the refreshed token's roles apply");

    // past the first token's exp by two checks of the expiry timer: the connection is still open
    Await.quietPeriod(Duration.ofMillis(Math.max(0, firstExp * 1000 - System.currentTimeMillis()) + 2500),
        "no bye after a refresh", () -> !c.isClosed() && c.drainPushes().stream()
            .noneMatch(p -> "bye".equals(p.getString("push"))));
    JsonObject sent = c.send(room, "after the first exp");
    assertTrue(sent.getBoolean("ok"), sent.encode());
    c.close();
  }

  @Test
  void aRefreshThatFailsChangesNothing() throws Exception {
    RtClient c = connect(0);
    long exp = nowSec() + 3;
    assertTrue(c.hello(token("alice", exp)).getBoolean("ok"));

    JsonObject other = refresh(c, token("bob", nowSec() + 60));
    assertEquals("FORBIDDEN", code(other), "another user's token");
    assertTrue(message(other).contains("sub"), other.encode());
    assertEquals("UNAUTHORIZED", code(refresh(c, token("alice", nowSec() - 60))), "an expired token");
    String forged = JWTAuth.create(cluster.client(), new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer("not-the-secret-but-as-long-as-one"))).generateToken(
            new JsonObject().put("sub", "alice").put("exp", nowSec() + 60));
    assertEquals("UNAUTHORIZED", code(refresh(c, forged)), "a token signed with another key");
    assertEquals("BAD_REQUEST", code(refresh(c, null)), "no token");
    assertEquals("BAD_REQUEST", code(c.call(new JsonObject().put("op", "refresh").put("token", 42))));

    JsonObject bye = awaitBye(c, 10_000);
    assertNotNull(bye, "the first token's expiry still holds");
    assertEquals("TOKEN_EXPIRED", bye.getString("reason"));
    c.close();

    try (RtClient guest = connect(0); RtClient early = connect(0)) {
      assertTrue(guest.hello(null).getBoolean("ok"));
      assertEquals("FORBIDDEN", code(refresh(guest, token("alice", nowSec() + 60))), "a guest cannot sign in by refresh");
      assertEquals("UNAUTHORIZED", code(refresh(early, token("alice", nowSec() + 60))), "refresh before hello");
    }
  }
}
