/**
 * The edge's reaches into Vert.x, vertx-web and Netty internals, kept here so that a version
 * upgrade has one place to check. Each was written against Vert.x 5.0.10 (vertx-web 5.0.10,
 * Netty 4.2); the other edge classes use only the few public methods of this package.
 *
 * <h2>{@link io.liveroom.edge.internals.SharedFrames}: encode-once fan-out to raw WebSockets</h2>
 * <ul>
 *   <li>Relies on, by reflection: the field {@code ws} of vertx-web's
 *   {@code io.vertx.ext.web.handler.sockjs.impl.RawWebSocketTransport$RawWSSockJSSocket} (the
 *   {@code SockJSSocket} of {@code /rt/websocket}), and the field {@code delegate} of
 *   {@code io.vertx.ext.web.impl.ServerWebSocketWrapper}, which may wrap that WebSocket. By cast:
 *   the WebSocket underneath is an {@code io.vertx.core.internal.http.WebSocketInternal}, whose
 *   {@code channelHandlerContext()} is the context of Vert.x's handler in the Netty pipeline; a
 *   frame's {@code Buffer} is an {@code io.vertx.core.internal.buffer.BufferInternal}
 *   ({@code getByteBuf()}). Unwritten rules: a Netty {@code TextWebSocketFrame} written on that
 *   context is encoded by the WebSocket encoder Vert.x put in front of it, and the channel's
 *   writability follows {@code setWriteQueueMaxSize} (Vert.x sets the channel's write-buffer
 *   water marks from it).</li>
 *   <li>An upgrade can break: a renamed or removed field or class (vertx-web), a WebSocket that is
 *   no longer a {@code WebSocketInternal}, the internal packages themselves (then this fails to
 *   compile), a {@code Buffer} that is not a {@code BufferInternal}, another encoder or water-mark
 *   handling.</li>
 *   <li>Then: a field not found logs one warning at start-up; a socket whose channel is not found
 *   gets a null channel; either way the session writes through {@code SockJSSocket.write(String)}
 *   (one UTF-8 copy per socket and frame: slower, same bytes). A {@code Buffer} that is not a
 *   {@code BufferInternal} throws in the fan-out: no fallback.</li>
 *   <li>Caught by: {@code SharedFramesTest} (the fields are found, a raw WebSocket session of a real
 *   SockJS handler gets its channel, a shared frame's bytes and references);
 *   {@code SockJsProtocolIT}, {@code RealtimeIT}, {@code SlowConsumerIT} and the Autobahn run on
 *   the bytes and the slow-consumer cut-off.</li>
 * </ul>
 *
 * <h2>{@link io.liveroom.edge.internals.WebSocketPipeline}: Netty handlers ahead of Vert.x's</h2>
 * <ul>
 *   <li>Relies on, by cast: each {@code HttpConnection} is an
 *   {@code io.vertx.core.net.impl.ConnectionBase}, whose {@code channelHandlerContext()} names
 *   Vert.x's handler, before which two Netty handlers go. Unwritten rule: on a WebSocket upgrade
 *   Vert.x puts Netty's WebSocket decoder and encoder where the HTTP codec was, in front of them, so
 *   they see frames. Public Netty API: {@code Utf8FrameValidator}, {@code WebSocketFrameAggregator},
 *   {@code CorruptedWebSocketFrameException.closeStatus()}.</li>
 *   <li>An upgrade can break: connections that are not {@code ConnectionBase} (or a moved class:
 *   compile error), the codec placed behind these handlers, changes to those Netty classes.</li>
 *   <li>Then: silently no handlers (not a {@code ConnectionBase}), or handlers that see no frames
 *   and pass everything on: Vert.x's own WebSocket behaviour, which replaces bad UTF-8 with
 *   U+FFFD, loses a fragmented message with an empty first fragment, and drops a connection
 *   without a close frame on a protocol violation.</li>
 *   <li>Caught by: {@code HostileInputIT} ({@code aTextMessageThatIsNotUtf8ClosesWith1007},
 *   {@code aFragmentedMessageWithAnEmptyFirstFragmentArrives}, the 1009 closes of oversized
 *   frames and messages) and {@code AutobahnIT} ({@code -Pautobahn}: cases 5.*, 6.*, 9.*).</li>
 * </ul>
 *
 * <h2>{@link io.liveroom.edge.internals.SockJsSessions}: the SockJS session gauge</h2>
 * <ul>
 *   <li>Relies on: vertx-web's {@code SockJSImpl} keeping its sessions in the Vert.x local map
 *   {@code _vertx.sockjssessions}, read by name.</li>
 *   <li>An upgrade can break: the map's name, or sessions kept elsewhere.</li>
 *   <li>Then: {@code getLocalMap} makes an empty map and {@code liveroom_sockjs_sessions} reads 0
 *   for ever; nothing else changes.</li>
 *   <li>Caught by: {@code SockJsSessionsTest} (an open XHR session is counted).</li>
 * </ul>
 */
package io.liveroom.edge.internals;
