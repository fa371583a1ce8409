// Tests of the JS client (@liveroom/client, installed from the package that `npm pack` built in
// clients/js) without a browser, run by `node --test client.test.mjs` (BrowserIT runs them).
//  - "unit": against a fake SockJS in this process: gaps, duplicates, epochs, timeouts, reconnect.
//  - "live": against real nodes, with sockjs-client from npm, when LR_URL1 is set:
//    LR_URL1, LR_URL2 (base URLs of two nodes), LR_API_KEY, LR_JWT_SECRET.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import http from 'node:http';

// Vert.x's SockJS xhr-polling closes the TCP connection after each poll response without a
// `Connection: close` header; Node's default agent keeps connections alive (Node >= 19) and its
// next request on that socket fails with ECONNRESET. Browsers retry; Node does not: no keep-alive.
http.globalAgent = new http.Agent({ keepAlive: false });

import { Liveroom } from '@liveroom/client';

const require = createRequire(import.meta.url);
const SockJS = require('sockjs-client');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('timed out waiting for ' + what);
    }
    await sleep(10);
  }
}

// ---- a fake SockJS: records what the client sends, lets the test answer and push ----------

class FakeServer {
  constructor() {
    this.sockets = [];
    const server = this;
    this.SockJS = class {
      constructor(url) {
        this.url = url;
        this.sent = [];
        this.closed = false;
        server.sockets.push(this);
        setTimeout(() => this.onopen && this.onopen(), 0);
      }
      send(text) {
        const msg = JSON.parse(text);
        this.sent.push(msg);
        const reply = server.answer(msg, this);
        if (reply) {
          setTimeout(() => this.deliver(Object.assign({ id: msg.id }, reply)), 0);
        }
      }
      deliver(obj) {
        if (!this.closed && this.onmessage) {
          this.onmessage({ data: JSON.stringify(obj) });
        }
      }
      close() {
        this.serverClose();
      }
      serverClose() {
        if (!this.closed) {
          this.closed = true;
          setTimeout(() => this.onclose && this.onclose({ code: 1000, reason: 'closed' }), 0);
        }
      }
    };
    this.epoch = 7;
    this.seq = 0;
    this.history = [];
    this.silent = new Set();
  }

  get last() {
    return this.sockets[this.sockets.length - 1];
  }

  answer(msg) {
    if (this.silent.has(msg.op)) {
      return null;
    }
    switch (msg.op) {
      case 'hello':
        return { ok: true, user: { id: 'u1', name: 'U', roles: {} }, node: 'n1', heartbeatMs: 60000 };
      case 'join': {
        const s = msg.since;
        if (s && s.epoch === this.epoch && this.history.every((i) => true)) {
          return { ok: true, room: { id: msg.room }, online: 1, epoch: this.epoch, seq: this.seq,
            history: this.history.filter((i) => i.seq > s.seq), recovered: true };
        }
        return { ok: true, room: { id: msg.room }, online: 1, epoch: this.epoch, seq: this.seq,
          history: this.history.map((i) => Object.assign({ epoch: this.epoch }, i)), recovered: false };
      }
      case 'send':
        return { ok: true, seq: ++this.seq, epoch: this.epoch };
      default:
        return { ok: true };
    }
  }

  item(seq) {
    return { seq, user: { id: 'x', name: 'X' }, text: 'm' + seq, color: '#ffffff', mode: 'scroll', ts: Date.now(), priority: 0 };
  }

  push(room, epoch, seqs) {
    this.last.deliver({ push: 'danmaku', room, epoch, items: seqs.map((s) => this.item(s)) });
  }
}

function collect(lr) {
  const got = { danmaku: [], gap: [], status: [], error: [] };
  lr.on('danmaku', (d) => got.danmaku.push(d));
  lr.on('gap', (g) => got.gap.push(g));
  lr.on('status', (s) => got.status.push(s));
  lr.on('error', (e) => got.error.push(e));
  return got;
}

describe('unit (fake SockJS)', () => {
  test('pushes: duplicates dropped, a gap reported, an epoch change resets', async () => {
    const fake = new FakeServer();
    fake.seq = 3;
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS });
    const got = collect(lr);
    await lr.connect();
    const joined = await lr.join('r1', { history: false });
    assert.equal(joined.seq, 3);
    fake.push('r1', 7, [3, 4, 5]); // 3 was before the join
    fake.push('r1', 7, [5, 6]); // 5 again
    fake.push('r1', 7, [8]); // 7 missing
    await until(() => got.danmaku.length >= 4, 1000, 'items of epoch 7');
    fake.epoch = 9; // a new owner
    fake.seq = 0;
    fake.push('r1', 9, [1, 2]); // new epoch: the client re-joins with its old position first
    fake.push('other', 7, [1]); // not joined
    await until(() => got.danmaku.length >= 6, 1000, 'items');
    await sleep(20);
    assert.deepEqual(got.danmaku.map((d) => d.epoch + ':' + d.seq), ['7:4', '7:5', '7:6', '7:8', '9:1', '9:2']);
    assert.deepEqual(got.gap, [{ room: 'r1', epoch: 7, expected: 7, got: 8 },
      { room: 'r1', epoch: 9, expected: 9, got: 1, recovered: false, previousEpoch: 7 }]);
    assert.equal(got.danmaku[0].room, 'r1');
    assert.equal(got.danmaku[0].history, false);
    assert.deepEqual(lr.room('r1').epoch, 9);
    lr.close();
    assert.deepEqual(got.status, ['connecting', 'open', 'closed']);
  });

  test('an epoch change re-joins and gets what the old owner acknowledged but never pushed', async () => {
    const fake = new FakeServer();
    fake.seq = 3;
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS });
    const got = collect(lr);
    await lr.connect();
    await lr.join('r1', { history: false });
    fake.push('r1', 7, [4]);
    await until(() => got.danmaku.length >= 1, 1000, 'the first item');
    // the owner crashes after acknowledging 7:5 and 7:6 and before pushing them; the new owner
    // loads them into its history, and its first push is 9:1
    fake.epoch = 9;
    fake.seq = 1;
    fake.history = [Object.assign(fake.item(5), { epoch: 7 }), Object.assign(fake.item(6), { epoch: 7 }),
      Object.assign(fake.item(1), { epoch: 9 })];
    const joinsBefore = fake.last.sent.filter((m) => m.op === 'join').length;
    fake.push('r1', 9, [1]);
    await until(() => got.danmaku.length >= 4, 1000, 'the missed items');
    await sleep(20);
    assert.deepEqual(got.danmaku.map((d) => d.epoch + ':' + d.seq + (d.history ? 'h' : '')), ['7:4', '7:5h', '7:6h', '9:1h']);
    const joins = fake.last.sent.filter((m) => m.op === 'join');
    assert.equal(joins.length, joinsBefore + 1, 'one re-join');
    assert.deepEqual(joins[joins.length - 1].since, { epoch: 7, seq: 4 });
    assert.equal(lr.room('r1').epoch, 9);
    lr.close();
  });

  test('join history is emitted once, flagged history', async () => {
    const fake = new FakeServer();
    fake.seq = 2;
    fake.history = [fake.item(1), fake.item(2)];
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS });
    const got = collect(lr);
    await lr.connect();
    await lr.join('r1');
    fake.push('r1', 7, [2, 3]);
    await until(() => got.danmaku.length >= 3, 1000, 'items');
    assert.deepEqual(got.danmaku.map((d) => [d.seq, d.history]), [[1, true], [2, true], [3, false]]);
    lr.close();
  });

  test('room, moderation and closed pushes; a closed room is not re-joined', async () => {
    const fake = new FakeServer();
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS, backoffBaseMs: 20 });
    const ev = [];
    for (const e of ['room', 'moderation', 'closed', 'kicked']) {
      lr.on(e, (p) => ev.push([e, p]));
    }
    await lr.connect();
    await lr.join('r1');
    await lr.join('r2');
    fake.last.deliver({ push: 'room', room: { id: 'r1', title: 'New title', online: 3 } });
    fake.last.deliver({ push: 'moderation', room: 'r1', action: 'delete', seq: 4 });
    fake.last.deliver({ push: 'closed', room: 'r1', reason: 'ENDED' });
    fake.last.deliver({ push: 'kicked', room: 'r2', reason: 'spam' });
    await until(() => ev.length === 4, 1000, 'events');
    assert.deepEqual(ev[0], ['room', { room: 'r1', info: { id: 'r1', title: 'New title', online: 3 } }]);
    assert.equal(ev[1][1].action, 'delete');
    assert.deepEqual(ev[2], ['closed', { room: 'r1', reason: 'ENDED' }]);
    assert.deepEqual(ev[3], ['kicked', { room: 'r2', reason: 'spam' }]);
    assert.equal(lr.room('r1').joined, false);
    assert.equal(lr.room('r1').epoch, null, 'the client forgot the room');
    assert.equal(lr.room('r2').epoch, null);
    fake.last.serverClose();
    await until(() => fake.sockets.length === 2 && lr.status === 'open', 1000, 'the reconnect');
    assert.deepEqual(fake.last.sent.map((m) => m.op), ['hello'], 'no re-join of a closed or kicked room');
    lr.close();
  });

  test('a command without reply times out with code TIMEOUT; a server error carries its code', async () => {
    const fake = new FakeServer();
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS, timeoutMs: 150 });
    await lr.connect();
    fake.silent.add('ping');
    const t0 = Date.now();
    await assert.rejects(lr.ping(), (e) => e.code === 'TIMEOUT');
    assert.ok(Date.now() - t0 >= 140);
    fake.silent.delete('ping');
    fake.answer = (msg) => (msg.op === 'send'
      ? { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 900 } } : { ok: true, seq: 0 });
    await assert.rejects(lr.send('r1', { text: 'hi' }), (e) => e.code === 'RATE_LIMITED' && e.retryAfterMs === 900);
    lr.close();
    await assert.rejects(lr.ping(), (e) => e.code === 'CLOSED');
  });

  test('reconnect: backoff, re-hello, re-join with since, in-flight send re-sent with the same key', async () => {
    const fake = new FakeServer();
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS, backoffBaseMs: 50 });
    const got = collect(lr);
    await lr.connect();
    await lr.join('r1', { history: false });
    fake.push('r1', 7, [1, 2]);
    fake.seq = 2;
    await until(() => got.danmaku.length === 2, 1000, 'items');
    fake.history = [fake.item(1), fake.item(2), fake.item(3), fake.item(4)];
    fake.seq = 4;
    fake.silent.add('send');
    const sent = lr.send('r1', { text: 'while dropping' });
    await until(() => fake.last.sent.some((m) => m.op === 'send'), 1000, 'the send');
    const key = fake.last.sent.find((m) => m.op === 'send').key;
    fake.silent.delete('send');
    fake.last.serverClose();
    await until(() => got.status.includes('reconnecting'), 1000, 'reconnecting');
    const ack = await sent;
    assert.equal(ack.seq, 5);
    assert.equal(fake.sockets.length, 2);
    const second = fake.sockets[1].sent;
    assert.deepEqual(second.map((m) => m.op), ['hello', 'join', 'send']);
    assert.deepEqual(second[1].since, { epoch: 7, seq: 2 });
    assert.equal(second[2].key, key, 'the retry carries the first key');
    assert.deepEqual(got.danmaku.map((d) => [d.seq, d.history]), [[1, false], [2, false], [3, true], [4, true]]);
    assert.deepEqual(got.gap, []);
    assert.deepEqual(got.status, ['connecting', 'open', 'reconnecting', 'open']);

    // an epoch change while away: not recovered, a gap event, the new epoch's history delivered
    fake.epoch = 8;
    fake.seq = 1;
    fake.history = [fake.item(1)];
    fake.last.serverClose();
    await until(() => got.gap.length === 1, 2000, 'a gap');
    assert.equal(got.gap[0].recovered, false);
    assert.deepEqual(got.danmaku.slice(-1).map((d) => [d.epoch, d.seq]), [[8, 1]]);
    lr.close();
  });

  test('a refused hello closes the client and rejects connect', async () => {
    const fake = new FakeServer();
    fake.answer = () => ({ ok: false, error: { code: 'UNAUTHORIZED', message: 'invalid or expired token' } });
    const lr = new Liveroom({ url: 'http://x', token: 'bad', SockJS: fake.SockJS });
    await assert.rejects(lr.connect(), (e) => e.code === 'UNAUTHORIZED');
    assert.equal(lr.status, 'closed');
  });

  test('a failing token function is reported and retried with backoff', async () => {
    const fake = new FakeServer();
    let calls = 0;
    const token = () => {
      calls++;
      if (calls === 1) {
        throw new Error('auth backend down');
      }
      return Promise.resolve('tok-' + calls);
    };
    const lr = new Liveroom({ url: 'http://x', token, SockJS: fake.SockJS, backoffBaseMs: 20 });
    const got = collect(lr);
    await lr.connect();
    assert.equal(got.error.length, 1);
    assert.equal(got.error[0].code, 'TOKEN');
    assert.equal(fake.sockets.length, 2);
    assert.equal(fake.last.sent[0].token, 'tok-2');
    lr.close();
  });

  test('bye ABUSE stops reconnecting; other byes reconnect', async () => {
    const fake = new FakeServer();
    const lr = new Liveroom({ url: 'http://x', SockJS: fake.SockJS, backoffBaseMs: 20 });
    const byes = [];
    lr.on('bye', (b) => byes.push(b.reason));
    await lr.connect();
    fake.last.deliver({ push: 'bye', reason: 'SHUTDOWN' });
    fake.last.serverClose();
    await until(() => fake.sockets.length === 2 && lr.status === 'open', 1000, 'the reconnect');
    fake.last.deliver({ push: 'bye', reason: 'ABUSE' });
    fake.last.serverClose();
    await sleep(100);
    assert.equal(lr.status, 'closed');
    assert.equal(fake.sockets.length, 2);
    assert.deepEqual(byes, ['SHUTDOWN', 'ABUSE']);
  });
});

// ---- live: real nodes ------------------------------------------------------------------------

const URL1 = process.env.LR_URL1;
const URL2 = process.env.LR_URL2 || URL1;
const API_KEY = process.env.LR_API_KEY || 'dev-key';
const SECRET = process.env.LR_JWT_SECRET || 'dev-secret';
const IDLE_MS = Number(process.env.LR_IDLE_TIMEOUT_MS || 0); // the nodes' rt.idleTimeoutMs, when short

function b64url(s) {
  return Buffer.from(s).toString('base64url');
}

function jwt(sub, name) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub, name, exp: Math.floor(Date.now() / 1000) + 3600 }));
  const sig = createHmac('sha256', SECRET).update(head + '.' + body).digest('base64url');
  return head + '.' + body + '.' + sig;
}

async function createRoom(id, guests) {
  const r = await fetch(URL1 + '/api/v1/rooms', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + API_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify({ id, title: 'node test ' + id, ownerId: 'host-1', guestsCanRead: guests }),
  });
  assert.equal(r.status, 201, await r.text());
}

const run = Date.now().toString(36);

describe('live (sockjs-client against real nodes)', { skip: URL1 ? false : 'LR_URL1 is not set' }, () => {
  for (const transport of ['websocket', 'xhr-streaming', 'xhr-polling']) {
    test('two users on two nodes over ' + transport + '; a guest reads and may not send', async () => {
      const room = 'node-' + transport + '-' + run;
      await createRoom(room, true);
      const opts = { SockJS, transports: [transport], backoffBaseMs: 100 };
      const a = new Liveroom(Object.assign({ url: URL1, token: jwt('alice', 'Alice') }, opts));
      const b = new Liveroom(Object.assign({ url: URL2, token: () => Promise.resolve(jwt('bob', 'Bob')) }, opts));
      const g = new Liveroom(Object.assign({ url: URL2 }, opts));
      const gotB = collect(b);
      const gotG = collect(g);
      try {
        const hello = await a.connect();
        assert.equal(hello.user.id, 'alice');
        await b.connect();
        const gh = await g.connect();
        assert.match(gh.user.id, /^guest-/);
        await a.join(room);
        await b.join(room);
        await g.join(room);
        const ack = await a.send(room, { text: 'hello <b>bob</b>', color: '#FF8800', mode: 'top', progress: 1234 });
        assert.ok(ack.seq >= 1);
        await until(() => gotB.danmaku.length === 1 && gotG.danmaku.length === 1, 5000, 'the item on node 2');
        const d = gotB.danmaku[0];
        assert.equal(d.text, 'hello <b>bob</b>');
        assert.equal(d.color, '#ff8800');
        assert.equal(d.mode, 'top');
        assert.equal(d.progress, 1234);
        assert.equal(d.user.id, 'alice');
        assert.equal(d.seq, ack.seq);
        await assert.rejects(g.send(room, { text: 'guest' }), (e) => e.code === 'FORBIDDEN');
        await assert.rejects(b.send(room, { text: 'x', color: 'red' }), (e) => e.code === 'BAD_REQUEST');
        await assert.rejects(b.join('no-such-room-' + run), (e) => e.code === 'NOT_FOUND');
        assert.equal(b.room('no-such-room-' + run).joined, false);
        assert.equal(b.room('no-such-room-' + run).info, null);
        const p = await b.ping();
        assert.ok(p.ts > 0);
      } finally {
        a.close();
        b.close();
        g.close();
      }
    });
  }

  test('pings keep a quiet client past rt.idleTimeoutMs; a silent SockJS gets bye IDLE_TIMEOUT',
    { skip: IDLE_MS ? false : 'LR_IDLE_TIMEOUT_MS is not set' }, async () => {
      const lr = new Liveroom({ url: URL1, SockJS });
      const got = collect(lr);
      const byes = [];
      lr.on('bye', (b) => byes.push(b.reason));
      await lr.connect();
      assert.ok(lr.heartbeatMs < IDLE_MS, `heartbeatMs ${lr.heartbeatMs} < idle ${IDLE_MS}`);
      const silent = { frames: [], closed: false };
      const raw = new SockJS(URL2 + '/rt');
      raw.onopen = () => raw.send(JSON.stringify({ id: 1, op: 'hello', v: 1 }));
      raw.onmessage = (e) => silent.frames.push(JSON.parse(e.data));
      raw.onclose = () => { silent.closed = true; };
      try {
        await sleep(IDLE_MS * 1.5 + 1500);
        assert.deepEqual(byes, []);
        assert.deepEqual(got.status, ['connecting', 'open'], 'never reconnected');
        assert.ok((await lr.ping()).ts > 0);
        assert.ok(silent.closed, 'the silent connection was closed');
        assert.deepEqual(silent.frames.filter((f) => f.push).map((f) => f.reason), ['IDLE_TIMEOUT']);
      } finally {
        lr.close();
        raw.close();
      }
    });

  test('a burst of sends past the rate limit is refused with RATE_LIMITED and retryAfterMs', async () => {
    const room = 'node-rate-' + run;
    await createRoom(room, false);
    const a = new Liveroom({ url: URL1, token: jwt('rapid', 'Rapid'), SockJS });
    try {
      await a.join(room);
      const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => a.send(room, { text: 'burst ' + i })));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const limited = results.filter((r) => r.status === 'rejected' && r.reason.code === 'RATE_LIMITED');
      assert.ok(ok.length >= 1 && limited.length >= 1, `${ok.length} sent, ${limited.length} limited`);
      assert.equal(ok.length + limited.length, 30);
      assert.ok(limited.every((r) => r.reason.retryAfterMs > 0), 'retryAfterMs on every RATE_LIMITED');
      assert.equal(a.status, 'open');
    } finally {
      a.close();
    }
  });

  test('a dropped connection comes back, recovers what it missed once, and the in-flight send is not doubled', async () => {
    const room = 'node-recover-' + run;
    await createRoom(room, false);
    const a = new Liveroom({ url: URL1, token: jwt('alice', 'Alice'), SockJS, backoffBaseMs: 200 });
    // b's token function waits on a gate, so b's reconnect happens after the sends it must miss
    let gate = Promise.resolve();
    let release = null;
    const b = new Liveroom({ url: URL2, token: () => gate.then(() => jwt('bob', 'Bob')), SockJS, backoffBaseMs: 200 });
    const gotA = collect(a);
    const gotB = collect(b);
    try {
      await a.connect();
      await b.connect();
      await a.join(room);
      await b.join(room);
      await a.send(room, { text: 'before' });
      await until(() => gotB.danmaku.length === 1, 5000, 'the first item');
      const nodeBefore = b.node;
      gate = new Promise((r) => { release = r; });
      b._drop(); // as if the network dropped
      assert.equal(b.status, 'reconnecting');
      for (let i = 0; i < 3; i++) {
        await a.send(room, { text: 'missed ' + i });
      }
      release();
      await until(() => b.status === 'open', 10000, 'b reconnected');
      assert.equal(b.node, nodeBefore);
      await until(() => gotB.danmaku.length === 4, 5000, 'the recovered items');
      assert.deepEqual(gotB.danmaku.map((d) => d.text), ['before', 'missed 0', 'missed 1', 'missed 2']);
      assert.deepEqual(gotB.danmaku.slice(1).map((d) => d.history), [true, true, true]);
      assert.deepEqual(gotB.gap, []);

      // a send whose connection drops before the reply: re-sent after the reconnect, same key
      const before = gotB.danmaku.length;
      const pending = a.send(room, { text: 'exactly once' });
      a._drop();
      const ack = await pending;
      await b.send(room, { text: 'after' });
      await until(() => gotB.danmaku.some((d) => d.text === 'after'), 5000, 'the last item');
      const texts = gotB.danmaku.slice(before).map((d) => d.text);
      assert.deepEqual(texts, ['exactly once', 'after']);
      assert.equal(gotB.danmaku[before].seq, ack.seq);
      await until(() => gotA.danmaku.some((d) => d.text === 'after'), 5000, 'a sees the last item');
      assert.equal(gotA.danmaku.filter((d) => d.text === 'exactly once').length, 1);
      assert.deepEqual(gotA.gap, []);
    } finally {
      a.close();
      b.close();
    }
  });
});
