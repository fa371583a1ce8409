package io.liveroom.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test client of the real-time channel over the raw WebSocket transport
 * ({@code /rt/websocket}): blocking calls from the test thread, replies matched by id, pushes
 * queued in arrival order.
 */
public final class RtClient implements AutoCloseable {
  private final WebSocketClient client;
  private final WebSocket ws;
  private final LinkedBlockingQueue<JsonObject> replies = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<JsonObject> pushes = new LinkedBlockingQueue<>();
  private volatile boolean closed;
  private long nextId = 1;

  /** SockJS framing (o, h, a[...], c[...]) on the session WebSocket transport, else raw frames. */
  private final boolean framed;

  private RtClient(WebSocketClient client, WebSocket ws, boolean framed) {
    this.client = client;
    this.ws = ws;
    this.framed = framed;
    try {
      ws.textMessageHandler(text -> {
        if (!framed) {
          accept(text);
        } else if (text.startsWith("a")) {
          new io.vertx.core.json.JsonArray(text.substring(1)).forEach(m -> accept((String) m));
        } else if (text.startsWith("c")) {
          closed = true;
        }
      });
      ws.closeHandler(v -> closed = true);
    } catch (IllegalStateException alreadyClosed) {
      closed = true;
    }
  }

  private void accept(String text) {
    JsonObject o = new JsonObject(text);
    (o.containsKey("push") ? pushes : replies).add(o);
  }

  private void write(String json) {
    ws.writeTextMessage(framed ? new io.vertx.core.json.JsonArray().add(json).encode() : json);
  }

  /** Over SockJS's framed WebSocket transport ({@code /rt/<server>/<session>/websocket}), as sockjs-client uses. */
  public static RtClient connectFramed(Vertx vertx, int port, int receiveBufferBytes) {
    io.vertx.core.http.WebSocketClientOptions opts = new io.vertx.core.http.WebSocketClientOptions();
    if (receiveBufferBytes > 0) {
      opts.setReceiveBufferSize(receiveBufferBytes);
    }
    WebSocketClient c = vertx.createWebSocketClient(opts);
    String session = java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/rt/000/" + session + "/websocket");
    return new RtClient(c, c.connect(o).await(), true);
  }

  public static RtClient connect(Vertx vertx, int port) {
    return connect(vertx, port, null);
  }

  public static RtClient connect(Vertx vertx, int port, String origin) {
    return connect(vertx, port, origin, 0);
  }

  /** With {@code receiveBufferBytes} > 0 the kernel buffers little, so a paused client backs up the server fast. */
  public static RtClient connect(Vertx vertx, int port, String origin, int receiveBufferBytes) {
    io.vertx.core.http.WebSocketClientOptions opts = new io.vertx.core.http.WebSocketClientOptions();
    if (receiveBufferBytes > 0) {
      opts.setReceiveBufferSize(receiveBufferBytes);
    }
    WebSocketClient c = vertx.createWebSocketClient(opts);
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/rt/websocket");
    if (origin != null) {
      o.addHeader("Origin", origin);
    }
    return new RtClient(c, c.connect(o).await(), false);
  }

  /**
   * On the raw WebSocket with the client's own options and upgrade request (e.g. offering
   * permessage-deflate, {@code setTryUsePerMessageCompression}, or an extension header of one's own).
   */
  public static RtClient connect(Vertx vertx, int port, io.vertx.core.http.WebSocketClientOptions opts,
                                 WebSocketConnectOptions o) {
    WebSocketClient c = vertx.createWebSocketClient(opts);
    return new RtClient(c, c.connect(o.setHost("127.0.0.1").setPort(port).setURI("/rt/websocket")).await(), false);
  }

  /** The close code the server sent, null before it closed or when it sent none. */
  public Short closeStatus() {
    return ws.closeStatusCode();
  }

  /** The server's {@code Sec-WebSocket-Extensions} answer to the upgrade, or null. */
  public String extensions() {
    return ws.headers() == null ? null : ws.headers().get("Sec-WebSocket-Extensions");
  }

  /** Sends a text message as it is, not waiting for anything. */
  public void writeText(String text) {
    ws.writeTextMessage(text);
  }

  /** Sends a command with the next id and waits for its reply. */
  public JsonObject call(JsonObject cmd) {
    long id = nextId++;
    write(cmd.copy().put("id", id).encode());
    return awaitReply(r -> Long.valueOf(id).equals(r.getLong("id")), "reply to " + cmd.encode());
  }

  /** Sends a command without waiting for its reply (replies are kept and can be counted); answers its id. */
  public long fire(JsonObject cmd) {
    long id = nextId++;
    write(cmd.copy().put("id", id).encode());
    return id;
  }

  /** Replies received so far, removed from the queue. */
  public List<JsonObject> drainReplies() {
    List<JsonObject> out = new ArrayList<>();
    replies.drainTo(out);
    return out;
  }

  /** Stops reading from the socket, like a client that hangs; the server's writes back up. */
  public void stopReading() {
    ws.pause();
  }

  /** Sends raw text (for malformed input) and waits for the next reply with a null id. */
  public JsonObject raw(String text) {
    write(text);
    return awaitReply(r -> r.getValue("id") == null, "reply to " + text);
  }

  public JsonObject hello(String token) {
    JsonObject cmd = new JsonObject().put("op", "hello").put("v", 1);
    if (token != null) {
      cmd.put("token", token);
    }
    return call(cmd);
  }

  public JsonObject join(String room) {
    return call(new JsonObject().put("op", "join").put("room", room));
  }

  public JsonObject send(String room, String text) {
    return call(new JsonObject().put("op", "send").put("room", room).put("body", new JsonObject().put("text", text)));
  }

  private JsonObject awaitReply(Predicate<JsonObject> match, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<JsonObject> skipped = new ArrayList<>();
    try {
      while (System.nanoTime() < deadline) {
        JsonObject r = replies.poll(100, TimeUnit.MILLISECONDS);
        if (r != null && match.test(r)) {
          replies.addAll(skipped);
          return r;
        }
        if (r != null) {
          skipped.add(r);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new AssertionError("no " + what + " within 10 s");
  }

  /** The next push matching {@code match}, skipping others; null when none comes within {@code ms}. */
  public JsonObject awaitPush(Predicate<JsonObject> match, long ms) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < deadline) {
      JsonObject p = pushes.poll(50, TimeUnit.MILLISECONDS);
      if (p != null && match.test(p)) {
        return p;
      }
    }
    return null;
  }

  /** Pushes received so far, removed from the queue. */
  public List<JsonObject> drainPushes() {
    List<JsonObject> out = new ArrayList<>();
    pushes.drainTo(out);
    return out;
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    if (!closed) {
      try {
        ws.resume();
        ws.close().await();
      } catch (RuntimeException alreadyClosed) {
        // the server closed it first
      }
    }
    client.close();
  }
}
