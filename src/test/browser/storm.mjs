// Reconnect storm with the real liveroom.js (its own backoff with full jitter and its handling of
// the server's reconnect hint): thousands of clients in this one Node process, all dropped at once,
// all coming back. Run by ReconnectStormIT, which checks the figures this script writes.
//
// The clients reach the nodes through a TCP proxy in this process that stands for a load balancer:
// it sends each new connection to a random node among those whose /health/ready answers 200, as a
// Kubernetes Service does with its endpoints (random, not round robin: a sockjs-client connect is two
// TCP connections, /info then the WebSocket, and round robin would put every WebSocket on one node). Two phases:
//  - "drop": the proxy resets every client connection at once (a load balancer restart or a
//    network blip). The nodes keep their rooms, so every client must come back with recovered: true.
//  - "drain": the second node is stopped gracefully (SIGTERM to STORM_STOP_PID). Its clients get
//    `bye` SHUTDOWN with reconnectAfterMs and come back through the proxy to the first node.
// Meanwhile a publisher posts danmaku over REST to the first node, so that there is something to
// recover. Well-behaved probes (ping round trips, readiness) run in the test JVM, not here: this
// process is too busy during the storm to time anything but its own clients.
//
// Environment: LR_URLS (base URLs of two nodes, the first stays up), LR_API_KEY, LR_JWT_SECRET,
// STORM_STOP_PID, STORM_CLIENTS (2000), STORM_ROOMS (40), STORM_RAMP_PER_SEC (150: the initial
// connects, paced under the admission limit), STORM_PUBLISH_PER_SEC (20), STORM_DEADLINE_MS (75000:
// per phase), STORM_OUT (result JSON file). Exit code 0 when the script ran to its end (the test
// judges the figures), 1 when a phase timed out or something broke.
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

// no keep-alive for sockjs-client's HTTP requests (see client.test.mjs), and no socket cap
http.globalAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

const require = createRequire(import.meta.url);
const Liveroom = require('../../main/resources/webroot/liveroom.js');
const SockJS = require('sockjs-client');

const env = process.env;
const URLS = (env.LR_URLS || '').split(',').filter(Boolean);
const API_KEY = env.LR_API_KEY || 'dev-key';
const SECRET = env.LR_JWT_SECRET || 'dev-secret';
const STOP_PID = Number(env.STORM_STOP_PID || 0);
const CLIENTS = Number(env.STORM_CLIENTS || 2000);
const ROOMS = Number(env.STORM_ROOMS || 40);
const RAMP_PER_SEC = Number(env.STORM_RAMP_PER_SEC || 150);
const PUBLISH_PER_SEC = Number(env.STORM_PUBLISH_PER_SEC || 20);
const DEADLINE_MS = Number(env.STORM_DEADLINE_MS || 75000);
const OUT = env.STORM_OUT || 'storm.json';
const BUCKET_MS = 100;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);

function b64url(s) {
  return Buffer.from(s).toString('base64url');
}

function jwt(sub) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub, name: sub, exp: Math.floor(Date.now() / 1000) + 3600 }));
  return head + '.' + body + '.' + createHmac('sha256', SECRET).update(head + '.' + body).digest('base64url');
}

async function api(method, path, body) {
  const r = await fetch(URLS[0] + '/api/v1' + path, {
    method,
    headers: { authorization: 'Bearer ' + API_KEY, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000)
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

// ---- the proxy (a load balancer with readiness checks) ------------------------------------

class Proxy {
  constructor(urls) {
    this.upstreams = urls.map((u, index) => ({ index, url: u, port: Number(new URL(u).port), ready: true }));
    this.pairs = new Set();
    this.server = net.createServer({ noDelay: true }, (c) => this.accept(c));
  }

  async listen() {
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    this.checker = setInterval(() => this.check(), 200);
  }

  check() {
    for (const u of this.upstreams) {
      const req = http.get(u.url + '/health/ready', { timeout: 1000 }, (res) => {
        u.ready = res.statusCode === 200;
        res.resume();
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => { u.ready = false; });
    }
  }

  pick() {
    const ready = this.upstreams.filter((u) => u.ready);
    const from = ready.length ? ready : this.upstreams;
    return from[Math.floor(Math.random() * from.length)];
  }

  accept(client) {
    const up = this.pick();
    const upstream = net.connect({ host: '127.0.0.1', port: up.port, noDelay: true });
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      if (this.pairs.delete(pair)) {
        client.destroy();
        upstream.destroy();
      }
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Resets every connection at once (RST to the clients, close to the nodes). */
  cut() {
    const all = [...this.pairs];
    this.pairs.clear();
    for (const { client, upstream } of all) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    return all.length;
  }

  close() {
    clearInterval(this.checker);
    this.cut();
    this.server.close();
  }
}

// ---- the clients ------------------------------------------------------------------------

/** One liveroom.js client and what it went through. */
class Storm {
  constructor(i, room, url) {
    this.i = i;
    this.room = room;
    this.attempts = []; // times of each new SockJS (a connect attempt)
    this.opens = []; // {t, node}: hello done and the room (re-)joined
    this.byes = []; // {t, reason, hint}
    this.gaps = [];
    this.errors = [];
    this.delivered = new Map(); // epoch -> items received with seq > this.from.get(epoch)
    this.from = new Map();
    const self = this;
    function CountingSockJS(u, reserved, options) {
      self.attempts.push(Date.now());
      return new SockJS(u, reserved, options);
    }
    this.c = new Liveroom({ url, token: jwt('storm-' + i), SockJS: CountingSockJS, transports: ['websocket'] });
    this.c.on('status', (s) => {
      if (s === 'open') {
        this.opens.push({ t: Date.now(), node: this.c.node });
      }
    });
    this.c.on('bye', (b) => this.byes.push({ t: Date.now(), reason: b.reason, hint: b.reconnectAfterMs }));
    this.c.on('gap', (g) => this.gaps.push(Object.assign({ t: Date.now() }, g)));
    this.c.on('error', (e) => this.errors.push(e.code || String(e)));
    this.c.on('danmaku', (d) => {
      if (d.seq > (this.from.get(d.epoch) || 0)) {
        this.delivered.set(d.epoch, (this.delivered.get(d.epoch) || 0) + 1);
      }
    });
  }

  back(since) {
    const st = this.c.room(this.room);
    return this.c.status === 'open' && st !== null && st.joined && this.opens.some((o) => o.t >= since);
  }

  /** Starts counting deliveries from the client's current position in its room. */
  mark() {
    const st = this.c.room(this.room);
    this.from = new Map([[st.epoch, st.seq]]);
    this.delivered = new Map();
    return st;
  }
}

async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error('timed out after ' + ms + ' ms waiting until ' + what());
    }
    await sleep(50);
  }
}

/** Counts of times (ms) in BUCKET_MS buckets from t0: [count, ...]. */
function histogram(times, t0, t1) {
  const n = Math.max(1, Math.ceil((t1 - t0) / BUCKET_MS));
  const h = new Array(n).fill(0);
  for (const t of times) {
    if (t >= t0 && t < t1) {
      h[Math.floor((t - t0) / BUCKET_MS)]++;
    }
  }
  return h;
}

function maxWindow(h, buckets) {
  let best = 0;
  let sum = 0;
  for (let i = 0; i < h.length; i++) {
    sum += h[i] - (i >= buckets ? h[i - buckets] : 0);
    best = Math.max(best, sum);
  }
  return best;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] : 0;
}

// ---- the publisher ----------------------------------------------------------------------

class Publisher {
  constructor(rooms) {
    this.rooms = rooms;
    this.last = new Map(); // room -> {epoch, seq} of the last acknowledged publish
    this.ok = 0;
    this.failed = 0;
    this.n = 0;
  }

  start() {
    this.timer = setInterval(() => {
      const room = this.rooms[this.n++ % this.rooms.length];
      api('POST', '/rooms/' + room + '/messages', { text: 'storm ' + this.n, priority: 0 }).then((r) => {
        if (r.status === 202) {
          this.ok++;
          const prev = this.last.get(room);
          if (!prev || r.json.epoch !== prev.epoch || r.json.seq > prev.seq) {
            this.last.set(room, { epoch: r.json.epoch, seq: r.json.seq });
          }
        } else {
          this.failed++;
        }
      }, () => { this.failed++; });
    }, 1000 / PUBLISH_PER_SEC);
  }

  async stop() {
    clearInterval(this.timer);
    await sleep(300); // the last answers
  }
}

// ---- the run ----------------------------------------------------------------------------

async function phase(name, clients, t0, subset, pub) {
  await until(() => subset.every((s) => s.back(t0)), DEADLINE_MS,
    () => subset.filter((s) => !s.back(t0)).length + ' of ' + subset.length + ' clients back (' + name + ')');
  const tBack = Date.now();
  log(name + ': all ' + subset.length + ' clients back in ' + (tBack - t0) + ' ms');
  await pub.stop();
  // pushes of the last ticks; after a move, edges learn the new owner at their presence refresh (1 s)
  await sleep(2500);
  const backMs = subset.map((s) => s.opens.find((o) => o.t >= t0).t - t0).sort((a, b) => a - b);
  const attempts = [];
  const admits = [];
  const admitsByNode = {};
  const byes = {};
  let hintsGiven = 0;
  let hintViolations = 0;
  let maxAttempts = 0;
  for (const s of subset) {
    const mine = s.attempts.filter((t) => t >= t0 && t <= tBack);
    attempts.push(...mine);
    maxAttempts = Math.max(maxAttempts, mine.length);
    for (const o of s.opens) {
      if (o.t >= t0 && o.t <= tBack) {
        admits.push(o.t);
        (admitsByNode[o.node] = admitsByNode[o.node] || []).push(o.t);
      }
    }
    for (const b of s.byes.filter((x) => x.t >= t0 && x.t <= tBack)) {
      byes[b.reason] = (byes[b.reason] || 0) + 1;
      if (typeof b.hint === 'number') {
        hintsGiven++;
        // the next attempt after a bye with a hint comes no earlier than the hint (timers: 5 ms slack)
        const next = s.attempts.find((t) => t >= b.t);
        if (next !== undefined && next - b.t < b.hint - 5) {
          hintViolations++;
        }
      }
    }
  }
  const hAttempts = histogram(attempts, t0, tBack + 1);
  const hAdmits = histogram(admits, t0, tBack + 1);
  const byNode = {};
  for (const [node, times] of Object.entries(admitsByNode)) {
    const h = histogram(times, t0, tBack + 1);
    byNode[node] = { admits: times.length, peakPer100ms: maxWindow(h, 1), peakPerSecond: maxWindow(h, 10) };
  }
  // every client of a room that kept its epoch must hold every item published in this phase
  let behind = 0;
  let lost = 0;
  let gapsUnrecovered = 0;
  let gapsMovedRooms = 0;
  let errors = 0;
  const errorCodes = {};
  const movedRooms = new Set();
  for (const s of clients) {
    const last = pub.last.get(s.room);
    const st = s.c.room(s.room);
    if (!last || !st) {
      behind++;
      continue;
    }
    const startEpoch = [...s.from.keys()][0];
    const moved = last.epoch !== startEpoch;
    if (moved) {
      movedRooms.add(s.room);
    }
    if (st.epoch !== last.epoch || st.seq < last.seq) {
      behind++;
    }
    for (const g of s.gaps.filter((x) => x.t >= t0)) {
      if (moved) {
        gapsMovedRooms++;
      } else {
        gapsUnrecovered++;
      }
    }
    if (!moved) {
      const want = last.seq - s.from.get(startEpoch);
      const got = s.delivered.get(startEpoch) || 0;
      if (got < want) {
        lost += want - got;
      }
    }
    for (const code of s.errors) {
      errors++;
      errorCodes[code] = (errorCodes[code] || 0) + 1;
    }
    s.errors = [];
  }
  return {
    phase: name,
    clients: subset.length,
    startedAt: t0,
    allBackMs: tBack - t0,
    backMsP50: percentile(backMs, 0.5),
    backMsP90: percentile(backMs, 0.9),
    backMsP99: percentile(backMs, 0.99),
    attempts: attempts.length,
    maxAttemptsPerClient: maxAttempts,
    peakAttemptsPer100ms: maxWindow(hAttempts, 1),
    admits: admits.length,
    peakAdmitsPer100ms: maxWindow(hAdmits, 1),
    peakAdmitsPerSecond: maxWindow(hAdmits, 10),
    // how spread the comebacks are: the share of the clients back in each tenth of the time it took
    admitsByTenth: tenths(admits, t0, tBack + 1),
    byNode,
    byes,
    hintsGiven,
    hintViolations,
    published: pub.ok,
    publishFailed: pub.failed,
    movedRooms: movedRooms.size,
    clientsBehind: behind,
    itemsLost: lost,
    gapsInKeptRooms: gapsUnrecovered,
    gapsInMovedRooms: gapsMovedRooms,
    errors,
    errorCodes,
    attemptsPer100ms: hAttempts,
    admitsPer100ms: hAdmits
  };
}

function tenths(times, t0, t1) {
  const out = new Array(10).fill(0);
  for (const t of times) {
    out[Math.min(9, Math.floor(((t - t0) / (t1 - t0)) * 10))]++;
  }
  return out;
}

async function main() {
  if (URLS.length < 2) {
    throw new Error('LR_URLS must name two nodes');
  }
  const result = { clients: CLIENTS, rooms: ROOMS, rampPerSec: RAMP_PER_SEC, publishPerSec: PUBLISH_PER_SEC,
    backoff: null, phases: [] };
  const proxy = new Proxy(URLS);
  await proxy.listen();
  const url = 'http://127.0.0.1:' + proxy.port;
  log('proxy on ' + url + ' for ' + URLS.join(' '));

  const rooms = [];
  for (let k = 0; k < ROOMS; k++) {
    const id = 'storm-' + k;
    const r = await api('POST', '/rooms', { id, title: 'storm ' + k, ownerId: 'storm-host', guestsCanRead: true });
    if (r.status !== 201 && r.status !== 409) {
      throw new Error('create ' + id + ': ' + r.status + ' ' + JSON.stringify(r.json));
    }
    rooms.push(id);
  }

  // ramp: paced under the admission limit, so no client starts the storm with a grown backoff
  const t0 = Date.now();
  const clients = [];
  const joins = [];
  for (let i = 0; i < CLIENTS; i++) {
    const s = new Storm(i, rooms[i % ROOMS], url);
    clients.push(s);
    joins.push(s.c.join(s.room, { history: false }).then(() => null, (e) => e));
    const due = t0 + ((i + 1) * 1000) / RAMP_PER_SEC;
    if (due > Date.now()) {
      await sleep(due - Date.now());
    }
  }
  const failedJoins = (await Promise.all(joins)).filter(Boolean);
  result.rampMs = Date.now() - t0;
  result.rampFailedJoins = failedJoins.length;
  result.backoff = { baseMs: clients[0].c.backoffBaseMs, maxMs: clients[0].c.backoffMaxMs, stableMs: clients[0].c.stableMs };
  log('ramp: ' + CLIENTS + ' clients in ' + result.rampMs + ' ms, ' + failedJoins.length + ' joins failed'
    + (failedJoins.length ? ' (' + failedJoins[0].code + ')' : ''));
  await until(() => clients.every((s) => s.back(0)), DEADLINE_MS,
    () => clients.filter((s) => !s.back(0)).length + ' clients not connected after the ramp');
  result.rampRefusals = clients.reduce((n, s) => n + s.byes.length, 0);

  // a connection open for stableMs resets the client's backoff: storms hit long-lived clients
  const lastOpen = Math.max(...clients.map((s) => s.opens[s.opens.length - 1].t));
  const stable = lastOpen + clients[0].c.stableMs + 500 - Date.now();
  const pub = new Publisher(rooms);
  pub.start();
  await sleep(Math.max(stable, 3000));

  // phase 1: every connection reset at once
  clients.forEach((s) => s.mark());
  pub.ok = 0;
  pub.failed = 0;
  const tDrop = Date.now();
  const cut = proxy.cut();
  log('drop: reset ' + cut + ' proxied connections');
  result.phases.push(await phase('drop', clients, tDrop, clients, pub));
  log('drop: ' + JSON.stringify(summary(result.phases[0])));

  // phase 2: the second node stops gracefully; its clients come back to the first
  const nodeIds = [...new Set(clients.map((s) => s.c.node))];
  await sleep(Math.max(0, Math.max(...clients.map((s) => s.opens[s.opens.length - 1].t)) + clients[0].c.stableMs + 500 - Date.now()));
  clients.forEach((s) => s.mark());
  pub.ok = 0;
  pub.failed = 0;
  pub.start();
  await sleep(1000);
  const firstNode = await api('GET', '/stats');
  const keepNode = firstNode.json.node.nodeId;
  const drained = clients.filter((s) => s.c.node !== keepNode);
  result.nodes = nodeIds;
  log('drain: SIGTERM to pid ' + STOP_PID + '; ' + drained.length + ' clients on the other node');
  const tStop = Date.now();
  process.kill(STOP_PID, 'SIGTERM');
  result.phases.push(await phase('drain', clients, tStop, drained, pub));
  log('drain: ' + JSON.stringify(summary(result.phases[1])));

  result.openAtEnd = clients.filter((s) => s.c.status === 'open').length;
  clients.forEach((s) => s.c.close());
  proxy.close();
  return result;
}

function summary(p) {
  const out = {};
  for (const [k, v] of Object.entries(p)) {
    if (!Array.isArray(v)) {
      out[k] = v;
    }
  }
  return out;
}

main().then((result) => {
  writeFileSync(OUT, JSON.stringify(result, null, 1));
  log('result in ' + OUT);
  process.exit(0);
}, (e) => {
  console.error('storm failed:', e && e.stack ? e.stack : e);
  process.exit(1);
});
