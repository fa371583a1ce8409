import { Emitter } from './emitter.js';
import { lrError, fromReply } from './errors.js';
import { RoomSubscription } from './room.js';
import { jwtExpMs, expToMs, refreshDelayMs, REFRESH_LEAD_MS } from './token.js';
import { TRANSPORTS, transportConstructor, openTransport } from './transport.js';

export const EVENTS = ['danmaku', 'presence', 'room', 'moderation', 'closed', 'kicked', 'bye', 'status', 'gap',
  'error', 'refresh', 'refresherror'];
/** bye reasons after which reconnecting would only repeat the problem */
const FINAL_BYE = { ABUSE: true };
/** hello errors that no retry fixes */
const FATAL_HELLO = { UNAUTHORIZED: true, BAD_REQUEST: true };
/** errors after which a failed refresh is tried again before the token expires */
const RETRY_REFRESH = { TOKEN: true, TIMEOUT: true, DISCONNECTED: true, UNAVAILABLE: true };
/** how many epochs a room remembers the last seq of, to deduplicate history of earlier epochs */
const EPOCHS_KEPT = 4;
/** moderation actions that address an item, always by (epoch, seq) */
const ITEM_ACTIONS = { delete: true, pin: true };

/* global __LIVEROOM_VERSION__ */
const CLIENT_VERSION = typeof __LIVEROOM_VERSION__ !== 'undefined' ? __LIVEROOM_VERSION__ : 'dev';

function randomKey() {
  const c = typeof crypto !== 'undefined' ? crypto : null;
  if (c && typeof c.randomUUID === 'function') {
    return c.randomUUID();
  }
  let s = '';
  for (let i = 0; i < 4; i++) {
    s += Math.floor(Math.random() * 0x100000000).toString(16);
  }
  return s + '-' + Date.now().toString(36);
}

function unref(timer) {
  if (timer && typeof timer.unref === 'function') {
    timer.unref();
  }
  return timer;
}

/** The room an event is about, for room subscriptions (undefined for bye, status, refresh...). */
function roomOfEvent(event, arg) {
  if (event === 'bye' || event === 'status' || event === 'refresh' || event === 'refresherror' || !arg) {
    return undefined;
  }
  return typeof arg.room === 'string' ? arg.room : undefined;
}

/**
 * A connection to a liveroom server: commands return promises, pushes become events, and the
 * connection comes back by itself (backoff with full jitter, re-hello, re-join with recovery).
 * Options and events: README.md.
 */
export class Liveroom {
  constructor(options) {
    const o = options || {};
    if (!o.url) {
      throw new TypeError('Liveroom: options.url is required');
    }
    this.url = String(o.url).replace(/\/+$/, '');
    this._token = o.token;
    this.transport = o.transport || 'sockjs';
    if (TRANSPORTS.indexOf(this.transport) < 0) {
      throw new TypeError('Liveroom: unknown transport ' + this.transport + ' (one of ' + TRANSPORTS.join(', ') + ')');
    }
    this._Ctor = transportConstructor(this.transport, o);
    this._transports = o.transports;
    this.timeoutMs = o.timeoutMs || 10000;
    this.backoffBaseMs = o.backoffBaseMs || 500;
    this.backoffMaxMs = o.backoffMaxMs || 30000;
    this.stableMs = o.stableMs || 10000;
    this.refreshLeadMs = o.refreshLeadMs !== undefined ? o.refreshLeadMs : REFRESH_LEAD_MS;
    this._reconnect = o.reconnect !== false;

    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.status = 'idle';
    /** the user of the current session ({id, name, roles}), null before the first hello */
    this.user = null;
    /** the node id the current session is on */
    this.node = null;
    this.heartbeatMs = 25000;
    /** when the current connection's token expires (epoch ms), or null */
    this.tokenExpMs = null;

    this._events = new Emitter(EVENTS);
    this._subs = new Map();     // room id -> RoomSubscription
    this._sock = null;
    this._ready = false;        // hello done and every room re-joined: commands may flow
    this._nextId = 0;
    this._pending = new Map();  // id -> command entry waiting for its reply
    this._outbox = [];          // command entries waiting for a ready connection
    this._rooms = new Map();    // room id -> room state
    this._attempt = 0;
    this._retryTimer = null;
    this._heartbeat = null;
    this._refreshTimer = null;
    this._openedAt = 0;
    this._connectWaiters = [];
  }

  // ---- events ---------------------------------------------------------------------------

  /** Adds a listener; returns a function that removes it. */
  on(event, fn) {
    return this._events.on(event, fn);
  }

  /** Adds a listener for the next event only; returns a function that removes it. */
  once(event, fn) {
    return this._events.once(event, fn);
  }

  /** Removes a listener added with on() or once(). */
  off(event, fn) {
    this._events.off(event, fn);
  }

  _emit(event, arg) {
    this._events.emit(event, arg);
    const room = roomOfEvent(event, arg);
    const sub = room !== undefined ? this._subs.get(room) : undefined;
    if (sub) {
      sub._events.emit(event, arg);
    }
  }

  _setStatus(s) {
    if (this.status !== s) {
      this.status = s;
      this._emit('status', s);
    }
  }

  /**
   * The room `id` seen through this client: join / leave / send / moderate for it, on / once / off
   * for its events only, and what the client knows of it (joined, info, online, epoch, seq, pinned).
   * The same object is returned for the same id.
   */
  room(id) {
    let sub = this._subs.get(id);
    if (!sub) {
      sub = new RoomSubscription(this, id);
      this._subs.set(id, sub);
    }
    return sub;
  }

  // ---- connection -----------------------------------------------------------------------

  /**
   * Opens the connection and says hello. Resolves with {user, node, heartbeatMs} once the
   * connection is ready; rejects when the server refuses the hello (and the client closes), on
   * close(), or after timeoutMs (the client keeps trying in the background).
   */
  connect() {
    if (this.status === 'closed') {
      return Promise.reject(lrError('CLOSED', 'this client was closed'));
    }
    if (this.status === 'open') {
      return Promise.resolve(this._hello);
    }
    const p = new Promise((resolve, reject) => {
      const w = { resolve, reject };
      w.timer = setTimeout(() => {
        this._connectWaiters = this._connectWaiters.filter((x) => x !== w);
        reject(lrError('TIMEOUT', 'not connected within ' + this.timeoutMs + ' ms'));
      }, this.timeoutMs);
      this._connectWaiters.push(w);
    });
    if (this.status === 'idle') {
      this._setStatus('connecting');
      this._open();
    }
    return p;
  }

  _settleConnect(err, value) {
    const ws = this._connectWaiters;
    this._connectWaiters = [];
    for (const w of ws) {
      clearTimeout(w.timer);
      if (err) {
        w.reject(err);
      } else {
        w.resolve(value);
      }
    }
  }

  _open() {
    let sock;
    this._retryTimer = null;
    try {
      sock = openTransport(this.transport, this._Ctor, this.url, this._transports);
    } catch (e) {
      this._emit('error', e);
      this._scheduleReconnect();
      return;
    }
    this._sock = sock;
    sock.onopen = () => {
      if (sock === this._sock) {
        this._onOpen();
      }
    };
    sock.onmessage = (e) => {
      if (sock === this._sock) {
        this._onMessage(e.data);
      }
    };
    sock.onclose = (e) => {
      if (sock === this._sock) {
        this._onClose(e);
      }
    };
  }

  /** The token for a new connection or a refresh: the string, or the function's (awaited) result. */
  _getToken() {
    return Promise.resolve()
      .then(() => (typeof this._token === 'function' ? this._token() : this._token))
      .catch((e) => {
        const err = lrError('TOKEN', 'the token function failed: ' + (e && e.message ? e.message : e));
        err.cause = e;
        throw err;
      });
  }

  _onOpen() {
    const sock = this._sock;
    const current = () => {
      if (sock !== this._sock) {
        throw lrError('DISCONNECTED', 'the connection closed');
      }
    };
    let token;
    this._getToken()
      .then((t) => {
        current();
        token = t;
        const hello = { v: 1 };
        if (token) {
          hello.token = token;
        }
        return this._call('hello', hello, { now: true });
      }, (err) => {
        // the application's token function failed: say so, and try again with the backoff
        this._emit('error', err);
        throw err;
      })
      .then((reply) => {
        current();
        this.user = reply.user;
        this.node = reply.node;
        this.heartbeatMs = reply.heartbeatMs || this.heartbeatMs;
        this._hello = { user: reply.user, node: reply.node, heartbeatMs: this.heartbeatMs };
        this._startHeartbeat();
        this._tokenReceived(token, null);
        return this._rejoinAll();
      })
      .then(() => {
        current();
        this._ready = true;
        this._openedAt = Date.now();
        this._setStatus('open');
        this._settleConnect(null, this._hello);
        this._flushOutbox();
      })
      .catch((err) => {
        if (sock !== this._sock) {
          return; // that connection is gone already
        }
        if (err && FATAL_HELLO[err.code]) {
          // the hello was refused (a bad or expired token): retrying would be refused the same way
          this._emit('error', err);
          this._settleConnect(err);
          this.close();
        } else {
          this._drop();
        }
      });
  }

  // ---- token refresh --------------------------------------------------------------------

  /**
   * A token is in use on this connection: with a token function, plan its refresh before it
   * expires (a string token cannot be renewed; the server ends the connection at its exp).
   */
  _tokenReceived(token, replyExp) {
    clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
    this.tokenExpMs = jwtExpMs(token) || expToMs(replyExp);
    if (typeof this._token === 'function' && this.tokenExpMs) {
      this._planRefresh(refreshDelayMs(this.tokenExpMs, Date.now(), this.refreshLeadMs));
    }
  }

  _planRefresh(delayMs) {
    clearTimeout(this._refreshTimer);
    const sock = this._sock;
    this._refreshTimer = unref(setTimeout(() => {
      this._refreshTimer = null;
      if (sock === this._sock && this.status !== 'closed') {
        this._refresh();
      }
    }, delayMs));
  }

  /** Asks the token function for a new token and sends it with `refresh` on this connection. */
  _refresh() {
    const sock = this._sock;
    let token;
    this._getToken()
      .then((t) => {
        token = t;
        if (sock !== this._sock) {
          throw lrError('DISCONNECTED', 'the connection closed');
        }
        if (!token) {
          throw lrError('TOKEN', 'the token function returned no token');
        }
        return this._call('refresh', { token }, { now: true });
      })
      .then((reply) => {
        if (sock !== this._sock) {
          return;
        }
        this._tokenReceived(token, reply.exp);
        this._emit('refresh', { exp: this.tokenExpMs });
      })
      .catch((err) => {
        if (sock !== this._sock || this.status === 'closed') {
          return; // a new connection says hello with a new token anyway
        }
        const left = (this.tokenExpMs || 0) - Date.now();
        err.willRetry = !!RETRY_REFRESH[err.code] && left > 2000;
        this._emit('refresherror', err);
        if (err.willRetry) {
          this._planRefresh(Math.min(10000, Math.floor(left / 2)));
        }
        // otherwise the server ends the connection at exp (bye TOKEN_EXPIRED) and the reconnect
        // asks the token function again
      });
  }

  // ---- connection upkeep ----------------------------------------------------------------

  /** Joins every room (again) on a new connection, with since = the last item seen. */
  _rejoinAll() {
    const states = Array.from(this._rooms.values()).filter((st) => !st.joined);
    if (!states.length) {
      return Promise.resolve();
    }
    return Promise.all(states.map((st) => this._joinNow(st).catch((err) => {
      if (err.code === 'DISCONNECTED' || err.code === 'TIMEOUT' || err.code === 'UNAVAILABLE') {
        throw err; // the connection is not good: start over
      }
      this._joinFailed(st, err);
    }))).then(() => this._rejoinAll()); // rooms added meanwhile
  }

  _startHeartbeat() {
    clearInterval(this._heartbeat);
    this._heartbeat = unref(setInterval(() => {
      if (!this._ready) {
        return;
      }
      this._call('ping', {}, { now: true }).catch((err) => {
        if (err.code === 'TIMEOUT') {
          this._drop(); // a dead connection: start over
        }
      });
    }, this.heartbeatMs));
  }

  /** Closes the current transport and reconnects. */
  _drop() {
    const sock = this._sock;
    if (!sock) {
      return;
    }
    this._onClose({ code: 4000, reason: 'dropped by the client' });
    try {
      sock.close();
    } catch (e) {
      // already closed
    }
  }

  _onClose(e) {
    this._sock = null;
    this._ready = false;
    clearInterval(this._heartbeat);
    this._heartbeat = null;
    clearTimeout(this._refreshTimer);
    this._refreshTimer = null;
    if (this._openedAt && Date.now() - this._openedAt >= this.stableMs) {
      this._attempt = 0;
    }
    this._openedAt = 0;
    this._rooms.forEach((st) => { st.joined = false; });
    // in-flight commands: sends (idempotent thanks to their key) and joins go again after the
    // reconnect; the others fail now
    const retry = [];
    this._pending.forEach((entry) => {
      if (entry.retry) {
        retry.push(entry);
      } else {
        this._finish(entry, lrError('DISCONNECTED', 'the connection closed' + (e && e.reason ? ': ' + e.reason : '')));
      }
    });
    this._pending.clear();
    this._outbox = retry.concat(this._outbox);
    if (this.status === 'closed') {
      return;
    }
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (!this._reconnect || this.status === 'closed') {
      this.close();
      return;
    }
    if (this.status !== 'connecting') {
      this._setStatus('reconnecting');
    }
    const bound = Math.min(this.backoffMaxMs, this.backoffBaseMs * Math.pow(2, this._attempt));
    this._attempt = Math.min(this._attempt + 1, 30);
    let delay = Math.floor(Math.random() * bound); // full jitter
    if (this._hintMs) {
      delay = Math.max(delay, this._hintMs);
      this._hintMs = 0;
    }
    this._retryTimer = setTimeout(() => this._open(), delay);
  }

  /** Closes the connection for good: no reconnect; pending commands fail with CLOSED. */
  close() {
    if (this.status === 'closed') {
      return;
    }
    this._setStatus('closed');
    clearTimeout(this._retryTimer);
    clearInterval(this._heartbeat);
    clearTimeout(this._refreshTimer);
    const sock = this._sock;
    this._sock = null;
    this._ready = false;
    const err = lrError('CLOSED', 'the client was closed');
    this._pending.forEach((entry) => this._finish(entry, err));
    this._pending.clear();
    this._outbox.forEach((entry) => this._finish(entry, err));
    this._outbox = [];
    this._rooms.forEach((st) => this._dropRoom(st, err));
    this._settleConnect(err);
    if (sock) {
      try {
        sock.close(1000, 'bye');
      } catch (e) {
        // already closed
      }
    }
  }

  // ---- commands -------------------------------------------------------------------------

  /**
   * Sends a command and resolves with its reply. Options: now (send on a connection that is not
   * ready yet: hello, join, ping, refresh), retry (re-send after a reconnect instead of failing).
   */
  _call(op, fields, opts) {
    opts = opts || {};
    if (this.status === 'closed') {
      return Promise.reject(lrError('CLOSED', 'the client was closed'));
    }
    return new Promise((resolve, reject) => {
      const entry = { msg: Object.assign({ op }, fields), resolve, reject, retry: !!opts.retry, id: 0 };
      const timeoutMs = opts.timeoutMs || this.timeoutMs;
      entry.timer = setTimeout(() => {
        this._pending.delete(entry.id);
        this._outbox = this._outbox.filter((x) => x !== entry);
        reject(lrError('TIMEOUT', op + ' got no reply within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      if (opts.now ? this._sock : this._ready) {
        this._transmit(entry);
      } else if (opts.now) {
        this._finish(entry, lrError('DISCONNECTED', 'not connected'));
      } else {
        this._outbox.push(entry);
      }
    });
  }

  _transmit(entry) {
    entry.id = ++this._nextId;
    entry.msg.id = entry.id;
    this._pending.set(entry.id, entry);
    try {
      this._sock.send(JSON.stringify(entry.msg));
    } catch (e) {
      // the transport is closing: its close event re-queues or fails the entry
    }
  }

  _flushOutbox() {
    const out = this._outbox;
    this._outbox = [];
    for (const entry of out) {
      this._transmit(entry);
    }
  }

  _finish(entry, err, reply) {
    clearTimeout(entry.timer);
    if (err) {
      entry.reject(err);
    } else {
      entry.resolve(reply);
    }
  }

  /**
   * Joins a room. Resolves with the join reply ({room, online, epoch, seq, history, recovered}).
   * After a reconnect the client joins again by itself, with since = the last item seen.
   */
  join(room, opts) {
    if (this.status === 'closed') {
      return Promise.reject(lrError('CLOSED', 'the client was closed'));
    }
    let st = this._rooms.get(room);
    if (!st) {
      st = {
        id: room, info: null, online: 0, epoch: null, seq: 0, seen: [], joined: false, joining: null,
        pushQueue: null, waiters: [], history: !(opts && opts.history === false), ever: false
      };
      this._rooms.set(room, st);
    }
    // resolved by the join reply on this connection or, after a disconnect, by the re-join
    const p = new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        st.waiters = st.waiters.filter((w) => w !== waiter);
      };
      const waiter = {
        resolve: (r) => { done(); resolve(r); },
        reject: (e) => { done(); reject(e); }
      };
      const timer = setTimeout(() => {
        done();
        if (!st.ever && this._rooms.get(room) === st) {
          this._rooms.delete(room);
        }
        reject(lrError('TIMEOUT', 'join ' + room + ' got no reply within ' + this.timeoutMs + ' ms'));
      }, this.timeoutMs);
      st.waiters.push(waiter);
    });
    if (this.status === 'idle') {
      this.connect().catch(() => { /* the join's own promise reports */ });
    } else if (this._ready) {
      this._joinNow(st).catch((err) => {
        if (err.code !== 'DISCONNECTED') {
          this._joinFailed(st, err);
        }
      });
    }
    return p;
  }

  /** A join refused by the server: the room is forgotten (an error event if it was joined before). */
  _joinFailed(st, err) {
    const wasJoined = st.ever;
    this._dropRoom(st, err);
    if (wasJoined) {
      err.room = st.id;
      this._emit('error', err);
    }
  }

  /** Sends join for a room state on the current connection (with since when a position is known). */
  _joinNow(st) {
    if (st.joining) {
      return st.joining;
    }
    const fields = { room: st.id };
    if (st.epoch !== null) {
      fields.since = { epoch: st.epoch, seq: st.seq };
    }
    st.pushQueue = [];
    st.joining = this._call('join', fields, { now: true }).then((reply) => {
      st.joining = null;
      if (this._rooms.get(st.id) !== st) {
        return reply; // left while joining
      }
      this._applyJoin(st, reply);
      st.waiters.slice().forEach((w) => w.resolve(reply));
      return reply;
    }, (err) => {
      st.joining = null;
      st.pushQueue = null;
      throw err;
    });
    return st.joining;
  }

  _applyJoin(st, reply) {
    const rejoin = st.epoch !== null;
    const lastEpoch = st.epoch;
    const lastSeq = st.seq;
    st.info = reply.room && typeof reply.room === 'object' ? reply.room : st.info;
    if (st.info && st.info.pinned === undefined && reply.pinned !== undefined) {
      st.info = Object.assign({}, st.info, { pinned: reply.pinned });
    }
    st.online = reply.online;
    if (rejoin || st.history) {
      for (const item of reply.history || []) {
        this._deliver(st, item.epoch !== undefined ? item.epoch : reply.epoch, item, true);
      }
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
    const queued = st.pushQueue || [];
    st.pushQueue = null;
    queued.forEach((push) => this._onDanmaku(st, push));
    this._emit('presence', { room: st.id, online: st.online });
  }

  /** Leaves a room: no more events for it, no re-join after a reconnect. */
  leave(room) {
    const st = this._rooms.get(room);
    if (st) {
      this._dropRoom(st, lrError('LEFT', 'left room ' + room));
    }
    if (!this._ready) {
      return Promise.resolve({ ok: true }); // the server forgot this connection's rooms already
    }
    return this._call('leave', { room });
  }

  _dropRoom(st, err) {
    if (this._rooms.get(st.id) === st) {
      this._rooms.delete(st.id);
    }
    st.waiters.slice().forEach((w) => w.reject(err));
  }

  /**
   * Sends a danmaku. A key is generated once per call, so the re-send after a reconnect is not
   * broadcast twice. Resolves with {seq, epoch}.
   */
  send(room, body, opts) {
    const b = typeof body === 'string' ? { text: body } : body;
    const fields = { room, body: b, key: (opts && opts.key) || randomKey() };
    return this._call('send', fields, { retry: true }).then((r) => ({ seq: r.seq, epoch: r.epoch }));
  }

  /**
   * A moderation action in a room (the user needs role moderator, host or admin there). `fields`:
   * user, durationSec, reason, and for delete and pin the item's epoch and seq (both required).
   * Resolves with {ok: true}.
   */
  moderate(room, action, fields) {
    const f = fields || {};
    if (typeof action !== 'string' || !action) {
      return Promise.reject(lrError('BAD_REQUEST', 'moderate needs an action'));
    }
    if (ITEM_ACTIONS[action] && (typeof f.epoch !== 'number' || typeof f.seq !== 'number')) {
      return Promise.reject(lrError('BAD_REQUEST', action + ' addresses an item by epoch and seq: both are required'));
    }
    const msg = { room, action };
    // an item action takes only the item's address, so a danmaku event can be passed as it is
    for (const k of ITEM_ACTIONS[action] ? ['epoch', 'seq', 'reason'] : ['user', 'durationSec', 'reason']) {
      if (f[k] !== undefined) {
        msg[k] = f[k];
      }
    }
    return this._call('moderate', msg).then(() => ({ ok: true }));
  }

  /** Round trip to the server. Resolves with {ts, rttMs}. */
  ping() {
    const t0 = Date.now();
    return this._call('ping', {}).then((r) => ({ ts: r.ts, rttMs: Date.now() - t0 }));
  }

  // ---- incoming -------------------------------------------------------------------------

  _onMessage(data) {
    let msg;
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
    const entry = msg.id !== null && msg.id !== undefined ? this._pending.get(msg.id) : null;
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
      this._finish(entry, fromReply(msg.error));
    }
  }

  _onPush(msg) {
    // a room push may carry the room object in "room"; the others carry the room id
    const roomId = msg.room && typeof msg.room === 'object' ? msg.room.id : msg.room;
    const st = roomId !== undefined ? this._rooms.get(roomId) : null;
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
          this._onRoomPush(st, msg);
        }
        break;
      case 'moderation':
        if (st) {
          this._onModeration(st, msg);
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
        this._onBye(msg);
        break;
      default:
        break; // a push of a later protocol version
    }
  }

  _onRoomPush(st, msg) {
    let info;
    if (msg.room && typeof msg.room === 'object') {
      info = msg.room;
    } else {
      // the room object's fields beside "push" and "room": merge them into what we know
      info = Object.assign({}, st.info || {});
      Object.keys(msg).forEach((k) => {
        if (k !== 'push' && k !== 'room') {
          info[k] = msg[k];
        }
      });
      info.id = st.id;
    }
    if (info.pinned === undefined && st.info && st.info.pinned !== undefined) {
      info = Object.assign({}, info, { pinned: st.info.pinned }); // a room push without the pin keeps it
    }
    st.info = info;
    if (typeof info.online === 'number') {
      st.online = info.online;
    }
    this._emit('room', { room: st.id, info: st.info });
  }

  /** Keeps the room's pinned item current, then hands the push to the application. */
  _onModeration(st, msg) {
    const pinned = st.info && st.info.pinned;
    let next = pinned;
    if (msg.action === 'pin') {
      next = msg.item ? Object.assign({}, msg.item, {
        epoch: msg.epoch !== undefined ? msg.epoch : msg.item.epoch,
        seq: msg.seq !== undefined ? msg.seq : msg.item.seq
      }) : null;
    } else if (msg.action === 'unpin') {
      next = null;
    } else if (msg.action === 'delete' && pinned && pinned.epoch === msg.epoch && pinned.seq === msg.seq) {
      next = null;
    }
    if (next !== pinned) {
      st.info = Object.assign({}, st.info || { id: st.id }, { pinned: next || null });
    }
    this._emit('moderation', msg);
  }

  _onBye(msg) {
    if (typeof msg.reconnectAfterMs === 'number' && msg.reconnectAfterMs >= 0) {
      this._hintMs = Math.min(msg.reconnectAfterMs, this.backoffMaxMs); // a draining server spreads us out
    }
    this._emit('bye', { reason: msg.reason, reconnectAfterMs: msg.reconnectAfterMs });
    if (FINAL_BYE[msg.reason]) {
      this.close();
    } else if (msg.reason === 'TOKEN_EXPIRED' && typeof this._token !== 'function') {
      // the same token would be refused at the next hello: only a token function can go on
      this._emit('error', lrError('TOKEN_EXPIRED', 'the token expired; pass a token function to renew it'));
      this.close();
    }
  }

  _onDanmaku(st, push) {
    const items = push.items || [];
    if (!items.length) {
      return;
    }
    if (push.epoch !== st.epoch) {
      if (st.epoch !== null && st.joined && !st.pushQueue) {
        // the room moved to a new owner, and its sequence starts over. The old owner may have
        // acknowledged items it never pushed (a crash right after a send): they are in history,
        // so re-join with the old position, and hold this push until the reply has them
        const joining = this._joinNow(st);
        const held = st.pushQueue;
        held.push(push);
        joining.catch(() => {
          // no re-join (a reconnect will do one): deliver what was held, from the new epoch on
          if (this._rooms.get(st.id) === st && st.epoch !== push.epoch) {
            st.epoch = push.epoch;
            st.seq = this._seenOf(st, push.epoch) || items[0].seq - 1;
            held.forEach((p) => this._onDanmaku(st, p));
          }
        });
        return;
      }
      // the room moved to a new owner: its sequence starts over
      st.epoch = push.epoch;
      st.seq = this._seenOf(st, push.epoch) || items[0].seq - 1;
    }
    for (const item of items) {
      if (item.seq <= st.seq) {
        continue; // a duplicate
      }
      if (item.seq !== st.seq + 1) {
        this._emit('gap', { room: st.id, epoch: push.epoch, expected: st.seq + 1, got: item.seq });
      }
      this._deliver(st, push.epoch, item, false);
      st.seq = item.seq;
    }
  }

  /** Emits one item unless this room saw its (epoch, seq) already. */
  _deliver(st, epoch, item, history) {
    if (item.seq <= this._seenOf(st, epoch)) {
      return;
    }
    this._markSeen(st, epoch, item.seq);
    this._emit('danmaku', {
      room: st.id, epoch, seq: item.seq, user: item.user, text: item.text, color: item.color,
      mode: item.mode, progress: item.progress, ts: item.ts, priority: item.priority, history
    });
  }

  _seenOf(st, epoch) {
    for (const s of st.seen) {
      if (s[0] === epoch) {
        return s[1];
      }
    }
    return 0;
  }

  _markSeen(st, epoch, seq) {
    for (const s of st.seen) {
      if (s[0] === epoch) {
        s[1] = Math.max(s[1], seq);
        return;
      }
    }
    st.seen.push([epoch, seq]);
    if (st.seen.length > EPOCHS_KEPT) {
      st.seen.shift();
    }
  }
}

Liveroom.EVENTS = EVENTS.slice();
/** the protocol version the client speaks (hello's `v`) */
Liveroom.version = 1;
/** the package version */
Liveroom.clientVersion = CLIENT_VERSION;
