/**
 * bench/channel-priority.ts --marks, in Chromium (dcSCTP): two peer
 * connections in one headless page, a bulk channel kept under a mark and a
 * small-message channel beside it; the one-way wait of 16-byte messages (one
 * page: one clock). Does Chromium's `bufferedAmount` read 0 while its SCTP
 * stack still holds data ahead of the next message, as @roamhq/wrtc's does?
 * The console sends files from Chromium, so its pacing rests on the answer.
 *
 *   npx tsx bench/channel-queue-chromium.ts [messages=200]
 */
import puppeteer from 'puppeteer-core';
import { median, p99 } from './lib/stats.ts';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

/** Runs in the page (a string: tsx would inject `__name` into a function). */
const PAGE_SCRIPT = `
window.measure = async (messages, mark, byAcks) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const mk = (pc, label, id) => pc.createDataChannel(label, { negotiated: true, id, ordered: true });
  const bulkA = mk(a, 'bulk', 1), bulkB = mk(b, 'bulk', 1), smallA = mk(a, 'small', 2), smallB = mk(b, 'small', 2);
  bulkB.binaryType = 'arraybuffer';
  await a.setLocalDescription(await a.createOffer());
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription);
  for (let i = 0; i < 500 && (smallA.readyState !== 'open' || bulkA.readyState !== 'open'); i++) await sleep(10);
  let received = 0;
  bulkB.onmessage = (e) => (received += e.data.byteLength);
  let waiting = null;
  smallB.onmessage = () => waiting && waiting(performance.now());
  const ping = async () => {
    const t = performance.now();
    const arrived = new Promise((r) => (waiting = r));
    smallA.send('0123456789abcdef');
    const at = await Promise.race([arrived, sleep(2000).then(() => NaN)]);
    waiting = null;
    return at - t;
  };
  const idle = [];
  for (let i = 0; i < messages; i++) { idle.push(await ping()); await sleep(5); }
  let pumping = true, sent = 0;
  const chunk = new Uint8Array(64 * 1024);
  const pump = (async () => {
    while (pumping) {
      // byAcks: what the receiver has not yet got (as acks tell a file sender) stays under the mark, not bufferedAmount.
      while (pumping && (byAcks ? sent - received : bulkA.bufferedAmount) < mark) {
        bulkA.send(chunk);
        sent += chunk.byteLength;
      }
      await sleep(1);
    }
  })();
  await sleep(500);
  const t0 = performance.now(), r0 = received;
  const loaded = [];
  for (let i = 0; i < messages; i++) { loaded.push(await ping()); await sleep(5); }
  const mbps = (received - r0) / 1e6 / ((performance.now() - t0) / 1000);
  pumping = false;
  await pump;
  a.close(); b.close();
  return { idle, loaded, mbps };
};`;

const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
try {
  const page = await browser.newPage();
  await page.setContent('<!doctype html><title>queue</title>');
  await page.evaluate(PAGE_SCRIPT);
  const messages = Number(process.argv[2] ?? 200);
  const KiB = 1024;
  for (const [mark, byAcks] of [[1, false], [64 * KiB, false], [128 * KiB, false], [1024 * KiB, false], [64 * KiB + 1, true], [128 * KiB, true]] as const) {
    const r = (await page.evaluate(`window.measure(${messages}, ${mark}, ${byAcks})`)) as { idle: number[]; loaded: number[]; mbps: number };
    const ok = (xs: number[]): number[] => xs.filter((x) => Number.isFinite(x));
    console.log(
      `bulk kept under ${mark} bytes ${byAcks ? 'not yet received' : 'buffered'} (${r.mbps.toFixed(1)} MB/s): small message median ${median(ok(r.loaded)).toFixed(2)} ms p99 ${p99(ok(r.loaded)).toFixed(2)} ms ` +
        `(idle median ${median(ok(r.idle)).toFixed(2)} ms p99 ${p99(ok(r.idle)).toFixed(2)} ms)`,
    );
  }
} finally {
  await browser.close();
}
process.exit(0);
