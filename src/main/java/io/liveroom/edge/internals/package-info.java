/**
 * The edge's reaches into Vert.x, vertx-web and Netty internals, kept here so that a version
 * upgrade has one place to check. Each was written against Vert.x 5.0.10 (vertx-web 5.0.10,
 * Netty 4.2); the other edge classes use only the few public methods of this package.
 *
 * <h2>{@link io.liveroom.edge.internals.RawWebSocket}: {@code /rt/websocket} outside Vert.x's WebSockets</h2>
 * <ul>
 *   <li>Relies on, by cast: each {@code HttpConnection} is an
 *   {@code io.vertx.core.net.impl.ConnectionBase} ({@code channelHandlerContext()}, {@code context()});
 *   Vert.x's HTTP/1 pipeline decodes requests with a subclass of Netty's {@code HttpRequestDecoder}
 *   and encodes with a subclass of {@code HttpResponseEncoder}, which Netty's
 *   {@code WebSocketServerHandshaker} finds and replaces; Vert.x's handler, left behind the
 *   taken-over connection, only needs {@code channelInactive} (then it closes its connection and
 *   its metrics). Vert.x API: {@code ContextInternal.emit} and {@code promise()} (a
 *   {@code PromiseInternal} is a Netty future listener).</li>
 *   <li>An upgrade can break: another codec in Vert.x's pipeline (the handshake fails: the upgrade is
 *   answered with a closed connection), a Vert.x connection that needs more events than the close,
 *   connections that are not {@code ConnectionBase} (then nothing is installed, and
 *   {@code /rt/websocket} goes to vertx-web's SockJS raw transport, as before this class).</li>
 *   <li>Caught by: {@code SharedFramesTest} (a frame written below the encoder, a message in
 *   fragments), {@code SockJsProtocolIT}, {@code HostileInputIT}, {@code StandardClientsIT},
 *   {@code RealtimeIT}, {@code SlowConsumerIT} and the Autobahn run ({@code -Pautobahn}) on the
 *   endpoint itself.</li>
 * </ul>
 *
 * <h2>{@link io.liveroom.edge.internals.SharedFrames}: encode-once fan-out to raw WebSockets</h2>
 * <ul>
 *   <li>Relies on: a {@code Buffer} is an {@code io.vertx.core.internal.buffer.BufferInternal}
 *   ({@code getByteBuf()}); whole frames written at the WebSocket encoder's context reach the socket
 *   as they are: below the encoder, and below permessage-deflate's encoder where that was agreed
 *   ({@link io.liveroom.edge.internals.PerMessageDeflate} makes those sockets' frames).</li>
 *   <li>An upgrade can break: a {@code Buffer} that is not a {@code BufferInternal} (throws in the
 *   fan-out: no fallback).</li>
 *   <li>Caught by: {@code SharedFramesTest}, and every fan-out IT.</li>
 * </ul>
 *
 * <h2>{@link io.liveroom.edge.internals.PerMessageDeflate}: compressed fan-out on {@code /rt/websocket}</h2>
 * <ul>
 *   <li>Relies on, public Netty API: {@code PerMessageDeflateServerExtensionHandshaker} (with
 *   {@code allowServerNoContext}: an offer given {@code server_no_context_takeover} by us is agreed
 *   with it, and its encoder then compresses each message on its own), its extension's encoder and
 *   decoder (placed next to the frame decoder by {@code RawWebSocket}),
 *   {@code WebSocketExtensionUtil.extractExtensions}, and Netty's {@code DecompressionException}
 *   when an inflated message passes {@code maxAllocation}.</li>
 *   <li>An upgrade can break: the handshaker's treatment of parameters (an offer then declined, or
 *   an answer without {@code server_no_context_takeover}, which would make the shared frames
 *   wrong for clients that keep a context), the exception type of an oversized inflate (then the
 *   connection closes without 1009).</li>
 *   <li>Caught by: {@code PerMessageDeflateTest} (the answers to offers, frames inflated on their
 *   own), {@code DeflateIT} (the handshake, compressed and plain sockets in one room, the 1009),
 *   and {@code BrowserIT} (Chromium and Node's clients, compressed).</li>
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
