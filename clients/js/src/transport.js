/*
 * The two transports. Both give an object with send(string), close(code?, reason?) and the
 * onopen / onmessage(e.data) / onclose(e) callbacks: a SockJS instance and a WebSocket already
 * have that shape, so the client drives them the same way.
 */

export const TRANSPORTS = ['sockjs', 'websocket'];

/** The raw WebSocket endpoint for a node's base URL: http(s)://host/x -> ws(s)://host/x/rt/websocket. */
export function websocketUrl(baseUrl) {
  return baseUrl.replace(/^http(s?):\/\//i, 'ws$1://') + '/rt/websocket';
}

/**
 * Finds the constructor a transport needs, or throws a TypeError saying what to load or pass.
 * @param {string} transport 'sockjs' or 'websocket'
 * @param {Object} options the client's options (SockJS, WebSocket)
 */
export function transportConstructor(transport, options) {
  if (transport === 'websocket') {
    const WS = options.WebSocket || (typeof WebSocket !== 'undefined' ? WebSocket : null);
    if (!WS) {
      throw new TypeError('Liveroom: no WebSocket in this environment (pass options.WebSocket, e.g. require("ws"))');
    }
    return WS;
  }
  if (transport === 'sockjs') {
    const S = options.SockJS || (typeof SockJS !== 'undefined' ? SockJS : null); // eslint-disable-line no-undef
    if (!S) {
      throw new TypeError('Liveroom: no SockJS (load /vendor/sockjs/sockjs.min.js, pass options.SockJS, ' +
        'or use transport: "websocket")');
    }
    return S;
  }
  throw new TypeError('Liveroom: unknown transport ' + transport + ' (one of ' + TRANSPORTS.join(', ') + ')');
}

/** Opens a connection with the given constructor. */
export function openTransport(transport, Ctor, baseUrl, sockjsTransports) {
  if (transport === 'websocket') {
    return new Ctor(websocketUrl(baseUrl));
  }
  return new Ctor(baseUrl + '/rt', null, sockjsTransports ? { transports: sockjsTransports } : undefined);
}
