package io.liveroom.it.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liveroom.testing.Await;
import io.liveroom.testing.Http;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API of one node: auth, validation, the error table, lifecycle, health and metrics. */
@RedisAndCluster(nodes = 1, started = 1)
class ApiIT {
  private static TestCluster cluster;
  private static Http api;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    api = cluster.http(0);
  }

  private static String jwt(JsonObject claims, String secret) {
    JWTAuth auth = JWTAuth.create(cluster.client(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return auth.generateToken(claims, new JWTOptions().setExpiresInSeconds(60));
  }

  @Test
  void requestsWithoutAValidBearerAreRefused() {
    Http.Reply none = api.withToken(null).get("/api/v1/rooms");
    assertEquals(401, none.status());
    assertEquals("UNAUTHORIZED", none.errorCode());
    assertEquals(401, api.withToken("wrong-key").get("/api/v1/rooms").status());
    assertEquals(401, api.withToken(jwt(new JsonObject().put("sub", "u1")
        .put("rooms", new JsonObject().put("*", "admin")), "another-secret-entirely")).get("/api/v1/rooms").status());
    Http.Reply viewer = api.withToken(jwt(new JsonObject().put("sub", "u1"), TestCluster.JWT_SECRET)).get("/api/v1/rooms");
    assertEquals(403, viewer.status());
    assertEquals("FORBIDDEN", viewer.errorCode());
    Http.Reply admin = api.withToken(jwt(new JsonObject().put("sub", "ops")
        .put("rooms", new JsonObject().put("*", "admin")), TestCluster.JWT_SECRET)).get("/api/v1/rooms");
    assertEquals(200, admin.status(), admin.toString());
  }

  @Test
  void badInputGetsBadRequestWithAMessage() {
    String[][] cases = {
        {"{\"title\":\"t\"}", "ownerId is required"},
        {"{\"ownerId\":\"h\"}", "title is required"},
        {"{\"id\":\"-bad\",\"title\":\"t\",\"ownerId\":\"h\"}", "id must match"},
        {"{\"id\":\"a b\",\"title\":\"t\",\"ownerId\":\"h\"}", "id must match"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"colour\":1}", "unknown field 'colour'"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"maxMembers\":\"10\"}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"maxMembers\":1.5}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"maxMembers\":99999999999}", "maxMembers must be an integer"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"guestsCanRead\":\"yes\"}", "guestsCanRead must be true or false"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"metadata\":[1]}", "metadata must be a JSON object"},
        {"{\"title\":\"   \",\"ownerId\":\"h\"}", "title must not be blank"},
        {"{\"title\":\"t\",\"ownerId\":\"h\",\"state\":\"live\"}", "unknown field 'state'"},
        {"[1,2]", "body must be a JSON object"},
        {"{\"title\":", "not valid JSON"},
        {"", "a JSON object body is required"},
    };
    for (String[] c : cases) {
      Http.Reply r = api.send(HttpMethod.POST, "/api/v1/rooms", c[0], "application/json");
      assertEquals(400, r.status(), c[0] + " -> " + r);
      assertEquals("BAD_REQUEST", r.errorCode(), c[0]);
      assertTrue(r.json().getJsonObject("error").getString("message").contains(c[1]), c[0] + " -> " + r);
    }
    Http.Reply text = api.send(HttpMethod.POST, "/api/v1/rooms", "{}", "text/plain");
    assertEquals(400, text.status());
    assertTrue(text.body().contains("Content-Type"));
    assertEquals(400, api.get("/api/v1/rooms/" + "x".repeat(65)).status());
    assertEquals(400, api.get("/api/v1/rooms?limit=0").status());
    assertEquals(400, api.get("/api/v1/rooms?limit=abc").status());
    assertEquals(400, api.get("/api/v1/rooms?cursor=%%%").status());
    assertEquals(400, api.get("/api/v1/rooms?cursor=LS0t").status(), "a cursor that decodes to an invalid id");
    assertEquals(400, api.get("/api/v1/rooms?state=sleeping").status());
  }

  @Test
  void oversizedBodiesAndMetadataAreTooLarge() {
    String huge = "{\"title\":\"t\",\"ownerId\":\"h\",\"metadata\":{\"x\":\"" + "a".repeat(70_000) + "\"}}";
    Http.Reply r = api.send(HttpMethod.POST, "/api/v1/rooms", huge, "application/json");
    assertEquals(413, r.status(), r.toString());
    assertEquals("TOO_LARGE", r.errorCode());
    String big = "{\"title\":\"t\",\"ownerId\":\"h\",\"metadata\":{\"x\":\"" + "a".repeat(5000) + "\"}}";
    Http.Reply m = api.send(HttpMethod.POST, "/api/v1/rooms", big, "application/json");
    assertEquals(413, m.status(), m.toString());
    assertEquals("TOO_LARGE", m.errorCode());
  }

  @Test
  void unknownRoomsAndEndpointsAre404() {
    Http.Reply r = api.get("/api/v1/rooms/no-such-room");
    assertEquals(404, r.status());
    assertEquals("NOT_FOUND", r.errorCode());
    assertEquals(404, api.patch("/api/v1/rooms/no-such-room", new JsonObject().put("title", "x")).status());
    assertEquals(404, api.delete("/api/v1/rooms/no-such-room").status());
    assertEquals(404, api.get("/api/v1/nothing-here").status());
    assertEquals("NOT_FOUND", api.get("/api/v1/nothing-here").errorCode());
  }

  @Test
  void aRoomGoesThroughItsLifecycle() {
    Http.Reply created = api.post("/api/v1/rooms", new JsonObject().put("title", "  Launch stream  ")
        .put("ownerId", "host-9").put("maxMembers", 500).put("guestsCanRead", false).put("slowModeSec", 5));
    assertEquals(201, created.status(), created.toString());
    JsonObject room = created.json();
    String id = room.getString("id");
    assertNotNull(id);
    assertEquals("Launch stream", room.getString("title"));
    assertEquals("created", room.getString("state"));
    assertEquals(500, room.getInteger("maxMembers"));
    assertFalse(room.getBoolean("guestsCanRead"));
    assertEquals(5, room.getInteger("slowModeSec"));
    assertEquals(new JsonObject(), room.getJsonObject("metadata"));
    assertEquals(0, room.getInteger("online"));
    assertTrue(room.getBoolean("hot"));
    assertTrue(room.getLong("createdAt") > 0);

    Http.Reply paused = api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "paused"));
    assertEquals(400, paused.status(), "created -> paused is not a transition: " + paused);
    assertEquals("live", api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "live")).json().getString("state"));
    assertEquals("paused", api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "paused")).json().getString("state"));
    JsonObject live = api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "live")
        .put("metadata", new JsonObject().put("game", "chess"))).json();
    assertEquals("live", live.getString("state"));
    assertEquals("chess", live.getJsonObject("metadata").getString("game"));
    assertEquals(400, api.patch("/api/v1/rooms/" + id, new JsonObject().put("state", "ended")).status());
    assertEquals(400, api.patch("/api/v1/rooms/" + id, new JsonObject().put("ownerId", "x")).status());

    Http.Reply ended = api.delete("/api/v1/rooms/" + id);
    assertEquals(200, ended.status());
    assertEquals("ended", ended.json().getString("state"));
    assertEquals(200, api.delete("/api/v1/rooms/" + id).status(), "ending an ended room is idempotent");
    Http.Reply closed = api.patch("/api/v1/rooms/" + id, new JsonObject().put("title", "again"));
    assertEquals(409, closed.status());
    assertEquals("ROOM_CLOSED", closed.errorCode());
    assertEquals("ended", api.get("/api/v1/rooms/" + id).json().getString("state"));
    assertTrue(api.get("/api/v1/rooms?state=ended").json().getJsonArray("rooms").stream()
        .anyMatch(o -> ((JsonObject) o).getString("id").equals(id)));
    assertNull(api.get("/api/v1/rooms?state=ended").json().getString("next"));
  }

  @Test
  void healthAndMetricsAreServedWithoutAuth() throws Exception {
    Await.until(() -> api.withToken(null).get("/health/ready").status() == 200, java.time.Duration.ofSeconds(10), "ready");
    JsonObject ready = api.withToken(null).get("/health/ready").json();
    assertEquals("UP", ready.getString("status"));
    assertEquals(200, api.withToken(null).get("/health/live").status());
    api.get("/api/v1/rooms/no-such-room");
    String metrics = api.withToken(null).get("/metrics").body();
    for (String meter : new String[] {"liveroom_rooms_hot", "liveroom_shard_commands_total", "liveroom_redis_requests_seconds_bucket",
        "jvm_memory_used_bytes", "vertx_http_server_requests_total", "vertx_eventbus_processed_total",
        "liveroom_connections", "liveroom_partitions_owned 271", "liveroom_rooms_stored"}) {
      assertTrue(metrics.contains(meter), "missing meter " + meter);
    }
    assertFalse(metrics.contains("no-such-room"), "a room id must never be a label");
  }
}
