// Two browser pages, each on its own node, chat through the demo page.
//
//   node two-pages.mjs <baseUrl1> <baseUrl2> <room> <jwtSecret> <screenshotPath>
//
// Page A opens the demo page of node 1, page B that of node 2; both sign a dev token in the page
// and join <room>. A sends, B must see it in the chat list and on the video; B sends, A must see
// it. Then A sends timed messages and B's page records when each appears: the median is the
// end-to-end latency page to page. Screenshots: <screenshotPath> (page B) and its "-a" sibling
// (page A). Exits 0 on success, 1 with "FAIL: ..." otherwise; the whole run is bounded (55 s).
// Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH); playwright-core downloads none.
import { chromium } from 'playwright-core';
import { usePackedClient, VERSION } from './packed-client.mjs';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const [url1, url2, room, secret, shot] = process.argv.slice(2);
if (!shot) {
  console.error('usage: node two-pages.mjs <baseUrl1> <baseUrl2> <room> <jwtSecret> <screenshotPath>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SAMPLES = Number(process.env.LATENCY_SAMPLES || 15);
const STEP_MS = 10_000; // any one wait
const started = Date.now();

const watchdog = setTimeout(() => {
  console.error('FAIL: the run took longer than 55 s');
  process.exit(1);
}, 55_000);

function log(msg) {
  console.log(`[two-pages +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

class Failure extends Error {}
function check(cond, msg) {
  if (!cond) {
    throw new Failure(msg);
  }
}

const profile = mkdtempSync(join(tmpdir(), 'liveroom-chromium-'));
let context = null;
const problems = [];

async function openPage(label, base, name) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const text = m.text();
      // a missing favicon is not a problem of the page
      if (!/favicon/.test(text) && !/Failed to load resource.*404/.test(text)) {
        problems.push(`${label}: console error: ${text}`);
      }
    }
  });
  const resp = await page.goto(base + '/?room=' + encodeURIComponent(room), { waitUntil: 'load' });
  check(resp && resp.ok(), `${label}: GET ${base}/ answered ${resp && resp.status()}`);
  await page.fill('#name', name);
  await page.fill('#secret', secret);
  await page.fill('#room', room);
  await page.click('#join');
  try {
    await page.waitForSelector('#status[data-status="open"]');
    await page.waitForSelector('#send:not([disabled])');
  } catch (e) {
    const status = await page.textContent('#status').catch(() => '?');
    const notice = await page.textContent('#notice').catch(() => '?');
    throw new Failure(`${label}: did not join ${room} on ${base} (status "${status}", notice "${notice}")`);
  }
  log(`${label}: joined ${room} on ${base} as ${await page.textContent('#who')}`);
  return page;
}

/** Types into the send box like a person and presses Enter. */
async function typeAndSend(page, text, color, mode) {
  await page.fill('#text', text);
  await page.fill('#color', color);
  await page.selectOption('#mode', mode);
  await page.press('#text', 'Enter');
}

/** Waits until `page` shows `text` in the chat list (from `name`) and on the video. */
async function expectShown(page, label, text, name, pinned) {
  try {
    await page.waitForFunction(([t, n]) => Array.from(document.querySelectorAll('#chat li')).some((li) => {
      const tx = li.querySelector('.text');
      const nm = li.querySelector('.name');
      return tx && tx.textContent === t && nm && nm.textContent === n;
    }), [text, name]);
  } catch (e) {
    throw new Failure(`${label} did not show "${text}" from ${name} in its chat list within ${STEP_MS} ms`);
  }
  try {
    await page.waitForFunction(([t, p]) => Array.from(document.querySelectorAll('#danmaku-layer .dm'))
      .some((d) => d.textContent === t && d.classList.contains('pinned') === p), [text, pinned]);
  } catch (e) {
    throw new Failure(`${label} did not show "${text}" on the video area within ${STEP_MS} ms`);
  }
  // user text is text: no element was made of it
  const markup = await page.evaluate(() => document.querySelectorAll('#chat b, #danmaku-layer b, #chat script').length);
  check(markup === 0, `${label}: user text became markup`);
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
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
  log(`chromium ${context.browser() ? context.browser().version() : ''} started; the client is the packed @liveroom/client ${VERSION}`);

  const a = await openPage('page A', url1, 'Alice');
  const b = await openPage('page B', url2, 'Bob');
  const nodeA = await a.textContent('#who');
  const nodeB = await b.textContent('#who');
  check(nodeA !== nodeB, `both pages are on the same node: ${nodeA}`);

  // A -> B and B -> A, typed like a person
  const hello = `Hello from A <b>${Date.now().toString(36)}</b>`;
  await typeAndSend(a, hello, '#ff5500', 'scroll');
  await expectShown(b, 'page B', hello, 'Alice', false);
  await expectShown(a, 'page A (own echo)', hello, 'Alice', false);
  log('page B shows A\'s danmaku in the chat list and on the video');
  const reply = `Reply from B ${Date.now().toString(36)}`;
  await typeAndSend(b, reply, '#33ccff', 'top');
  await expectShown(a, 'page A', reply, 'Bob', true);
  log('page A shows B\'s danmaku (pinned top) in the chat list and on the video');
  const colour = await a.evaluate((t) => {
    const d = Array.from(document.querySelectorAll('#danmaku-layer .dm')).find((x) => x.textContent === t);
    return d && getComputedStyle(d).color;
  }, reply);
  check(colour === 'rgb(51, 204, 255)', `page A shows B's danmaku in ${colour}, not #33ccff`);

  // latency: the time from A's submit to the moment B's chat list has the line
  await b.evaluate(() => {
    window.__seen = {};
    new MutationObserver((records) => {
      const t = performance.timeOrigin + performance.now();
      for (const r of records) {
        r.addedNodes.forEach((n) => {
          const tx = n.querySelector && n.querySelector('.text');
          if (tx && !(tx.textContent in window.__seen)) {
            window.__seen[tx.textContent] = t;
          }
        });
      }
    }).observe(document.getElementById('chat'), { childList: true });
  });
  const samples = [];
  const colors = ['#ffffff', '#ffd400', '#7cfc00', '#ff69b4', '#00e5ff'];
  for (let i = 0; i < SAMPLES; i++) {
    const text = `timed ${i + 1}/${SAMPLES} from A`;
    const mode = i % 7 === 3 ? 'bottom' : 'scroll';
    const sentAt = await a.evaluate(([t, c, m]) => {
      document.getElementById('text').value = t;
      document.getElementById('color').value = c;
      document.getElementById('mode').value = m;
      const at = performance.timeOrigin + performance.now();
      document.getElementById('send-form').requestSubmit();
      return at;
    }, [text, colors[i % colors.length], mode]);
    let seenAt;
    try {
      seenAt = await (await b.waitForFunction((t) => window.__seen[t], text, { polling: 'raf' })).jsonValue();
    } catch (e) {
      throw new Failure(`page B did not show "${text}" within ${STEP_MS} ms`);
    }
    samples.push(seenAt - sentAt);
    await a.waitForTimeout(200); // the server allows 5 sends a second per connection (burst 10)
  }
  const rounded = samples.map((x) => Math.round(x * 10) / 10);
  log(`latency page A (node 1) -> page B (node 2), ${samples.length} messages, ms: ${rounded.join(' ')}`);
  console.log(`LATENCY_MS median=${median(samples).toFixed(1)} min=${Math.min(...samples).toFixed(1)} ` +
    `max=${Math.max(...samples).toFixed(1)} n=${samples.length}`);

  // a few more from B so page A's stage has both users' danmaku; then the pictures
  await typeAndSend(b, 'bottom line from Bob', '#7cfc00', 'bottom');
  await typeAndSend(b, 'Bob scrolls by: ünïcödé ✓', '#ffffff', 'scroll');
  await expectShown(a, 'page A', 'Bob scrolls by: ünïcödé ✓', 'Bob', false);
  await b.waitForTimeout(600);
  check(Number(await b.textContent('#online')) >= 2, 'page B shows fewer than 2 online');
  await b.screenshot({ path: shot, fullPage: true });
  await a.screenshot({ path: shot.replace(/(\.png)?$/, '-a.png'), fullPage: true });
  log(`screenshots: ${shot} (page B), ${shot.replace(/(\.png)?$/, '-a.png')} (page A)`);
  check(problems.length === 0, 'problems on the pages:\n  ' + problems.join('\n  '));
}

let code = 0;
try {
  await main();
  log('OK');
} catch (e) {
  code = 1;
  console.error('FAIL: ' + (e instanceof Failure ? e.message : (e && e.stack) || e));
  if (problems.length) {
    console.error('page problems:\n  ' + problems.join('\n  '));
  }
} finally {
  if (context) {
    await Promise.race([context.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  }
  rmSync(profile, { recursive: true, force: true });
  clearTimeout(watchdog);
}
process.exit(code);
