/**
 * Glass-to-glass latency: the bench changes the colour of a 64x64 window on
 * the Xvfb screen at known times (after an X round trip, so the server has
 * drawn it); the real agent captures and streams the screen; the real console
 * in headless Chromium samples that region of every presented frame
 * (requestVideoFrameCallback → canvas) and records when each colour first
 * shows. Both clocks are this machine's wall clock (Node's and Chromium's
 * performance.timeOrigin + now), good to about a millisecond.
 * Reference: the capture-only latency of the agent's capturer (ffmpeg
 * x11grab, in this process) for the same colour changes, so the ratio is what
 * encoding, transport, decoding and display add to capture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { FfmpegCapturer } from '../agent/platform/linux-x11/capturer-ffmpeg.ts';
import { openDisplay, xcall, type XConnection } from '../agent/platform/linux-x11/display.ts';
import { spawnAgent } from '../testkit/node-technician.ts';
import { drawRect, samplePixel, startXvfb, yuvOf } from '../testkit/xvfb.ts';
import { treeCpuSeconds } from './lib/proc.ts';
import { median, p99 } from './lib/stats.ts';
import type { BenchRow } from './lib/table.ts';
import { createCode, openConsole, readRecord, waitFirstFrame, type WebBench, startWebBench } from './lib/web-bench.ts';

const GROUP = 'glass to glass';
export const PALETTE = [0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff, 0xff00ff, 0xffffff];
export const MARK = { x: 40, y: 40, size: 64 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const wallNow = (): number => performance.timeOrigin + performance.now();

/** Nearest palette index of an RGB colour, or -1 if nothing is close (a blend between two). */
function classifyRgb(r: number, g: number, b: number): number {
  let best = -1;
  let bestD = 90 * 90 * 3;
  PALETTE.forEach((c, i) => {
    const d = (r - ((c >> 16) & 255)) ** 2 + (g - ((c >> 8) & 255)) ** 2 + (b - (c & 255)) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

export function classifyYuv(y: number, u: number, v: number): number {
  let best = -1;
  let bestD = 40 * 40 * 3;
  PALETTE.forEach((c, i) => {
    const [py, pu, pv] = yuvOf(c);
    const d = (y - py) ** 2 + (u - pu) ** 2 + (v - pv) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

/** Changes the marker's colour `count` times, 100–133 ms apart; returns [wall ms when drawn, palette index]. */
export async function drawMarks(x: XConnection, win: number, count: number): Promise<Array<[number, number]>> {
  const drawn: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const colour = i % PALETTE.length;
    const before = wallNow();
    x.client.ChangeWindowAttributes(win, { backgroundPixel: PALETTE[colour] });
    x.client.ClearArea(win, 0, 0, 0, 0, 0);
    await xcall((cb) => x.client.GetInputFocus(cb));
    drawn.push([(before + wallNow()) / 2, colour]);
    await sleep(100 + Math.random() * 33);
  }
  return drawn;
}

/**
 * Matches observed colour changes [wall ms, palette index] to draws in order; returns latencies.
 * Any 7 consecutive draws have distinct colours, so a change matches at most one of the next 7 draws;
 * a draw that was never shown (overwritten before a frame carried it) is skipped.
 */
export function match(drawn: Array<[number, number]>, seen: Array<[number, number]>): number[] {
  const out: number[] = [];
  let j = 0;
  for (const [at, colour] of seen) {
    for (let k = j; k < Math.min(drawn.length, j + PALETTE.length); k++) {
      const d = drawn[k]!;
      if (d[1] === colour && d[0] < at) {
        out.push(at - d[0]);
        j = k + 1;
        break;
      }
    }
  }
  return out;
}

/** Capture-only latency: the agent's capturer in this process, colour changes to the frame callback. */
async function captureOnly(display: string, width: number, height: number, x: XConnection, win: number, count: number): Promise<number[]> {
  const capturer = new FfmpegCapturer(display);
  const seen: Array<[number, number]> = [];
  let last = -2;
  const screen = { id: 'bench', name: 'bench', x: 0, y: 0, width, height, primary: true };
  await capturer.start(screen, { fps: 30 }, (frame) => {
    const at = wallNow();
    const [y, u, v] = samplePixel(frame.data, frame.width, frame.height, MARK.x + MARK.size / 2, MARK.y + MARK.size / 2);
    const c = classifyYuv(y, u, v);
    if (c >= 0 && c !== last) seen.push([at, c]);
    last = c;
  });
  try {
    await sleep(500);
    const drawn = await drawMarks(x, win, count);
    await sleep(300);
    return match(drawn, seen);
  } finally {
    await capturer.stop();
  }
}

async function inboundVideo(page: Page): Promise<{ bytes: number; decoded: number; at: number }> {
  return page.evaluate(async () => {
    // The console keeps its peer connection inside the model (runtime fields, not an API): good enough for a bench.
    const app = document.querySelector('rr-console-app') as unknown as { model: { tabs: Array<{ peer?: { pc: RTCPeerConnection } }> } };
    const pc = app.model.tabs.find((t) => t.peer)?.peer?.pc;
    if (!pc) return { bytes: Number.NaN, decoded: Number.NaN, at: performance.now() };
    const stats = await pc.getStats();
    for (const s of stats.values()) {
      const r = s as { type: string; kind?: string; bytesReceived?: number; framesDecoded?: number };
      if (r.type === 'inbound-rtp' && r.kind === 'video') return { bytes: r.bytesReceived ?? 0, decoded: r.framesDecoded ?? 0, at: performance.now() };
    }
    return { bytes: Number.NaN, decoded: Number.NaN, at: performance.now() };
  });
}

async function oneResolution(bench: WebBench, width: number, height: number, count: number): Promise<BenchRow[]> {
  const label = `${width}x${height}`;
  const xvfb = await startXvfb(width, height);
  const x = await openDisplay(xvfb.display);
  // Something moving elsewhere on the screen, so the encoder works as with a real desktop.
  const mover = drawRect(x, 0, height - 300, 400, 250, 0x2288cc);
  const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
  let n = 0;
  const animation = setInterval(() => {
    n++;
    x.client.MoveWindow(mover, 200 + ((n * 37) % (width - 700)), height - 300 - ((n * 23) % 200));
    x.client.ChangeWindowAttributes(mover, { backgroundPixel: (n * 0x10203) & 0xffffff });
    x.client.ClearArea(mover, 0, 0, 0, 0, 0);
  }, 33);
  const downloads = mkdtempSync(join(tmpdir(), 'rr-bench-g2g-'));
  const ctx = await bench.browser.createBrowserContext();
  let agent: ReturnType<typeof spawnAgent> | null = null;
  try {
    const capture = await captureOnly(xvfb.display, width, height, x, win, Math.ceil(count / 2));
    const page = await openConsole(bench, ctx, { width: 1600, height: 1000 });
    const code = await createCode(page);
    agent = spawnAgent(['--server', bench.srv.url, '--code', code, '--display', xvfb.display, '--download-dir', downloads, '--auto-grant', 'view', '--no-prompt', '--fps', '30']);
    await waitFirstFrame(page, 30_000);
    const inner = MARK.size / 4;
    await page.evaluate((s) => void ((window as unknown as { __bench: { sample: unknown } }).__bench.sample = s), { x: MARK.x + inner, y: MARK.y + inner, w: MARK.size / 2, h: MARK.size / 2 });
    await sleep(1000);
    const pid = agent.child.pid!;
    const before = await readRecord(page);
    const stats0 = await inboundVideo(page);
    const cpu0 = treeCpuSeconds(pid);
    const t0 = performance.now();
    const drawn = await drawMarks(x, win, count);
    await sleep(500);
    const wall = (performance.now() - t0) / 1000;
    const cpu = ((treeCpuSeconds(pid) - cpu0) / wall) * 100;
    const stats1 = await inboundVideo(page);
    const after = await readRecord(page);
    const changes = after.changes.filter((c) => c[0] > (drawn[0]?.[0] ?? 0) - 1);
    const seen = changes.map((c): [number, number] => [c[0], classifyRgb(c[1], c[2], c[3])]).filter((c) => c[1] >= 0);
    const latencies = match(drawn, seen);
    // The same matching on the frames' receive times: draw → last packet received (capture, encode, send).
    const received = match(drawn, changes.filter((c) => c[4] > 0).map((c): [number, number] => [c[4], classifyRgb(c[1], c[2], c[3])]).filter((c) => c[1] >= 0));
    if (latencies.length < count / 2) throw new Error(`${label}: only ${latencies.length} of ${count} colour changes seen in the console`);
    const dt = (stats1.at - stats0.at) / 1000;
    const fps = (after.frames - before.frames) / wall;
    const mbps = ((stats1.bytes - stats0.bytes) * 8) / dt / 1e6;
    const cap = { name: 'capture only (ffmpeg x11grab)', value: 0 };
    return [
      { group: GROUP, name: `${label} latency, median`, value: median(latencies), unit: 'ms', reference: { ...cap, value: median(capture) }, note: `${latencies.length}/${count} changes; draw→frame received ${median(received).toFixed(0)} ms` },
      { group: GROUP, name: `${label} latency, p99`, value: p99(latencies), unit: 'ms', reference: { ...cap, value: p99(capture) } },
      { group: GROUP, name: `${label} frames shown`, value: fps, unit: 'fps', reference: { name: 'agent --fps', value: 30 }, note: `decoded ${((stats1.decoded - stats0.decoded) / dt).toFixed(1)} fps` },
      { group: GROUP, name: `${label} bitrate received`, value: mbps, unit: 'Mbit/s', note: 'moving 400x250 window + marker' },
      { group: GROUP, name: `${label} agent CPU (agent + ffmpeg)`, value: cpu, unit: '% core' },
    ];
  } finally {
    clearInterval(animation);
    await agent?.kill();
    await ctx.close();
    x.close();
    await xvfb.stop();
    rmSync(downloads, { recursive: true, force: true });
  }
}

export async function runGlassToGlass({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const count = quick ? 25 : 150;
  const bench = await startWebBench();
  try {
    const rows: BenchRow[] = [];
    for (const [w, h] of [[1280, 720], [1920, 1080]] as const) rows.push(...(await oneResolution(bench, w, h, count)));
    return rows;
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { renderTable } = await import('./lib/table.ts');
  console.log(renderTable(await runGlassToGlass({ quick: process.argv.includes('--quick') })));
  process.exit(0);
}
