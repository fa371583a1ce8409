// The admin page (/admin/) end to end in Chromium, against a real node.
//
//   node admin-page.mjs <baseUrl> <apiKey> <jwtSecret> <liveRoom> <otherRoom> <screenshotPath>
//
// <liveRoom> is live and <otherRoom> only created (AdminPageIT makes both over REST). A user joins
// <liveRoom> with the packed @liveroom/client over SockJS (sockjs-client, in this process) and sends three
// messages, one of them markup. Then, in the page: a wrong key shows the refusal; the right key
// shows the cluster figures, refreshing, and the rooms, filtered by state; the live room opens,
// with its title, its member and its messages shown as text. The page deletes a message (REST no
// longer returns it), pins one (the audit log has it), mutes the user (the audit log has it and
// the user's next send is refused), shows a refused action's error, sets slow mode (REST has it)
// and ends the room after a confirm (REST says ended; the user gets `closed`). Every step runs
// even when one fails; exits 0 when all passed, else 1 with a "FAIL: ..." line per failed step.
// Bounded at 80 s.
// Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH); playwright-core downloads none.
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Liveroom } from '@liveroom/client'; // the package `npm pack` built in clients/js

const [base, apiKey, secret, room, otherRoom, shot] = process.argv.slice(2);
if (!shot) {
  console.error('usage: node admin-page.mjs <baseUrl> <apiKey> <jwtSecret> <liveRoom> <otherRoom> <screenshotPath>');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const SockJS = require('sockjs-client');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_MS = 10_000; // any one wait
const USER = { id: 'viewer-1', name: 'Vic <i>the viewer</i>' };
const TEXTS = ['first message', '<img src=x id=injected> & <b>bold</b>', 'third message'];
const started = Date.now();

const failures = [];
const watchdog = setTimeout(() => {
  failures.forEach((f) => console.error('FAIL: ' + f));
  console.error('FAIL: the run took longer than 80 s');
  process.exit(1);
}, 80_000);

function log(msg) {
  console.log(`[admin-page +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

class Failure extends Error {}
function check(cond, msg) {
  if (!cond) {
    throw new Failure(msg);
  }
}

/** Runs one step; a failure is recorded and the next steps still run. */
async function step(name, fn) {
  try {
    await fn();
    log('ok: ' + name);
  } catch (e) {
    failures.push(`${name}: ${e instanceof Failure ? e.message : e.stack || e}`);
    log('FAILED: ' + name);
  }
}

function jwt(sub, name) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = enc({ alg: 'HS256', typ: 'JWT' }) + '.' + enc({ sub, name, exp: Math.floor(Date.now() / 1000) + 600 });
  return body + '.' + createHmac('sha256', secret).update(body).digest('base64url');
}

async function rest(method, path) {
  const r = await fetch(base + '/api/v1' + path, { method, headers: { Authorization: 'Bearer ' + apiKey } });
  const json = await r.json();
  check(r.ok, `${method} ${path} answered ${r.status} ${JSON.stringify(json)}`);
  return json;
}

async function until(what, probe, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) {
      return last;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Failure(`timed out waiting for ${what}`);
}

const profile = mkdtempSync(join(tmpdir(), 'liveroom-chromium-'));
let context = null;
const problems = [];
const user = new Liveroom({ url: base, token: jwt(USER.id, USER.name), SockJS, transports: ['websocket'] });
const closedPushes = [];
user.on('closed', (c) => closedPushes.push(c));

try {
  await user.connect();
  await user.join(room);
  const seqs = [];
  for (const text of TEXTS) {
    seqs.push((await user.send(room, { text })).seq);
  }
  log(`user ${USER.id} joined ${room} and sent seqs ${seqs.join(', ')}`);

  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 20_000,
    viewport: { width: 1280, height: 1400 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => problems.push(`uncaught ${e.message}`));
  page.on('console', (m) => {
    // the API's error answers (the wrong key, a refused action, a route a node lacks) are expected
    // and shown in the page; anything else, such as a CSP refusal, is a problem
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  await step('GET /admin redirects to the page, which asks for a key', async () => {
    const resp = await page.goto(base + '/admin', { waitUntil: 'load' });
    check(resp && resp.ok(), `GET /admin answered ${resp && resp.status()}`);
    check(page.url() === base + '/admin/', `landed on ${page.url()}`);
    check(/frame-ancestors 'none'/.test((await resp.headerValue('content-security-policy')) || ''),
      'the page is served with its Content-Security-Policy header');
    await page.locator('#login').waitFor({ state: 'visible' });
    check(await page.locator('#app').isHidden(), 'the app is hidden before a key is given');
  });

  await step('a wrong key shows the refusal and stays on the key form', async () => {
    await page.fill('#api-key', 'not-the-key');
    await page.click('#login-form button[type=submit]');
    const error = page.locator('#login-error');
    await error.waitFor({ state: 'visible' });
    const text = await error.textContent();
    check(/refused this key/.test(text) && /UNAUTHORIZED/.test(text), `login error says: ${text}`);
    check(await page.locator('#app').isHidden(), 'the app stays hidden');
    check(await page.evaluate(() => sessionStorage.length) === 0, 'a refused key is not kept');
  });

  await step('the right key shows the cluster figures, refreshing', async () => {
    await page.fill('#api-key', apiKey);
    await page.click('#login-form button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible' });
    check(await page.locator('#login').isHidden(), 'the key form is gone');
    const figure = (name) => page.locator(`[data-figure="${name}"]`).textContent();
    await until('the cluster figures', async () => (await page.locator('[data-figure]').count()) === 8);
    check(await figure('members') === '1', `nodes: ${await figure('members')}`);
    check(Number(await figure('rooms')) >= 2, `rooms: ${await figure('rooms')}`);
    await until('a connection in the figures', async () => Number(await figure('connections')) >= 1);
    await until('a hot room in the figures', async () => Number(await figure('roomsHot')) >= 1);
    check(/^\d+ \/ \d+$/.test(await figure('partitions')), `partitions: ${await figure('partitions')}`);
    check(await page.locator('#nodes-table tbody tr').count() === 1, 'one row per node');
    const first = await page.textContent('#cluster-updated');
    await until('the next refresh of the figures', async () => (await page.textContent('#cluster-updated')) !== first,
      5000);
    check(await page.locator('#cluster-error').isHidden(), 'no error in the cluster section');
  });

  await step('the room directory lists both rooms and filters by state', async () => {
    const table = page.locator('#rooms-table');
    await until('both rooms in the list', async () => {
      const text = (await table.count()) ? await table.textContent() : '';
      return text.includes(room) && text.includes(otherRoom);
    });
    await page.selectOption('#rooms-state', 'live');
    await page.click('#rooms-filter button[type=submit]');
    await until('only live rooms', async () => !(await table.textContent()).includes(otherRoom));
    check((await table.textContent()).includes(room), 'the live room is listed under state=live');
    await page.selectOption('#rooms-state', 'created');
    await page.click('#rooms-filter button[type=submit]');
    await until('only created rooms', async () => !(await table.textContent()).includes(room));
  });

  await step('a room opens by id, its title shown as text', async () => {
    await page.fill('#open-room-id', room);
    await page.click('#open-room button[type=submit]');
    await page.locator('#room').waitFor({ state: 'visible' });
    check(await page.locator('#rooms').isHidden(), 'the directory is hidden while a room is open');
    const title = await rest('GET', `/rooms/${room}`).then((r) => r.title);
    await until('the room title', async () => (await page.textContent('#room-title')) === title);
    check(await page.locator('#room-title b').count() === 0, 'markup in the title is not rendered');
    check((await page.textContent('#room-state')) === 'live', 'state live');
  });

  await step('the member is listed (GET /rooms/{id}/members)', async () => {
    await until('the member row', async () => {
      const rows = page.locator('#members-table tbody tr');
      return (await rows.count()) === 1 && (await rows.first().textContent()).includes(USER.id);
    });
    check((await page.textContent('#members-table')).includes(USER.name), 'the member name, as text');
    check(await page.locator('#members-table i').count() === 0, 'markup in the name is not rendered');
  });

  await step('the messages are listed newest first, as text', async () => {
    const rows = page.locator('#messages-table tbody tr');
    await until('three messages', async () => (await rows.count()) === 3);
    check((await rows.first().textContent()).includes(TEXTS[2]), 'newest first');
    check((await page.textContent('#messages-table')).includes(TEXTS[1]), 'the markup message shown as text');
    check(await page.locator('#injected').count() === 0 && await page.locator('#messages-table b').count() === 0,
      'markup in a message is not rendered');
  });

  await step('a message is deleted from the page and REST no longer returns it', async () => {
    await page.click(`#messages-table button[data-seq="${seqs[0]}"]`);
    await until('the delete outcome', async () => /delete \d+: done/.test(await page.textContent('#room-messages .note')));
    await until('the row gone', async () => (await page.locator('#messages-table tbody tr').count()) === 2);
    const history = await rest('GET', `/rooms/${room}/messages`);
    check(!history.items.some((i) => i.seq === seqs[0]), `seq ${seqs[0]} still in ${JSON.stringify(history.items)}`);
    check(history.items.length === 2, `${history.items.length} items left`);
  });

  await step('a message is pinned from the page and the audit log has it', async () => {
    await page.locator('#messages-table tbody tr').first().getByRole('button', { name: 'Pin' }).click();
    await until('the pin outcome', async () =>
      (await page.textContent('#room-messages .note')) === `pin ${seqs[2]}: done`);
    const log = await rest('GET', `/rooms/${room}/moderation/log`);
    check(log.entries.some((e) => e.action === 'pin' && e.seq === seqs[2]), `audit log: ${JSON.stringify(log.entries)}`);
  });

  await step('the author is muted from the page: audit log and a refused send', async () => {
    await page.locator('#messages-table tbody tr').first().getByRole('button', { name: 'Mute author' }).click();
    check(await page.inputValue('#mod-action') === 'mute', 'the form is set to mute');
    check(await page.inputValue('#mod-user') === USER.id, 'the form has the user');
    await page.fill('#mod-duration', '600');
    await page.fill('#mod-reason', 'spam');
    await page.click('#moderation-form button[type=submit]');
    await until('the mute outcome', async () => (await page.textContent('#room-moderation .note')) === 'mute: done');
    const log = await rest('GET', `/rooms/${room}/moderation/log`);
    const mute = log.entries.find((e) => e.action === 'mute');
    check(mute && mute.user === USER.id && mute.durationSec === 600 && mute.reason === 'spam' && mute.by === 'api',
      `audit log: ${JSON.stringify(log.entries)}`);
    await until('the mute in the page\'s audit log', async () =>
      (await page.locator('#room-audit tbody tr').first().textContent()).includes('mute'));
    const refused = await user.send(room, { text: 'still here?' }).then(() => null, (e) => e.code);
    check(refused === 'MUTED', `a muted user's send: ${refused}`);
  });

  await step('a refused action shows the API error', async () => {
    await page.selectOption('#mod-action', 'pin');
    await page.fill('#mod-seq', '999999');
    await page.fill('#mod-epoch', '1');
    await page.click('#moderation-form button[type=submit]');
    // BAD_REQUEST where items are addressed by seq alone, NOT_FOUND where by (epoch, seq)
    await until('the error', async () =>
      /^pin: (BAD_REQUEST|NOT_FOUND): .+/.test(await page.textContent('#room-moderation .note')));
  });

  await step('slow mode is set from the settings and REST has it', async () => {
    await page.fill('#set-slowModeSec', '5');
    await page.click('#settings-form button[type=submit]');
    await until('the save outcome', async () =>
      (await page.textContent('#room-head .note')) === 'Save slowModeSec: done');
    check((await rest('GET', `/rooms/${room}`)).slowModeSec === 5, 'slowModeSec 5 over REST');
    await until('the form shows 5', async () => (await page.inputValue('#set-slowModeSec')) === '5');
  });

  await step('the room is ended after a confirm step', async () => {
    await page.click('#end-room');
    const confirm = page.locator('#end-room-confirm');
    await confirm.waitFor({ state: 'visible' });
    check((await rest('GET', `/rooms/${room}`)).state === 'live', 'asking alone does not end the room');
    await confirm.click();
    await until('the end outcome', async () => (await page.textContent('#room-end .note')) === 'End room: done');
    await until('state ended in the page', async () => (await page.textContent('#room-state')) === 'ended');
    check((await rest('GET', `/rooms/${room}`)).state === 'ended', 'state ended over REST');
    await until('the user\'s closed push', async () => closedPushes.some((c) => c.room === room));
  });

  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  log('screenshot ' + shot);
  if (problems.length > 0) {
    failures.push('the page logged problems: ' + problems.join('; '));
  }
} catch (e) {
  failures.push(e instanceof Failure ? e.message : e.stack || String(e));
} finally {
  user.close();
  if (context) {
    await context.close().catch(() => {});
  }
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(watchdog);
}
if (failures.length > 0) {
  failures.forEach((f) => console.error('FAIL: ' + f));
  process.exit(1);
}
log('all steps passed');
process.exit(0);
