/*
 * liveroom.js: the browser (and Node) client of liveroom's real-time channel (PROTOCOL.md section 1).
 * Plain ES2017, no build step. Browser: <script src="/vendor/sockjs/sockjs.min.js"></script>
 * <script src="/liveroom.js"></script> gives window.Liveroom. Node: require('./liveroom.js') with
 * the SockJS option, e.g. new Liveroom({url, SockJS: require('sockjs-client')}).
 * Docs: docs/js-client.md.
 */
(function (root, factory) {
  'use strict';
  var Liveroom = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = Liveroom;
  } else {
    root.Liveroom = Liveroom;
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var EVENTS = ['danmaku', 'presence', 'room', 'moderation', 'closed', 'kicked', 'bye', 'status', 'gap', 'error'];
  /** bye reasons after which reconnecting would only repeat the problem */
  var FINAL_BYE = { ABUSE: true };
  /** hello errors that no retry fixes */
  var FATAL_HELLO = { UNAUTHORIZED: true, BAD_REQUEST: true };
  /** how many epochs a room remembers the last seq of, to deduplicate history of earlier epochs */
  var EPOCHS_KEPT = 4;

  function lrError(code, message, extra) {
    var e = new Error(message || code);
    e.code = code;
    if (extra) {
      Object.keys(extra).forEach(function (k) { e[k] = extra[k]; });
    }
    return e;
  }

  function randomKey() {
    var c = typeof crypto !== 'undefined' ? crypto : null;
    if (c && typeof c.randomUUID === 'function') {
      return c.randomUUID();
    }
    var s = '';
    for (var i = 0; i < 4; i++) {
      s += Math.floor(Math.random() * 0x100000000).toString(16);
    }
    return s + '-' + Date.now().toString(36);
  }

  /**
   * A connection to a liveroom server: commands return promises, pushes become events, and the
   * connection comes back by itself (backoff with full jitter, re-hello, re-join with recovery).
   *
   * @param {Object} options
   * @param {string} options.url base URL of a node, e.g. "http://localhost:8080" (the channel is at url + "/rt")
   * @param {string|function(): (string|Promise<string>)} [options.token] JWT; a function is asked again at
   *   every (re)connect, so a fresh token can be fetched; none = anonymous guest (read only)
   * @param {Function} [options.SockJS] SockJS constructor (default: the global SockJS of sockjs.min.js)
   * @param {string[]} [options.transports] SockJS transports, e.g. ["websocket", "xhr-streaming", "xhr-polling"]
   * @param {number} [options.timeoutMs=10000] per-command timeout
   * @param {number} [options.backoffBaseMs=500] first reconnect delay bound
   * @param {number} [options.backoffMaxMs=30000] reconnect delay cap
   * @param {number} [options.stableMs=10000] a connection open this long resets the backoff
   * @param {boolean} [options.reconnect=true] whether to reconnect at all
   */
  function Liveroom(options) {
    if (!(this instanceof Liveroom)) {
      return new Liveroom(options);
    }
    var o = options || {};
    if (!o.url) {
      throw new TypeError('Liveroom: options.url is required');
    }
    this.url = String(o.url).replace(/\/+$/, '');
    this._token = o.token;
    this._SockJS = o.SockJS || (typeof SockJS !== 'undefined' ? SockJS : null); // eslint-disable-line no-undef
    if (!this._SockJS) {
      throw new TypeError('Liveroom: no SockJS (load /vendor/sockjs/sockjs.min.js or pass options.SockJS)');
    }
    this._transports = o.transports;
    this.timeoutMs = o.timeoutMs || 10000;
    this.backoffBaseMs = o.backoffBaseMs || 500;
    this.backoffMaxMs = o.backoffMaxMs || 30000;
    this.stableMs = o.stableMs || 10000;
    this._reconnect = o.reconnect !== false;

    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.status = 'idle';
    /** the user of the current session ({id, name, roles}), null before the first hello */
    this.user = null;
    /** the node id the current session is on */
    this.node = null;
    this.heartbeatMs = 25000;

    this._handlers = {};
    this._sock = null;
    this._ready = false;        // hello done and every room re-joined: commands may flow
    this._nextId = 0;
    this._pending = new Map();  // id -> command entry waiting for its reply
    this._outbox = [];          // command entries waiting for a ready connection
    this._rooms = new Map();    // room id -> room state
    this._attempt = 0;
    this._retryTimer = null;
    this._heartbeat = null;
    this._openedAt = 0;
    this._connectWaiters = [];
  }

  var P = Liveroom.prototype;

  // ---- events ---------------------------------------------------------------------------

  /**
   * Adds a listener. Events: danmaku (one call per item: {room, epoch, seq, user, text, color, mode,
   * progress?, ts, priority, history}), presence {room, online},
   * room {room, info: the room object}, moderation {room, action, ...},
   * closed {room, reason}, kicked {room, reason}, bye {reason}, status (string), gap {room, epoch,
   * expected, got, recovered?}, error (Error with code).
   * @param {string} event
   * @param {Function} fn
   * @returns {Function} a function that removes the listener
   */
  P.on = function (event, fn) {
    if (EVENTS.indexOf(event) < 0) {
      throw new TypeError('Liveroom: unknown event ' + event);
    }
    (this._handlers[event] = this._handlers[event] || []).push(fn);
    var self = this;
    return function () { self.off(event, fn); };
  };

  /** Removes a listener added with on(). */
  P.off = function (event, fn) {
    var list = this._handlers[event];
    if (list) {
      this._handlers[event] = list.filter(function (f) { return f !== fn; });
    }
  };

  P._emit = function (event, arg) {
    var list = this._handlers[event];
    if (!list) {
      return;
    }
    list.slice().forEach(function (fn) {
      try {
        fn(arg);
      } catch (e) {
        // one listener's bug must not break the connection or the other listeners
        if (typeof console !== 'undefined') {
          console.error('liveroom: a "' + event + '" listener threw', e);
        }
      }
    });
  };

  P._setStatus = function (s) {
    if (this.status !== s) {
      this.status = s;
      this._emit('status', s);
    }
  };

  // ---- connection -----------------------------------------------------------------------

  /**
   * Opens the connection and says hello. Resolves with the hello reply ({user, node, heartbeatMs})
   * once the connection is ready; rejects when the server refuses the hello (e.g. UNAUTHORIZED, and
   * the client closes), on close(), or after timeoutMs (the client keeps trying in the background).
   * @returns {Promise<Object>}
   */
  P.connect = function () {
    var self = this;
    if (this.status === 'closed') {
      return Promise.reject(lrError('CLOSED', 'this client was closed'));
    }
    if (this.status === 'open') {
      return Promise.resolve(this._hello);
    }
    var p = new Promise(function (resolve, reject) {
      var w = { resolve: resolve, reject: reject };
      w.timer = setTimeout(function () {
        self._connectWaiters = self._connectWaiters.filter(function (x) { return x !== w; });
        reject(lrError('TIMEOUT', 'not connected within ' + self.timeoutMs + ' ms'));
      }, self.timeoutMs);
      self._connectWaiters.push(w);
    });
    if (this.status === 'idle') {
      this._setStatus('connecting');
      this._open();
    }
    return p;
  };

  P._settleConnect = function (err, value) {
    var ws = this._connectWaiters;
    this._connectWaiters = [];
    ws.forEach(function (w) {
      clearTimeout(w.timer);
      if (err) {
        w.reject(err);
      } else {
        w.resolve(value);
      }
    });
  };

  P._open = function () {
    var self = this;
    var sock;
    this._retryTimer = null;
    try {
      sock = new this._SockJS(this.url + '/rt', null, this._transports ? { transports: this._transports } : undefined);
    } catch (e) {
      this._emit('error', e);
      this._scheduleReconnect();
      return;
    }
    this._sock = sock;
    sock.onopen = function () {
      if (sock === self._sock) {
        self._onOpen();
      }
    };
    sock.onmessage = function (e) {
      if (sock === self._sock) {
        self._onMessage(e.data);
      }
    };
    sock.onclose = function (e) {
      if (sock === self._sock) {
        self._onClose(e);
      }
    };
  };

  P._onOpen = function () {
    var self = this;
    var sock = this._sock;
    function current() {
      if (sock !== self._sock) {
        throw lrError('DISCONNECTED', 'the connection closed');
      }
    }
    Promise.resolve()
      .then(function () {
        return typeof self._token === 'function' ? self._token() : self._token;
      })
      .then(function (token) {
        current();
        var hello = { v: 1 };
        if (token) {
          hello.token = token;
        }
        return self._call('hello', hello, { now: true });
      }, function (e) {
        // the application's token function failed: say so, and try again with the backoff
        var err = lrError('TOKEN', 'the token function failed: ' + (e && e.message ? e.message : e));
        err.cause = e;
        self._emit('error', err);
        throw err;
      })
      .then(function (reply) {
        current();
        self.user = reply.user;
        self.node = reply.node;
        self.heartbeatMs = reply.heartbeatMs || self.heartbeatMs;
        self._hello = { user: reply.user, node: reply.node, heartbeatMs: self.heartbeatMs };
        self._startHeartbeat();
        return self._rejoinAll();
      })
      .then(function () {
        current();
        self._ready = true;
        self._openedAt = Date.now();
        self._setStatus('open');
        self._settleConnect(null, self._hello);
        self._flushOutbox();
      })
      .catch(function (err) {
        if (sock !== self._sock) {
          return; // that connection is gone already
        }
        if (err && FATAL_HELLO[err.code]) {
          // the hello was refused (a bad or expired token): retrying would be refused the same way
          self._emit('error', err);
          self._settleConnect(err);
          self.close();
        } else {
          self._drop();
        }
      });
  };

  /** Joins every room (again) on a new connection, with since = the last item seen. */
  P._rejoinAll = function () {
    var self = this;
    var states = Array.from(this._rooms.values()).filter(function (st) { return !st.joined; });
    if (!states.length) {
      return Promise.resolve();
    }
    return Promise.all(states.map(function (st) {
      return self._joinNow(st).catch(function (err) {
        if (err.code === 'DISCONNECTED' || err.code === 'TIMEOUT' || err.code === 'UNAVAILABLE') {
          throw err; // the connection is not good: start over
        }
        self._joinFailed(st, err);
      });
    })).then(function () {
      return self._rejoinAll(); // rooms added meanwhile
    });
  };

  P._startHeartbeat = function () {
    var self = this;
    clearInterval(this._heartbeat);
    this._heartbeat = setInterval(function () {
      if (!self._ready) {
        return;
      }
      self._call('ping', {}, { now: true }).catch(function (err) {
        if (err.code === 'TIMEOUT') {
          self._drop(); // a dead connection: start over
        }
      });
    }, this.heartbeatMs);
    if (this._heartbeat && typeof this._heartbeat.unref === 'function') {
      this._heartbeat.unref();
    }
  };

  /** Closes the current transport and reconnects. */
  P._drop = function () {
    var sock = this._sock;
    if (!sock) {
      return;
    }
    this._onClose({ code: 4000, reason: 'dropped by the client' });
    try {
      sock.close();
    } catch (e) {
      // already closed
    }
  };

  P._onClose = function (e) {
    var self = this;
    this._sock = null;
    this._ready = false;
    clearInterval(this._heartbeat);
    this._heartbeat = null;
    if (this._openedAt && Date.now() - this._openedAt >= this.stableMs) {
      this._attempt = 0;
    }
    this._openedAt = 0;
    this._rooms.forEach(function (st) { st.joined = false; });
    // in-flight commands: sends (idempotent thanks to their key) and joins go again after the
    // reconnect; the others fail now
    var retry = [];
    this._pending.forEach(function (entry) {
      if (entry.retry) {
        retry.push(entry);
      } else {
        self._finish(entry, lrError('DISCONNECTED', 'the connection closed' + (e && e.reason ? ': ' + e.reason : '')));
      }
    });
    this._pending.clear();
    this._outbox = retry.concat(this._outbox);
    if (this.status === 'closed') {
      return;
    }
    this._scheduleReconnect();
  };

  P._scheduleReconnect = function () {
    var self = this;
    if (!this._reconnect || this.status === 'closed') {
      this.close();
      return;
    }
    if (this.status !== 'connecting') {
      this._setStatus('reconnecting');
    }
    var bound = Math.min(this.backoffMaxMs, this.backoffBaseMs * Math.pow(2, this._attempt));
    this._attempt = Math.min(this._attempt + 1, 30);
    var delay = Math.floor(Math.random() * bound); // full jitter
    if (this._hintMs) {
      delay = Math.max(delay, this._hintMs);
      this._hintMs = 0;
    }
    this._retryTimer = setTimeout(function () { self._open(); }, delay);
  };

  /**
   * Closes the connection for good: no reconnect; pending commands fail with CLOSED.
   */
  P.close = function () {
    if (this.status === 'closed') {
      return;
    }
    this._setStatus('closed');
    clearTimeout(this._retryTimer);
    clearInterval(this._heartbeat);
    var sock = this._sock;
    this._sock = null;
    this._ready = false;
    var err = lrError('CLOSED', 'the client was closed');
    var self = this;
    this._pending.forEach(function (entry) { self._finish(entry, err); });
    this._pending.clear();
    this._outbox.forEach(function (entry) { self._finish(entry, err); });
    this._outbox = [];
    this._rooms.forEach(function (st) { self._dropRoom(st, err); });
    this._settleConnect(err);
    if (sock) {
      try {
        sock.close(1000, 'bye');
      } catch (e) {
        // already closed
      }
    }
  };

  // ---- commands -------------------------------------------------------------------------

  /**
   * Sends a command and resolves with its reply. Options: now (send on a connection that is not
   * ready yet: hello, join, ping), retry (re-send after a reconnect instead of failing).
   */
  P._call = function (op, fields, opts) {
    var self = this;
    opts = opts || {};
    if (this.status === 'closed') {
      return Promise.reject(lrError('CLOSED', 'the client was closed'));
    }
    return new Promise(function (resolve, reject) {
      var msg = { op: op };
      Object.keys(fields).forEach(function (k) { msg[k] = fields[k]; });
      var entry = { msg: msg, resolve: resolve, reject: reject, retry: !!opts.retry, id: 0 };
      entry.timer = setTimeout(function () {
        self._pending.delete(entry.id);
        self._outbox = self._outbox.filter(function (x) { return x !== entry; });
        reject(lrError('TIMEOUT', op + ' got no reply within ' + (opts.timeoutMs || self.timeoutMs) + ' ms'));
      }, opts.timeoutMs || self.timeoutMs);
      if (opts.now ? self._sock : self._ready) {
        self._transmit(entry);
      } else if (opts.now) {
        self._finish(entry, lrError('DISCONNECTED', 'not connected'));
      } else {
        self._outbox.push(entry);
      }
    });
  };

  P._transmit = function (entry) {
    entry.id = ++this._nextId;
    entry.msg.id = entry.id;
    this._pending.set(entry.id, entry);
    try {
      this._sock.send(JSON.stringify(entry.msg));
    } catch (e) {
      // the transport is closing: its close event re-queues or fails the entry
    }
  };

  P._flushOutbox = function () {
    var out = this._outbox;
    this._outbox = [];
    for (var i = 0; i < out.length; i++) {
      this._transmit(out[i]);
    }
  };

  P._finish = function (entry, err, reply) {
    clearTimeout(entry.timer);
    if (err) {
      entry.reject(err);
    } else {
      entry.resolve(reply);
    }
  };

  /**
   * Joins a room. Resolves with the join reply ({room, online, epoch, seq, history, recovered}).
   * After a reconnect the client joins again by itself, with since = the last item seen.
   * @param {string} room room id
   * @param {Object} [opts]
   * @param {boolean} [opts.history=true] emit the reply's history items as danmaku events (history: true)
   * @returns {Promise<Object>}
   */
  P.join = function (room, opts) {
    var self = this;
    if (this.status === 'closed') {
      return Promise.reject(lrError('CLOSED', 'the client was closed'));
    }
    var st = this._rooms.get(room);
    if (!st) {
      st = {
        id: room, info: null, online: 0, epoch: null, seq: 0, seen: [], joined: false, joining: null,
        pushQueue: null, waiters: [], history: !(opts && opts.history === false), ever: false
      };
      this._rooms.set(room, st);
    }
    // resolved by the join reply on this connection or, after a disconnect, by the re-join
    var p = new Promise(function (resolve, reject) {
      var waiter = {
        resolve: function (r) { done(); resolve(r); },
        reject: function (e) { done(); reject(e); }
      };
      var timer = setTimeout(function () {
        done();
        if (!st.ever && self._rooms.get(room) === st) {
          self._rooms.delete(room);
        }
        reject(lrError('TIMEOUT', 'join ' + room + ' got no reply within ' + self.timeoutMs + ' ms'));
      }, self.timeoutMs);
      function done() {
        clearTimeout(timer);
        st.waiters = st.waiters.filter(function (w) { return w !== waiter; });
      }
      st.waiters.push(waiter);
    });
    if (this.status === 'idle') {
      this.connect().catch(function () { /* the join's own promise reports */ });
    } else if (this._ready) {
      this._joinNow(st).catch(function (err) {
        if (err.code !== 'DISCONNECTED') {
          self._joinFailed(st, err);
        }
      });
    }
    return p;
  };

  /** A join refused by the server: the room is forgotten (an error event if it was joined before). */
  P._joinFailed = function (st, err) {
    var wasJoined = st.ever;
    this._dropRoom(st, err);
    if (wasJoined) {
      err.room = st.id;
      this._emit('error', err);
    }
  };

  /** Sends join for a room state on the current connection (with since when a position is known). */
  P._joinNow = function (st) {
    var self = this;
    if (st.joining) {
      return st.joining;
    }
    var fields = { room: st.id };
    if (st.epoch !== null) {
      fields.since = { epoch: st.epoch, seq: st.seq };
    }
    st.pushQueue = [];
    st.joining = this._call('join', fields, { now: true }).then(function (reply) {
      st.joining = null;
      if (self._rooms.get(st.id) !== st) {
        return reply; // left while joining
      }
      self._applyJoin(st, reply);
      st.waiters.slice().forEach(function (w) { w.resolve(reply); });
      return reply;
    }, function (err) {
      st.joining = null;
      st.pushQueue = null;
      throw err;
    });
    return st.joining;
  };

  P._applyJoin = function (st, reply) {
    var self = this;
    var rejoin = st.epoch !== null;
    var lastEpoch = st.epoch;
    var lastSeq = st.seq;
    st.info = reply.room;
    st.online = reply.online;
    if (rejoin || st.history) {
      (reply.history || []).forEach(function (item) {
        var epoch = item.epoch !== undefined ? item.epoch : reply.epoch;
        self._deliver(st, epoch, item, true);
      });
    }
    if (rejoin && !reply.recovered) {
      // what was missed while away is not all in history
      this._emit('gap', {
        room: st.id, epoch: reply.epoch, expected: lastSeq + 1, got: reply.seq + 1,
        recovered: false, previousEpoch: lastEpoch
      });
    }
    st.epoch = reply.epoch;
    st.seq = Math.max(reply.seq, this._seenOf(st, reply.epoch));
    this._markSeen(st, reply.epoch, st.seq);
    st.joined = true;
    st.ever = true;
    var queued = st.pushQueue || [];
    st.pushQueue = null;
    queued.forEach(function (push) { self._onDanmaku(st, push); });
    this._emit('presence', { room: st.id, online: st.online });
  };

  /**
   * Leaves a room: no more events for it, no re-join after a reconnect.
   * @param {string} room
   * @returns {Promise<Object>}
   */
  P.leave = function (room) {
    var st = this._rooms.get(room);
    if (st) {
      this._dropRoom(st, lrError('LEFT', 'left room ' + room));
    }
    if (!this._ready) {
      return Promise.resolve({ ok: true }); // the server forgot this connection's rooms already
    }
    return this._call('leave', { room: room });
  };

  P._dropRoom = function (st, err) {
    if (this._rooms.get(st.id) === st) {
      this._rooms.delete(st.id);
    }
    st.waiters.slice().forEach(function (w) { w.reject(err); });
  };

  /**
   * Sends a danmaku. A key is generated once per call, so the re-send after a reconnect is not
   * broadcast twice. Resolves with {seq, epoch}; rejects with an Error whose code is the server's
   * (FORBIDDEN for guests, RATE_LIMITED, SLOW_MODE, MUTED...) or TIMEOUT / CLOSED.
   * @param {string} room
   * @param {{text: string, color?: string, mode?: ('scroll'|'top'|'bottom'), progress?: number}} body
   * @param {{key?: string}} [opts]
   * @returns {Promise<{seq: number, epoch: number}>}
   */
  P.send = function (room, body, opts) {
    var b = typeof body === 'string' ? { text: body } : body;
    var fields = { room: room, body: b, key: (opts && opts.key) || randomKey() };
    return this._call('send', fields, { retry: true }).then(function (r) {
      return { seq: r.seq, epoch: r.epoch };
    });
  };

  /**
   * Round trip to the server. Resolves with {ts, rttMs}.
   * @returns {Promise<{ts: number, rttMs: number}>}
   */
  P.ping = function () {
    var t0 = Date.now();
    return this._call('ping', {}).then(function (r) {
      return { ts: r.ts, rttMs: Date.now() - t0 };
    });
  };

  /**
   * What the client knows of a joined room: {id, room (the room object), online, epoch, seq}, or null.
   * @param {string} room
   */
  P.room = function (room) {
    var st = this._rooms.get(room);
    return st ? { id: st.id, room: st.info, online: st.online, epoch: st.epoch, seq: st.seq, joined: st.joined } : null;
  };

  // ---- incoming -------------------------------------------------------------------------

  P._onMessage = function (data) {
    var msg;
    try {
      msg = typeof data === 'string' ? JSON.parse(data) : data;
    } catch (e) {
      this._emit('error', lrError('BAD_FRAME', 'the server sent a frame that is not JSON'));
      return;
    }
    if (!msg || typeof msg !== 'object') {
      return;
    }
    if (msg.push) {
      this._onPush(msg);
      return;
    }
    var entry = msg.id !== null && msg.id !== undefined ? this._pending.get(msg.id) : null;
    if (!entry) {
      if (msg.ok === false && msg.error) {
        this._emit('error', lrError(msg.error.code, msg.error.message));
      }
      return;
    }
    this._pending.delete(msg.id);
    if (msg.ok) {
      this._finish(entry, null, msg);
    } else {
      var e = msg.error || {};
      this._finish(entry, lrError(e.code || 'INTERNAL', e.message,
        e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : null));
    }
  };

  P._onPush = function (msg) {
    // a room push may carry the room object in "room"; the others carry the room id
    var roomId = msg.room && typeof msg.room === 'object' ? msg.room.id : msg.room;
    var st = roomId !== undefined ? this._rooms.get(roomId) : null;
    switch (msg.push) {
      case 'danmaku':
        if (st) {
          if (st.pushQueue) {
            st.pushQueue.push(msg); // the join reply is not here yet
          } else if (st.joined) {
            this._onDanmaku(st, msg);
          }
        }
        break;
      case 'presence':
        if (st) {
          st.online = msg.online;
          this._emit('presence', { room: roomId, online: msg.online });
        }
        break;
      case 'room':
        if (st) {
          var info = msg.room && typeof msg.room === 'object' ? msg.room : {};
          if (info === msg.room) {
            st.info = info;
          } else {
            // the room object's fields beside "push" and "room": merge them into what we know
            info = Object.assign({}, st.info || {});
            Object.keys(msg).forEach(function (k) {
              if (k !== 'push' && k !== 'room') {
                info[k] = msg[k];
              }
            });
            info.id = roomId;
            st.info = info;
          }
          if (typeof info.online === 'number') {
            st.online = info.online;
          }
          this._emit('room', { room: roomId, info: st.info });
        }
        break;
      case 'moderation':
        if (st) {
          this._emit('moderation', msg);
        }
        break;
      case 'closed':
      case 'kicked':
        if (st) {
          this._dropRoom(st, lrError(msg.push === 'closed' ? 'ROOM_CLOSED' : 'KICKED', msg.reason || msg.push));
        }
        this._emit(msg.push, { room: msg.room, reason: msg.reason });
        break;
      case 'bye':
        if (typeof msg.reconnectAfterMs === 'number' && msg.reconnectAfterMs >= 0) {
          this._hintMs = Math.min(msg.reconnectAfterMs, this.backoffMaxMs); // a draining server spreads us out
        }
        this._emit('bye', { reason: msg.reason, reconnectAfterMs: msg.reconnectAfterMs });
        if (FINAL_BYE[msg.reason]) {
          this.close();
        }
        break;
      default:
        break; // a push of a later protocol version
    }
  };

  P._onDanmaku = function (st, push) {
    var items = push.items || [];
    if (!items.length) {
      return;
    }
    if (push.epoch !== st.epoch) {
      if (st.epoch !== null && st.joined && !st.pushQueue) {
        // the room moved to a new owner, and its sequence starts over. The old owner may have
        // acknowledged items it never pushed (a crash right after a send): they are in history,
        // so re-join with the old position, and hold this push until the reply has them
        var self = this;
        var joining = this._joinNow(st);
        var held = st.pushQueue;
        held.push(push);
        joining.catch(function () {
          // no re-join (a reconnect will do one): deliver what was held, from the new epoch on
          if (self._rooms.get(st.id) === st && st.epoch !== push.epoch) {
            st.epoch = push.epoch;
            st.seq = self._seenOf(st, push.epoch) || items[0].seq - 1;
            held.forEach(function (p) { self._onDanmaku(st, p); });
          }
        });
        return;
      }
      // the room moved to a new owner: its sequence starts over
      st.epoch = push.epoch;
      st.seq = this._seenOf(st, push.epoch) || items[0].seq - 1;
    }
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (item.seq <= st.seq) {
        continue; // a duplicate
      }
      if (item.seq !== st.seq + 1) {
        this._emit('gap', { room: st.id, epoch: push.epoch, expected: st.seq + 1, got: item.seq });
      }
      this._deliver(st, push.epoch, item, false);
      st.seq = item.seq;
    }
  };

  /** Emits one item unless this room saw its (epoch, seq) already. */
  P._deliver = function (st, epoch, item, history) {
    if (item.seq <= this._seenOf(st, epoch)) {
      return;
    }
    this._markSeen(st, epoch, item.seq);
    this._emit('danmaku', {
      room: st.id, epoch: epoch, seq: item.seq, user: item.user, text: item.text, color: item.color,
      mode: item.mode, progress: item.progress, ts: item.ts, priority: item.priority, history: history
    });
  };

  P._seenOf = function (st, epoch) {
    for (var i = 0; i < st.seen.length; i++) {
      if (st.seen[i][0] === epoch) {
        return st.seen[i][1];
      }
    }
    return 0;
  };

  P._markSeen = function (st, epoch, seq) {
    for (var i = 0; i < st.seen.length; i++) {
      if (st.seen[i][0] === epoch) {
        st.seen[i][1] = Math.max(st.seen[i][1], seq);
        return;
      }
    }
    st.seen.push([epoch, seq]);
    if (st.seen.length > EPOCHS_KEPT) {
      st.seen.shift();
    }
  };

  Liveroom.EVENTS = EVENTS.slice();
  Liveroom.version = 1;
  return Liveroom;
});
