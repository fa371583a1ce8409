package io.liveroom.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

/** A small blocking HTTP client for tests (called from the test thread, never an event loop). */
public final class Http {
  private final WebClient client;
  private final int port;
  private final String token;

  Http(Vertx vertx, int port, String token) {
    this(WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)), port, token);
  }

  private Http(WebClient client, int port, String token) {
    this.client = client;
    this.port = port;
    this.token = token;
  }

  /** The same client with another bearer token (null for none). */
  public Http withToken(String token) {
    return new Http(client, port, token);
  }

  public Reply get(String path) {
    return send(HttpMethod.GET, path, null, null);
  }

  public Reply delete(String path) {
    return send(HttpMethod.DELETE, path, null, null);
  }

  public Reply post(String path, JsonObject body) {
    return send(HttpMethod.POST, path, body.encode(), "application/json");
  }

  public Reply patch(String path, JsonObject body) {
    return send(HttpMethod.PATCH, path, body.encode(), "application/json");
  }

  public Reply send(HttpMethod method, String path, String body, String contentType) {
    HttpRequest<Buffer> req = client.request(method, path);
    if (token != null) {
      req.bearerTokenAuthentication(token);
    }
    if (contentType != null) {
      req.putHeader("Content-Type", contentType);
    }
    long t0 = System.nanoTime();
    req.timeout(30_000);
    var resp = (body == null ? req.send() : req.sendBuffer(Buffer.buffer(body))).await();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    return new Reply(resp.statusCode(), resp.bodyAsString(), resp.getHeader("X-Liveroom-Owner"), ms);
  }

  /** A response: status, body text, owner header and how long it took. */
  public record Reply(int status, String body, String owner, long millis) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String errorCode() {
      return json().getJsonObject("error").getString("code");
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }
}
