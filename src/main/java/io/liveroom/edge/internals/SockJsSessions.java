package io.liveroom.edge.internals;

import io.vertx.core.Vertx;

/**
 * How many SockJS sessions vertx-web holds in a Vert.x instance: the sessions of the HTTP
 * transports (xhr, eventsource...) live in its table until their timeout, WebSocket sessions are
 * not in it. Read for the {@code liveroom_sockjs_sessions} gauge.
 */
public final class SockJsSessions {
  /** vertx-web's table of SockJS sessions (SockJSImpl), one per Vert.x instance. */
  private static final String MAP = "_vertx.sockjssessions";

  private SockJsSessions() {
  }

  public static int count(Vertx vertx) {
    return vertx.sharedData().getLocalMap(MAP).size();
  }
}
