package io.liveroom.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.liveroom.Node;
import io.liveroom.testing.RedisAndCluster;
import io.liveroom.testing.TestCluster;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP API as a contract: the OpenAPI document a node serves at {@code /api/v1/openapi.json}
 * is valid OpenAPI (vertx-openapi reads it), names exactly the routes the edge's router has under
 * {@code /api/v1}, each of which a real node serves, and real responses match its schemas.
 */
@RedisAndCluster(nodes = 1, started = 1)
class OpenApiContractIT {
  private static final String BASE = "/api/v1";
  private static final String ROOM = "contract-room";

  private static TestCluster cluster;
  private static WebClient client;
  private static JsonObject document;
  private static OpenAPIContract contract;
  private static ResponseValidator validator;

  @BeforeAll
  static void up(TestCluster c) throws Exception {
    cluster = c;
    client = WebClient.create(c.client(), new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(c.node(0).httpPort()));
    HttpResponse<Buffer> served = client.get(BASE + "/openapi.json").send().await();
    assertEquals(200, served.statusCode(), served.bodyAsString());
    document = served.bodyAsJsonObject();
    // The document's server is relative ("/api/v1", so tools use wherever they fetched it from),
    // which OpenAPI allows and vertx-openapi 5.0.10 refuses (eclipse-vertx/vertx-openapi#99): its
    // reader gets the same document with this node's absolute URL.
    JsonObject absolute = document.copy().put("servers", new JsonArray()
        .add(new JsonObject().put("url", "http://127.0.0.1:" + c.node(0).httpPort() + BASE)));
    // fails unless the document is valid OpenAPI and every $ref resolves
    contract = OpenAPIContract.from(c.client(), absolute).await(30, TimeUnit.SECONDS);
    validator = ResponseValidator.create(c.client(), contract);
    cluster.createRoom(ROOM);
  }

  @Test
  void theDocumentIsServedWithoutAuthAndRevalidates() throws Exception {
    HttpResponse<Buffer> r = client.get(BASE + "/openapi.json").send().await();
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.getHeader("Content-Type"));
    assertTrue(r.getHeader("Cache-Control").contains("max-age"), r.getHeader("Cache-Control"));
    String etag = r.getHeader("ETag");
    assertNotNull(etag);
    byte[] resource;
    try (var in = getClass().getClassLoader().getResourceAsStream(OpenApiDocument.RESOURCE)) {
      resource = in.readAllBytes();
    }
    assertEquals(new String(resource, StandardCharsets.UTF_8), r.bodyAsString(), "served as built");
    assertTrue(document.getString("openapi").startsWith("3."), document.getString("openapi"));
    assertEquals(BASE, document.getJsonArray("servers").getJsonObject(0).getString("url"));

    HttpResponse<Buffer> again = client.get(BASE + "/openapi.json").putHeader("If-None-Match", etag).send().await();
    assertEquals(304, again.statusCode());
    assertEquals(etag, again.getHeader("ETag"));
    HttpResponse<Buffer> other = client.get(BASE + "/openapi.json").putHeader("If-None-Match", "\"other\"").send().await();
    assertEquals(200, other.statusCode());
  }

  @Test
  void theRouterAndTheDocumentNameTheSameOperations() throws Exception {
    Set<String> documented = new TreeSet<>();
    for (Operation op : contract.operations()) {
      documented.add(op.getHttpMethod().name() + " " + BASE + op.getOpenAPIPath());
    }
    // an edge of the running node, deployed once more to read the routes it builds
    Node node = cluster.node(0);
    EdgeVerticle edge = new EdgeVerticle(node.services(), 99);
    String deployment = node.vertx().deployVerticle(edge).await(30, TimeUnit.SECONDS);
    Set<String> routed = new TreeSet<>();
    try {
      for (Route route : edge.router().getRoutes()) {
        String path = route.getPath();
        Set<HttpMethod> methods = route.methods();
        if (path == null || !path.startsWith(BASE + "/") || methods == null || methods.isEmpty()) {
          continue; // the API's auth and not-found routes take every method
        }
        for (HttpMethod m : methods) {
          routed.add(m.name() + " " + path.replaceAll(":([A-Za-z0-9_]+)", "{$1}"));
        }
      }
    } finally {
      node.vertx().undeploy(deployment).await(30, TimeUnit.SECONDS);
    }
    assertFalse(routed.isEmpty());
    assertEquals(documented, routed, "operations of the OpenAPI document vs routes of the edge");
  }

  @Test
  void everyDocumentedOperationIsServed() {
    String room = "contract-probe";
    cluster.createRoom(room);
    // DELETE last: it ends the room the others use
    List<Operation> ops = contract.operations().stream()
        .sorted(Comparator.comparing(op -> op.getHttpMethod() == HttpMethod.DELETE))
        .toList();
    for (Operation op : ops) {
      String path = BASE + op.getOpenAPIPath().replace("{id}", room);
      boolean hasBody = op.getHttpMethod() == HttpMethod.POST || op.getHttpMethod() == HttpMethod.PATCH;
      HttpResponse<Buffer> r = call(op.getHttpMethod(), path, hasBody ? new JsonObject() : null);
      String what = op.getOperationId() + " " + op.getHttpMethod() + " " + path + " -> " + r.statusCode() + " "
          + r.bodyAsString();
      assertNotEquals(405, r.statusCode(), what);
      if (r.statusCode() == 404) {
        String message = r.bodyAsJsonObject().getJsonObject("error").getString("message");
        assertFalse(message.startsWith("no endpoint"), what);
      }
      assertTrue(r.statusCode() < 500, what);
    }
  }

  @Test
  void realResponsesMatchTheDocumentedSchemas() {
    String id = "contract-schemas";
    JsonObject create = new JsonObject().put("id", id).put("title", "Schemas").put("ownerId", "host-1")
        .put("metadata", new JsonObject().put("game", "go")).put("filter", "mask");
    check("createRoom", call(HttpMethod.POST, BASE + "/rooms", create), 201);
    check("getRoom", call(HttpMethod.GET, BASE + "/rooms/" + id, null), 200);
    check("listRooms", call(HttpMethod.GET, BASE + "/rooms?limit=1", null), 200);
    check("updateRoom", call(HttpMethod.PATCH, BASE + "/rooms/" + id, new JsonObject().put("state", "live")), 200);
    HttpResponse<Buffer> published = call(HttpMethod.POST, BASE + "/rooms/" + id + "/messages",
        new JsonObject().put("text", "hello").put("progress", 1500)
            .put("user", new JsonObject().put("id", "u1").put("name", "U")));
    check("publishMessage", published, 202);
    check("getHistory", call(HttpMethod.GET, BASE + "/rooms/" + id + "/messages", null), 200);
    check("getReplay", call(HttpMethod.GET, BASE + "/rooms/" + id + "/replay?fromMs=0&toMs=10000", null), 200);
    long seq = published.bodyAsJsonObject().getLong("seq");
    check("moderate", call(HttpMethod.POST, BASE + "/rooms/" + id + "/moderation",
        new JsonObject().put("action", "pin").put("seq", seq)), 200);
    check("moderate", call(HttpMethod.POST, BASE + "/rooms/" + id + "/moderation",
        new JsonObject().put("action", "mute").put("user", "u2").put("durationSec", 60).put("reason", "spam")), 200);
    check("getModerationLog", call(HttpMethod.GET, BASE + "/rooms/" + id + "/moderation/log?limit=1", null), 200);
    check("getMembers", call(HttpMethod.GET, BASE + "/rooms/" + id + "/members", null), 200);
    check("getStats", call(HttpMethod.GET, BASE + "/stats", null), 200);
    check("endRoom", call(HttpMethod.DELETE, BASE + "/rooms/" + id, null), 200);

    // errors, each with the error body
    check("getRoom", call(HttpMethod.GET, BASE + "/rooms/no-such-room", null), 404);
    check("createRoom", call(HttpMethod.POST, BASE + "/rooms", new JsonObject().put("title", "t")), 400);
    check("createRoom", call(HttpMethod.POST, BASE + "/rooms", create), 409);
    check("updateRoom", call(HttpMethod.PATCH, BASE + "/rooms/" + id, new JsonObject().put("title", "again")), 409);
    check("listRooms", call(HttpMethod.GET, BASE + "/rooms?limit=0", null), 400);
    check("getMembers", call(HttpMethod.GET, BASE + "/rooms/" + id + "/members?limit=501", null), 400);
    check("getMembers", call(HttpMethod.GET, BASE + "/rooms/no-such-room/members", null), 404);
    HttpResponse<Buffer> anonymous = client.get(BASE + "/rooms").send().await();
    check("listRooms", anonymous, 401);
  }

  /** Validates a response with vertx-openapi, then checks that it has no field the document does not name. */
  private static void check(String operationId, HttpResponse<Buffer> r, int status) {
    String what = operationId + " -> " + r.statusCode() + " " + r.bodyAsString();
    assertEquals(status, r.statusCode(), what);
    Map<String, String> headers = new HashMap<>();
    MultiMap h = r.headers();
    h.names().forEach(n -> headers.put(n, h.get(n)));
    try {
      validator.validate(ValidatableResponse.create(r.statusCode(), headers, r.body(), r.getHeader("Content-Type")),
          operationId).await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      fail(what + ": " + e.getMessage(), e);
    }
    JsonObject schema = responseSchema(operationId, status);
    assertNotNull(schema, "no JSON schema for " + operationId + " " + status);
    assertDocumented(r.bodyAsJsonObject(), schema, operationId + ":" + status + " body");
  }

  /** The schema of {@code operationId}'s response with this status (or its default), from the served document. */
  private static JsonObject responseSchema(String operationId, int status) {
    JsonObject paths = document.getJsonObject("paths");
    for (String p : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(p);
      for (String method : item.fieldNames()) {
        Object op = item.getValue(method);
        if (op instanceof JsonObject o && operationId.equals(o.getString("operationId"))) {
          JsonObject responses = o.getJsonObject("responses");
          JsonObject response = resolve(responses.getJsonObject(Integer.toString(status), responses.getJsonObject("default")));
          return response.getJsonObject("content").getJsonObject("application/json").getJsonObject("schema");
        }
      }
    }
    return null;
  }

  /**
   * Every field of {@code value} is named by {@code schema}'s properties, recursively: a field the
   * code adds without documenting it fails here, which the OpenAPI schemas alone (open to
   * additional properties, as a response's should be) would let through.
   */
  private static void assertDocumented(Object value, JsonObject schema, String where) {
    JsonObject s = resolve(schema);
    if (value instanceof JsonObject o && s.containsKey("properties")) {
      JsonObject props = s.getJsonObject("properties");
      for (String k : o.fieldNames()) {
        assertTrue(props.containsKey(k), where + "." + k + " is not in the document");
        assertDocumented(o.getValue(k), props.getJsonObject(k), where + "." + k);
      }
    } else if (value instanceof JsonArray a && s.containsKey("items")) {
      for (int i = 0; i < a.size(); i++) {
        assertDocumented(a.getValue(i), s.getJsonObject("items"), where + "[" + i + "]");
      }
    }
  }

  private static JsonObject resolve(JsonObject node) {
    JsonObject n = node;
    while (n.containsKey("$ref")) {
      String ref = n.getString("$ref");
      assertTrue(ref.startsWith("#/"), ref);
      Object at = document;
      for (String part : ref.substring(2).split("/")) {
        at = ((JsonObject) at).getValue(part);
      }
      n = (JsonObject) at;
    }
    return n;
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body) {
    HttpRequest<Buffer> req = client.request(method, path).bearerTokenAuthentication(TestCluster.API_KEY).timeout(30_000);
    return (body == null ? req.send() : req.sendJsonObject(body)).await();
  }
}
