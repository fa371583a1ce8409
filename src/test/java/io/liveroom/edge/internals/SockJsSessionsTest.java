package io.liveroom.edge.internals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The SockJS session gauge reads vertx-web's own session table. */
class SockJsSessionsTest {
  @Test
  void anOpenXhrSessionIsCounted() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      router.route("/rt/*").subRouter(SockJSHandler.create(vertx, new SockJSHandlerOptions()).socketHandler(s -> { }));
      HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
          .await(10, TimeUnit.SECONDS);
      assertEquals(0, SockJsSessions.count(vertx));
      HttpClient client = vertx.createHttpClient(); // held: Vert.x closes a client that is garbage
      // the body is asked for on the event loop, in the same chain: a response already ended
      // before body() is called would have dropped it
      Buffer open = client
          .request(HttpMethod.POST, server.actualPort(), "127.0.0.1", "/rt/000/counted/xhr")
          .compose(req -> req.send().compose(HttpClientResponse::body))
          .await(10, TimeUnit.SECONDS);
      assertEquals("o\n", open.toString());
      assertEquals(1, SockJsSessions.count(vertx), "vertx-web's SockJS session table moved: the gauge reads 0");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
