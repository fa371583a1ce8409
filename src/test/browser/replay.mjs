// The demo page replays an ended room: its recording from /vod/ with the danmaku in sync.
//
//   node replay.mjs <baseUrl> <room> <apiKey> <vodFolder> <screenshotPath> <expectedItems>
//
// 1. Makes a ~5 s WebM in Chromium itself (a canvas captureStream() recorded by MediaRecorder, no
//    ffmpeg) and writes it as <vodFolder>/<room>.webm.
// 2. Opens the demo page, fills the Replay panel (room id, empty path: the default <room>.webm)
//    and plays it. A MutationObserver notes, for every danmaku put on the video and every chat
//    line, the video's currentTime at that moment (and the wall clock).
// 3. Checks: all <expectedItems> archived items show, in progress order, each no earlier than its
//    progress and at most 1 s after it by video time (and never before it by wall clock since the
//    video started); with their text, color and mode; as text, not markup. Halfway it pauses the
//    video: flying danmaku must stand still and nothing new may show until it plays again. At the
//    end it seeks back to 1.5 s: the video area and the list clear, and the items from there on
//    show again, on time.
// 4. Screenshot (while paused, danmaku on the video): <screenshotPath>.
// Exits 0 on success, 1 with "FAIL: ..." otherwise; the whole run is bounded (55 s).
import { chromium } from 'playwright-core';
import { usePackedClient, VERSION } from './packed-client.mjs';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const [base, room, apiKey, vodFolder, shot, expectedArg] = process.argv.slice(2);
if (!expectedArg) {
  console.error('usage: node replay.mjs <baseUrl> <room> <apiKey> <vodFolder> <screenshotPath> <expectedItems>');
  process.exit(2);
}
const EXPECTED = Number(expectedArg);
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const VIDEO_MS = 5000;
const LATE_MAX_MS = 1000; // an item shows at most this long (video time) after its progress
const PAUSE_AT_MS = 2500;
const PAUSE_FOR_MS = 800;
const STEP_MS = 15_000;
const started = Date.now();

const watchdog = setTimeout(() => {
  console.error('FAIL: the run took longer than 55 s');
  process.exit(1);
}, 55_000);

function log(msg) {
  console.log(`[replay +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
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

/** Records a WebM of a moving, numbered canvas in the browser; answers its bytes. */
async function makeWebm(page) {
  await page.goto('about:blank');
  const r = await page.evaluate(async (ms) => {
    const c = document.createElement('canvas');
    c.width = 640;
    c.height = 360;
    document.body.appendChild(c);
    const g = c.getContext('2d');
    const mime = ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm']
      .find((m) => MediaRecorder.isTypeSupported(m));
    if (!mime) {
      return { error: 'MediaRecorder supports no video/webm here' };
    }
    const t0 = performance.now();
    const draw = () => {
      const t = performance.now() - t0;
      g.fillStyle = `hsl(${Math.floor(t / 20) % 360}, 45%, 22%)`;
      g.fillRect(0, 0, c.width, c.height);
      g.fillStyle = '#e0457b';
      g.fillRect((t / ms) * (c.width - 60), 300, 60, 24);
      g.fillStyle = '#ffffff';
      g.font = 'bold 64px sans-serif';
      g.fillText((t / 1000).toFixed(1) + ' s', 40, 120);
      g.font = '24px sans-serif';
      g.fillText('liveroom replay test recording', 40, 170);
    };
    draw();
    const timer = setInterval(draw, 33);
    const stream = c.captureStream(30);
    const rec = new MediaRecorder(stream, { mimeType: mime, videoBitsPerSecond: 800_000 });
    const chunks = [];
    rec.ondataavailable = (e) => {
      if (e.data && e.data.size) {
        chunks.push(e.data);
      }
    };
    const stopped = new Promise((res) => { rec.onstop = res; });
    rec.start(250);
    await new Promise((res) => setTimeout(res, ms));
    rec.stop();
    await stopped;
    clearInterval(timer);
    stream.getTracks().forEach((tr) => tr.stop());
    const bytes = new Uint8Array(await new Blob(chunks, { type: 'video/webm' }).arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return { mime, b64: btoa(bin) };
  }, VIDEO_MS + 300);
  check(!r.error, r.error);
  const buf = Buffer.from(r.b64, 'base64');
  check(buf.length > 10_000 && buf.readUInt32BE(0) === 0x1a45dfa3, `the recording is not a WebM (${buf.length} bytes)`);
  return { mime: r.mime, buf };
}

async function main() {
  mkdirSync(dirname(shot), { recursive: true });
  // what the archive has: the expectation
  const res = await fetch(`${base}/api/v1/rooms/${encodeURIComponent(room)}/replay?limit=1000`,
    { headers: { Authorization: 'Bearer ' + apiKey } });
  check(res.status === 200, `GET replay of ${room} answered ${res.status}`);
  const archive = (await res.json()).items;
  check(archive.length === EXPECTED, `the archive has ${archive.length} items, not ${EXPECTED}`);

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

  const rec = await context.newPage();
  const { mime, buf } = await makeWebm(rec);
  const file = join(vodFolder, room + '.webm');
  writeFileSync(file, buf);
  await rec.close();
  log(`recorded ${buf.length} bytes of ${mime} in the browser: ${file}`);

  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => problems.push(`uncaught ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });
  const resp = await page.goto(base + '/', { waitUntil: 'load' });
  check(resp && resp.ok(), `GET ${base}/ answered ${resp && resp.status()}`);
  await page.fill('#api-key', apiKey);
  await page.fill('#replay-room', room);
  await page.fill('#replay-path', ''); // the default: <room>.webm

  // every danmaku put on the video and every chat line, with the video time when it appeared
  await page.evaluate(() => {
    const video = document.getElementById('replay-video');
    const now = () => performance.timeOrigin + performance.now();
    window.__shown = [];
    window.__chat = [];
    window.__play = null;
    video.addEventListener('playing', () => {
      if (!window.__play) {
        window.__play = { wall: now(), vt: video.currentTime * 1000 };
      }
    });
    const note = (list, sel) => (records) => {
      const vt = video.currentTime * 1000;
      const wall = now();
      for (const r of records) {
        r.addedNodes.forEach((n) => {
          if (n.nodeType === 1 && n.matches(sel)) {
            list.push({
              text: (n.querySelector('.text') || n).textContent, progress: Number(n.getAttribute('data-progress')),
              seq: Number(n.getAttribute('data-seq')), vt, wall, pinned: n.classList.contains('pinned'),
              color: getComputedStyle(n).color,
            });
          }
        });
      }
    };
    new MutationObserver(note(window.__shown, '.dm')).observe(document.getElementById('danmaku-layer'), { childList: true });
    new MutationObserver(note(window.__chat, 'li.replayed')).observe(document.getElementById('chat'), { childList: true });
  });

  await page.click('#replay-start');
  check(await page.inputValue('#replay-path') === room + '.webm', 'the recording path did not default to <room>.webm');
  try {
    await page.waitForFunction(() => {
      const v = document.getElementById('replay-video');
      return !v.paused && v.currentTime > 0;
    });
  } catch (e) {
    const notice = await page.textContent('#notice').catch(() => '?');
    const err = await page.evaluate(() => { const v = document.getElementById('replay-video'); return v.error && v.error.message; });
    throw new Failure(`the video did not start playing (notice "${notice}", video error ${err})`);
  }
  check(await page.evaluate(() => document.getElementById('replay-video').currentSrc.endsWith('/vod/' +
    encodeURIComponent(document.getElementById('replay-room').value) + '.webm')), 'the video is not /vod/<room>.webm');
  log('the demo page plays the recording');

  // halfway: pause; what flies must stand still and nothing new may show
  await page.waitForFunction((ms) => document.getElementById('replay-video').currentTime * 1000 >= ms,
    PAUSE_AT_MS, { polling: 'raf' });
  const before = await page.evaluate(async () => {
    const v = document.getElementById('replay-video');
    const paused = new Promise((res) => v.addEventListener('pause', res, { once: true }));
    v.pause();
    // the page stops its danmaku on the 'pause' event (a task later); measure a frame after it
    await paused;
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    return {
      vt: v.currentTime * 1000,
      shown: window.__shown.length,
      xs: Array.from(document.querySelectorAll('#danmaku-layer .dm:not(.pinned)')).map((d) => d.getBoundingClientRect().left),
    };
  });
  await page.waitForTimeout(PAUSE_FOR_MS);
  const after = await page.evaluate(() => ({
    shown: window.__shown.length,
    xs: Array.from(document.querySelectorAll('#danmaku-layer .dm:not(.pinned)')).map((d) => d.getBoundingClientRect().left),
  }));
  check(before.xs.length > 0, `no scrolling danmaku on the video at ${before.vt.toFixed(0)} ms`);
  check(after.shown === before.shown, `danmaku appeared while the video was paused (${before.shown} -> ${after.shown})`);
  check(JSON.stringify(after.xs.map(Math.round)) === JSON.stringify(before.xs.map(Math.round)),
    `flying danmaku moved while paused: ${before.xs.map(Math.round)} -> ${after.xs.map(Math.round)}`);
  await page.screenshot({ path: shot, fullPage: true });
  log(`paused at ${before.vt.toFixed(0)} ms for ${PAUSE_FOR_MS} ms: ${before.xs.length} scrolling danmaku stood still, ` +
    `nothing new showed; screenshot ${shot}`);
  await page.evaluate(() => document.getElementById('replay-video').play());

  try {
    await page.waitForFunction((n) => window.__shown.length >= n && window.__chat.length >= n, EXPECTED,
      { timeout: STEP_MS });
  } catch (e) {
    const n = await page.evaluate(() => window.__shown.length);
    throw new Failure(`only ${n} of ${EXPECTED} danmaku showed on the video`);
  }
  await page.waitForTimeout(300);
  const { shown, chat, play } = await page.evaluate(() => ({ shown: window.__shown, chat: window.__chat, play: window.__play }));
  check(shown.length === EXPECTED, `${shown.length} danmaku showed, expected ${EXPECTED} (duplicates?)`);
  check(chat.length === EXPECTED, `${chat.length} chat lines, expected ${EXPECTED}`);

  // in progress order, each on time by the video's clock
  const wanted = archive.slice().sort((a, b) => a.progress - b.progress || a.seq - b.seq);
  const lines = [];
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i];
    const s = shown[i];
    check(s.text === w.text && s.progress === w.progress,
      `danmaku #${i + 1} on the video is "${s.text}" @${s.progress}, expected "${w.text}" @${w.progress} (progress order)`);
    check(chat[i].text === w.text, `chat line #${i + 1} is "${chat[i].text}", expected "${w.text}"`);
    const late = s.vt - w.progress;
    lines.push(`${String(w.progress).padStart(5)} ms -> shown at video ${s.vt.toFixed(0).padStart(5)} ms (+${late.toFixed(0)})`);
    check(late >= 0, `"${w.text}" showed at video time ${s.vt.toFixed(0)} ms, before its progress ${w.progress} ms`);
    check(late <= LATE_MAX_MS, `"${w.text}" showed at video time ${s.vt.toFixed(0)} ms, ${late.toFixed(0)} ms after its progress`);
    // the wall clock agrees: not before the video had played that long (a pause only makes it later);
    // before it started playing, only items at its start position may show
    const played = Math.max(0, s.wall - play.wall) + play.vt;
    check(played >= w.progress - 100,
      `"${w.text}" showed ${played.toFixed(0)} ms of wall time into the video, before its progress ${w.progress}`);
    check(s.pinned === (w.mode === 'top' || w.mode === 'bottom'), `"${w.text}" (${w.mode}) pinned: ${s.pinned}`);
    if (w.color) {
      const rgb = 'rgb(' + [1, 3, 5].map((k) => parseInt(w.color.slice(k, k + 2), 16)).join(', ') + ')';
      check(s.color === rgb, `"${w.text}" shows in ${s.color}, not ${w.color}`);
    }
  }
  log('video time at which each danmaku showed:\n  ' + lines.join('\n  '));
  const lates = shown.map((s, i) => s.vt - wanted[i].progress);
  console.log(`REPLAY_LATE_MS max=${Math.max(...lates).toFixed(0)} ` +
    `mean=${(lates.reduce((a, b) => a + b, 0) / lates.length).toFixed(0)} n=${lates.length}`);
  // a seek back clears the video area and the list, and replays from the new position
  const SEEK_TO_MS = 1500;
  const seek = await page.evaluate(async (ms) => {
    const v = document.getElementById('replay-video');
    const info = { seekable: v.seekable.length ? [v.seekable.start(0), v.seekable.end(0)] : [], duration: v.duration };
    window.__shown.length = 0;
    window.__chat.length = 0;
    const done = new Promise((res) => v.addEventListener('seeked', res, { once: true }));
    v.currentTime = ms / 1000;
    await Promise.race([done, new Promise((res) => setTimeout(res, 5000))]);
    info.at = v.currentTime * 1000;
    info.left = document.querySelectorAll('#danmaku-layer .dm').length;
    info.chat = Array.from(document.querySelectorAll('#chat li')).map((li) => li.textContent);
    await v.play();
    return info;
  }, SEEK_TO_MS);
  check(seek.left === 0, `${seek.left} danmaku stayed on the video after the seek`);
  check(seek.chat.length === 1 && /^Replay from/.test(seek.chat[0]), `the chat list after the seek: ${JSON.stringify(seek.chat)}`);
  const again = wanted.filter((w) => w.progress >= SEEK_TO_MS);
  try {
    await page.waitForFunction((n) => window.__shown.length >= n, again.length, { timeout: STEP_MS });
  } catch (e) {
    throw new Failure(`after the seek to ${SEEK_TO_MS} ms, ${await page.evaluate(() => window.__shown.length)} of ` +
      `${again.length} danmaku showed again`);
  }
  await page.waitForTimeout(200);
  const reshown = await page.evaluate(() => window.__shown);
  check(reshown.length === again.length, `after the seek ${reshown.length} danmaku showed, expected ${again.length}`);
  again.forEach((w, i) => {
    const s = reshown[i];
    check(s.text === w.text && s.vt >= w.progress && s.vt - w.progress <= LATE_MAX_MS,
      `after the seek, #${i + 1} is "${s.text}" at video ${s.vt.toFixed(0)} ms, expected "${w.text}" at ${w.progress} ms`);
  });
  log(`seek to ${SEEK_TO_MS} ms (${seek.at.toFixed(0)} ms at "seeked"): the video area and list were cleared, then ` +
    reshown.map((s) => `${s.progress}@${s.vt.toFixed(0)}`).join(' '));
  const markup = await page.evaluate(() => document.querySelectorAll('#chat b, #danmaku-layer b, #chat script').length);
  check(markup === 0, 'user text became markup');
  check(problems.length === 0, 'problems on the page:\n  ' + problems.join('\n  '));
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
