// The packed client's newer API in Chromium, against real nodes:
//
//   node client-page.mjs <baseUrl1> <baseUrl2> <room> <room2> <jwtSecret> <screenshotPath>
//
// Page A opens the demo page on node 1 and joins <room> as Alice (SockJS, the page's default).
// Page B opens the demo page on node 2, removes window.SockJS, and makes its own client with
// transport 'websocket' as a moderator of both rooms, with a token function that signs short
// tokens (8 s). Checked:
//  - the websocket transport: B's only connection is the raw /rt/websocket, no /rt/info;
//  - lr.room(id): its listeners get that room's events only; once() fires one time;
//  - moderate('delete') with the item's (epoch, seq): the moderation push carries both, and the
//    demo page A removes that item from its chat list and video;
//  - moderate('pin') / 'unpin': the push carries epoch, seq and the item; page A shows the pinned item;
//  - token refresh: B's client sends `refresh` with a new token from the function before the
//    first token's exp; the server accepts it and the connection stays open past that exp.
// Each check is printed as "ok" or "FAIL"; checks tagged [pin-epoch] or [token-life] need those
// server branches (the delete/pin push with epoch and item; the refresh op). Exits 1 if any failed.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { usePackedClient, VERSION } from './packed-client.mjs';

const [url1, url2, room, room2, secret, shot] = process.argv.slice(2);
if (!shot) {
  console.error('usage: node client-page.mjs <baseUrl1> <baseUrl2> <room> <room2> <jwtSecret> <screenshotPath>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_MS = 10_000;
const TOKEN_LIFE_S = 8;
const started = Date.now();

const watchdog = setTimeout(() => {
  console.error('FAIL: the run took longer than 75 s');
  process.exit(1);
}, 75_000);

function log(msg) {
  console.log(`[client-page +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

const results = [];
/** A check that is recorded and reported, so one failure does not hide the others. */
function check(cond, what, needs) {
  const tag = needs ? ` [${needs}]` : '';
  results.push({ ok: !!cond, what: what + tag });
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}${tag}`);
  return !!cond;
}

class Fatal extends Error {}
function must(cond, msg) {
  if (!cond) {
    throw new Fatal(msg);
  }
}

function b64url(s) {
  return Buffer.from(s).toString('base64url');
}

/** An HS256 token for the moderator of both rooms, living TOKEN_LIFE_S seconds. */
const issued = [];
function moderatorToken() {
  const exp = Math.floor(Date.now() / 1000) + TOKEN_LIFE_S;
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub: 'mod-1', name: 'Mod', exp, rooms: { [room]: 'moderator', [room2]: 'moderator' } }));
  const token = head + '.' + body + '.' + createHmac('sha256', secret).update(head + '.' + body).digest('base64url');
  issued.push({ token, exp: exp * 1000, at: Date.now() });
  return token;
}

const profile = mkdtempSync(join(tmpdir(), 'liveroom-chromium-'));
let context = null;
const problems = [];

function watchConsole(page, label) {
  page.on('pageerror', (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text()) && !/Failed to load resource.*404/.test(m.text())) {
      problems.push(`${label}: console error: ${m.text()}`);
    }
  });
}

async function openDemoAndJoin(base, name) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  watchConsole(page, 'page A');
  const resp = await page.goto(base + '/?room=' + encodeURIComponent(room), { waitUntil: 'load' });
  must(resp && resp.ok(), `page A: GET ${base}/ answered ${resp && resp.status()}`);
  await page.fill('#name', name);
  await page.fill('#secret', secret);
  await page.fill('#room', room);
  await page.click('#join');
  try {
    await page.waitForSelector('#send:not([disabled])');
  } catch (e) {
    throw new Fatal(`page A did not join ${room}: ${await page.textContent('#notice').catch(() => '?')}`);
  }
  log(`page A joined ${room} on ${base} as ${await page.textContent('#who')}`);
  return page;
}

async function typeAndSend(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

/** Waits for a condition in the page; false (not a throw) when it does not come within ms. */
async function within(page, fn, arg, ms = STEP_MS) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
    return true;
  } catch (e) {
    return false;
  }
}

async function main() {
  mkdirSync(dirname(shot), { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    viewport: { width: 1280, height: 820 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await usePackedClient(context);
  log(`chromium started; the client is the packed @liveroom/client ${VERSION}`);

  const a = await openDemoAndJoin(url1, 'Alice');

  // page B: its own client on the raw WebSocket, every frame observed
  const b = await context.newPage();
  b.setDefaultTimeout(STEP_MS);
  watchConsole(b, 'page B');
  const sockets = [];
  const sent = [];
  const received = [];
  const infoRequests = [];
  b.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('framesent', (f) => sent.push({ at: Date.now(), msg: JSON.parse(f.payload) }));
    ws.on('framereceived', (f) => received.push({ at: Date.now(), msg: JSON.parse(f.payload) }));
  });
  b.on('request', (r) => {
    if (/\/rt\/info/.test(r.url())) {
      infoRequests.push(r.url());
    }
  });
  await b.exposeFunction('moderatorToken', moderatorToken);
  must((await b.goto(url2 + '/', { waitUntil: 'load' })).ok(), 'page B: the demo page did not load');
  const hello = await b.evaluate(async ([r1, r2]) => {
    window.SockJS = undefined; // the websocket transport needs no SockJS
    const t = window.t = { all: [], sub1: [], sub2: [], once: [], onceRoom: [], mods: [], refresh: [], refreshErrors: [], errors: [] };
    const lr = window.lr = new Liveroom({ url: location.origin, transport: 'websocket', token: () => window.moderatorToken() });
    const brief = (d) => ({ room: d.room, epoch: d.epoch, seq: d.seq, text: d.text });
    lr.on('danmaku', (d) => t.all.push(brief(d)));
    lr.once('danmaku', (d) => t.once.push(d.text));
    lr.on('refresh', (x) => t.refresh.push(x.exp));
    lr.on('refresherror', (e) => t.refreshErrors.push(e.code + ': ' + e.message));
    lr.on('error', (e) => t.errors.push(e.code + ': ' + e.message));
    const a1 = lr.room(r1);
    const a2 = lr.room(r2);
    a1.on('danmaku', (d) => t.sub1.push(brief(d)));
    a1.once('danmaku', (d) => t.onceRoom.push(d.text));
    a1.on('moderation', (m) => t.mods.push(m));
    a2.on('danmaku', (d) => t.sub2.push(brief(d)));
    const h = await lr.connect();
    await a1.join({ history: false });
    await a2.join({ history: false });
    return { user: h.user.id, transport: lr.transport, exp: lr.tokenExpMs, same: lr.room(r1) === a1, joined: a1.joined && a2.joined };
  }, [room, room2]);
  log(`page B: ${hello.user} joined ${room} and ${room2} over ${hello.transport}`);
  const firstExp = hello.exp;

  // the websocket transport
  check(sockets.length === 1 && /\/rt\/websocket$/.test(sockets[0]),
    `page B's only connection is the raw WebSocket /rt/websocket (${sockets.join(', ')})`);
  check(infoRequests.length === 0, `page B made no SockJS request (/rt/info: ${infoRequests.length})`);
  check(hello.same && hello.joined, 'lr.room(id) returns one object per room, joined through it');
  check(firstExp === issued[0].exp, 'the client read exp from the token function\'s token');

  // room subscriptions and once()
  const first = `first ${Date.now().toString(36)}`;
  const second = `second ${Date.now().toString(36)}`;
  const other = `other room ${Date.now().toString(36)}`;
  await typeAndSend(a, first);
  await within(b, (txt) => window.t.sub1.some((d) => d.text === txt), first);
  await typeAndSend(a, second);
  await b.evaluate(([r2, txt]) => window.lr.send(r2, { text: txt }), [room2, other]);
  const got = await within(b, () => window.t.all.length >= 3);
  const t = await b.evaluate(() => window.t);
  check(got, `page B got three items (${t.all.map((d) => d.room + '#' + d.seq).join(', ')})`);
  check(t.sub1.length === 2 && t.sub1.every((d) => d.room === room) && t.sub1[0].text === first && t.sub1[1].text === second,
    `lr.room('${room}').on('danmaku') got its two items only`);
  check(t.sub2.length === 1 && t.sub2[0].text === other, `lr.room('${room2}').on('danmaku') got its one item only`);
  check(t.once.length === 1 && t.onceRoom.length === 1 && t.onceRoom[0] === first,
    `once() fired one time (client: ${t.once.length}, room: ${t.onceRoom.length})`);
  const del = t.sub1[0];
  const keep = t.sub1[1];
  check(typeof del.epoch === 'number' && typeof del.seq === 'number', `items carry epoch and seq (${del.epoch}, ${del.seq})`);

  // moderate delete by (epoch, seq): the demo page A removes that item
  const itemSel = (d) => `#chat li[data-epoch="${d.epoch}"][data-seq="${d.seq}"]`;
  check(await within(a, (sel) => !!document.querySelector(sel), itemSel(del)),
    `page A shows the item to delete as ${itemSel(del)}`);
  const delReply = await b.evaluate(([r, d]) => window.lr.moderate(r, 'delete', d).catch((e) => ({ error: e.code + ': ' + e.message })), [room, del]);
  check(delReply && delReply.ok === true, `moderate(room, 'delete', {epoch, seq}) resolved (${JSON.stringify(delReply)})`);
  const delFrame = sent.find((f) => f.msg.op === 'moderate' && f.msg.action === 'delete');
  check(delFrame && delFrame.msg.epoch === del.epoch && delFrame.msg.seq === del.seq, 'the delete command carried epoch and seq');
  await within(b, () => window.t.mods.some((m) => m.action === 'delete'), null, 5000);
  const delPush = (await b.evaluate(() => window.t.mods)).find((m) => m.action === 'delete');
  check(delPush && delPush.epoch === del.epoch && delPush.seq === del.seq,
    `the delete push carries the item's epoch and seq (${JSON.stringify(delPush)})`, 'pin-epoch');
  const removed = await within(a, (sel) => !document.querySelector(sel.chat) && !document.querySelector(sel.dm),
    { chat: itemSel(del), dm: `.dm[data-epoch="${del.epoch}"][data-seq="${del.seq}"]` }, 5000);
  check(removed, 'page A removed the deleted item (epoch and seq) from its chat list and video', 'pin-epoch');
  check(await a.evaluate((sel) => !!document.querySelector(sel), itemSel(keep)), 'page A still shows the other item');

  // pin and unpin
  const pinReply = await b.evaluate(([r, d]) => window.lr.room(r).moderate('pin', d).catch((e) => ({ error: e.code + ': ' + e.message })), [room, keep]);
  check(pinReply && pinReply.ok === true, `room.moderate('pin', {epoch, seq}) resolved (${JSON.stringify(pinReply)})`);
  const pinShown = await within(a, (txt) => {
    const p = document.getElementById('pinned');
    return p && !p.hidden && p.querySelector('.text') && p.querySelector('.text').textContent === txt;
  }, keep.text, 5000);
  check(pinShown, 'page A shows the pinned item', 'pin-epoch');
  const pinned = await b.evaluate((r) => window.lr.room(r).pinned, room);
  check(pinned && pinned.epoch === keep.epoch && pinned.seq === keep.seq && pinned.text === keep.text,
    `lr.room(id).pinned is the item with its epoch (${JSON.stringify(pinned)})`, 'pin-epoch');
  await a.screenshot({ path: shot });
  const unpinReply = await b.evaluate((r) => window.lr.moderate(r, 'unpin').catch((e) => ({ error: e.code })), room);
  check(unpinReply && unpinReply.ok === true, 'moderate(room, \'unpin\') resolved');
  check(await within(a, () => document.getElementById('pinned').hidden, null, 5000), 'page A hides the pinned item after unpin');

  // token refresh: sent before the first token's exp, with a new token from the function
  const waitMs = Math.max(0, firstExp - Date.now() + 1500);
  log(`waiting ${waitMs} ms, past the first token's exp (${new Date(firstExp).toISOString()})`);
  await new Promise((r) => setTimeout(r, waitMs));
  const refresh = sent.find((f) => f.msg.op === 'refresh');
  check(refresh && refresh.at < firstExp,
    `page B sent refresh before exp (${refresh ? firstExp - refresh.at + ' ms before' : 'none sent'})`);
  check(refresh && refresh.msg.token !== issued[0].token && issued.some((i) => i.token === refresh.msg.token),
    `the refresh carried a new token from the function (${issued.length} issued)`);
  const reply = refresh && received.find((f) => f.msg.id === refresh.msg.id);
  check(reply && reply.msg.ok === true && typeof reply.msg.exp === 'number',
    `the server accepted the refresh (${reply ? JSON.stringify(reply.msg) : 'no reply'})`, 'token-life');
  const after = await b.evaluate(async () => ({
    status: window.lr.status, refresh: window.t.refresh, errors: window.t.refreshErrors,
    ping: await window.lr.ping().then((p) => p.ts > 0, (e) => e.code)
  }));
  check(after.refresh.length >= 1 && after.errors.length === 0,
    `'refresh' event, no 'refresherror' (${JSON.stringify(after.errors)})`, 'token-life');
  check(after.status === 'open' && after.ping === true && sockets.length === 1
    && !received.some((f) => f.msg.push === 'bye'),
    `page B's connection stayed open past the first token's exp (status ${after.status}, ${sockets.length} connection(s))`, 'token-life');

  check(problems.length === 0, `no page errors (${problems.join('; ')})`);
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error('FAIL: ' + (e instanceof Fatal ? e.message : e.stack || e));
  code = 1;
} finally {
  clearTimeout(watchdog);
  if (context) {
    await context.close().catch(() => {});
  }
  rmSync(profile, { recursive: true, force: true });
}
const failed = results.filter((r) => !r.ok);
if (failed.length) {
  console.error(`FAIL: ${failed.length} of ${results.length} checks failed:\n  ` + failed.map((r) => r.what).join('\n  '));
  code = 1;
} else if (code === 0) {
  console.log(`PASS: ${results.length} checks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(code);
