// Quick tests of the client without a server or a browser (`npm test`): token lifetime arithmetic,
// and the client against a fake WebSocket that answers like a server. The tests against real nodes
// and in Chromium are in src/test/browser (BrowserIT).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Liveroom, jwtExpMs, refreshDelayMs } from '../src/index.js';
import { Emitter } from '../src/emitter.js';
import { websocketUrl } from '../src/transport.js';

function b64url(s) {
  return Buffer.from(s).toString('base64url');
}

/** An unsigned JWT with these claims (the client never verifies a signature). */
function jwt(claims) {
  return b64url('{"alg":"HS256","typ":"JWT"}') + '.' + b64url(JSON.stringify(claims)) + '.c2ln';
}

async function until(check, ms, what) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('timed out waiting for ' + what);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A fake WebSocket class: each instance answers hello, join, ping, refresh, moderate like a server. */
function fakeServer() {
  const server = { sockets: [], frames: [], refreshReply: (m) => ({ ok: true, exp: jwtExpMs(m.token) }) };
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      server.sockets.push(this);
      server.last = this;
      setTimeout(() => this.onopen && this.onopen(), 0);
    }

    send(data) {
      const m = JSON.parse(data);
      server.frames.push(m);
      let reply;
      switch (m.op) {
        case 'hello': reply = { ok: true, user: { id: 'u1', name: 'U', roles: [] }, node: 'n1', heartbeatMs: 60000 }; break;
        case 'join': reply = { ok: true, room: { id: m.room, title: 'T', pinned: null }, online: 1, epoch: 7, seq: 0, history: [], recovered: false }; break;
        case 'refresh': reply = server.refreshReply(m); break;
        default: reply = { ok: true };
      }
      setTimeout(() => this.deliver(Object.assign({ id: m.id }, reply)), 0);
    }

    deliver(obj) {
      if (this.onmessage) {
        this.onmessage({ data: JSON.stringify(obj) });
      }
    }

    close() {
      setTimeout(() => this.onclose && this.onclose({ code: 1000 }), 0);
    }
  }
  server.WebSocket = FakeWebSocket;
  return server;
}

test('jwtExpMs reads exp in ms, null for anything else', () => {
  assert.equal(jwtExpMs(jwt({ sub: 'a', exp: 1700000000 })), 1700000000000);
  assert.equal(jwtExpMs(jwt({ sub: 'a', name: 'Zoë' })), null);
  assert.equal(jwtExpMs('not a jwt'), null);
  assert.equal(jwtExpMs('a.%%%.c'), null);
  assert.equal(jwtExpMs(undefined), null);
});

test('refreshDelayMs: 30 s before exp for long tokens, at 80% of the lifetime for short ones', () => {
  const now = 1_000_000;
  assert.equal(refreshDelayMs(now + 3600_000, now), 3600_000 - 30_000);
  assert.equal(refreshDelayMs(now + 60_000, now), 48_000);
  assert.equal(refreshDelayMs(now + 5_000, now), 4_000);
  assert.equal(refreshDelayMs(now - 1, now), 500, 'never a tight loop');
});

test('websocketUrl maps http(s) to ws(s)', () => {
  assert.equal(websocketUrl('http://h:8080'), 'ws://h:8080/rt/websocket');
  assert.equal(websocketUrl('https://h/base'), 'wss://h/base/rt/websocket');
});

test('once() fires one time; off() removes a once listener before it fires', () => {
  const e = new Emitter(['x']);
  const got = [];
  e.once('x', (v) => got.push(v));
  const f = (v) => got.push('never ' + v);
  e.once('x', f);
  e.off('x', f);
  e.emit('x', 1);
  e.emit('x', 2);
  assert.deepEqual(got, [1]);
  assert.throws(() => e.on('nope', () => {}), TypeError);
});

test('websocket transport: room subscriptions get only their room, once() once, pin state follows pushes', async () => {
  const server = fakeServer();
  const lr = new Liveroom({ url: 'http://node:8080', transport: 'websocket', WebSocket: server.WebSocket });
  const all = [];
  const onlyA = [];
  const onceA = [];
  lr.on('danmaku', (d) => all.push(d.room + ':' + d.seq));
  const a = lr.room('a');
  assert.equal(lr.room('a'), a);
  assert.equal(a.joined, false);
  a.on('danmaku', (d) => onlyA.push(d.seq));
  a.once('danmaku', (d) => onceA.push(d.seq));
  await a.join();
  await lr.join('b');
  assert.equal(server.last.url, 'ws://node:8080/rt/websocket');
  assert.equal(a.joined, true);
  assert.equal(a.info.title, 'T');
  assert.equal(a.pinned, null);
  const item = (seq) => ({ seq, user: { id: 'u', name: 'U' }, text: 't' + seq, color: '#ffffff', mode: 'scroll', ts: 1, priority: 0 });
  server.last.deliver({ push: 'danmaku', room: 'a', epoch: 7, items: [item(1), item(2)] });
  server.last.deliver({ push: 'danmaku', room: 'b', epoch: 7, items: [item(1)] });
  await until(() => all.length === 3, 1000, 'three items');
  assert.deepEqual(onlyA, [1, 2]);
  assert.deepEqual(onceA, [1]);

  const mods = [];
  a.on('moderation', (m) => mods.push(m.action));
  server.last.deliver({ push: 'moderation', room: 'a', action: 'pin', epoch: 7, seq: 2, item: item(2) });
  await until(() => mods.length === 1, 1000, 'the pin');
  assert.equal(a.pinned.epoch, 7);
  assert.equal(a.pinned.seq, 2);
  assert.equal(a.pinned.text, 't2');
  server.last.deliver({ push: 'moderation', room: 'a', action: 'delete', epoch: 6, seq: 2 });
  server.last.deliver({ push: 'moderation', room: 'a', action: 'delete', epoch: 7, seq: 2 });
  await until(() => mods.length === 3, 1000, 'the deletes');
  assert.equal(a.pinned, null, 'deleting the pinned item (same epoch and seq) unpins it');
  lr.close();
});

test('moderate sends epoch and seq for delete and pin, and refuses them without both', async () => {
  const server = fakeServer();
  const lr = new Liveroom({ url: 'http://node', transport: 'websocket', WebSocket: server.WebSocket });
  await lr.join('a');
  const d = { room: 'a', epoch: 7, seq: 3, user: { id: 'x', name: 'X' }, text: 'bad' };
  assert.deepEqual(await lr.moderate('a', 'delete', d), { ok: true });
  await lr.room('a').moderate('mute', { user: 'x', durationSec: 60 });
  const sent = server.frames.filter((f) => f.op === 'moderate').map(({ id, ...f }) => f);
  assert.deepEqual(sent, [
    { op: 'moderate', room: 'a', action: 'delete', epoch: 7, seq: 3 },
    { op: 'moderate', room: 'a', action: 'mute', user: 'x', durationSec: 60 }
  ]);
  await assert.rejects(lr.moderate('a', 'pin', { seq: 3 }), (e) => e.code === 'BAD_REQUEST');
  lr.close();
});

test('a token function is asked again and sent with refresh before exp; a failed refresh is an event', async () => {
  const server = fakeServer();
  let asked = 0;
  const token = () => {
    asked++;
    return Promise.resolve(jwt({ sub: 'u1', exp: Math.floor(Date.now() / 1000) + 3 }));
  };
  const lr = new Liveroom({ url: 'http://node', transport: 'websocket', WebSocket: server.WebSocket, token });
  const refreshed = [];
  lr.on('refresh', (r) => refreshed.push(r.exp));
  const t0 = Date.now();
  await lr.connect();
  const exp0 = lr.tokenExpMs;
  assert.ok(exp0 > t0, 'exp decoded from the hello token');
  await until(() => refreshed.length === 1, 3000, 'a refresh');
  const refresh = server.frames.find((f) => f.op === 'refresh');
  assert.ok(refresh && refresh.token, 'refresh carries a token');
  assert.ok(Date.now() < exp0, 'refreshed before exp');
  assert.ok(asked >= 2, 'the token function was asked again');

  const failures = [];
  lr.on('refresherror', (e) => failures.push(e.code));
  server.refreshReply = () => ({ ok: false, error: { code: 'UNAUTHORIZED', message: 'other user' } });
  await until(() => failures.length === 1, 3000, 'a refused refresh');
  assert.deepEqual(failures, ['UNAUTHORIZED']);
  lr.close();
});

test('bye TOKEN_EXPIRED: a string token closes the client, a token function reconnects', async () => {
  const server = fakeServer();
  const fixed = new Liveroom({ url: 'http://node', transport: 'websocket', WebSocket: server.WebSocket, token: 'x.y.z' });
  const errors = [];
  fixed.on('error', (e) => errors.push(e.code));
  await fixed.connect();
  server.last.deliver({ push: 'bye', reason: 'TOKEN_EXPIRED' });
  assert.equal(fixed.status, 'closed');
  assert.deepEqual(errors, ['TOKEN_EXPIRED']);

  const fn = new Liveroom({ url: 'http://node', transport: 'websocket', WebSocket: server.WebSocket, token: () => 'a.b.c', backoffBaseMs: 10 });
  await fn.connect();
  const before = server.sockets.length;
  server.last.deliver({ push: 'bye', reason: 'TOKEN_EXPIRED' });
  server.last.close();
  await until(() => server.sockets.length === before + 1 && fn.status === 'open', 2000, 'the reconnect');
  fn.close();
});
